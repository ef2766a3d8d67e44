-- The mutual-recognition bridge: every signed trust list installed (the highest sequence is the
-- one in use; a lower one is refused), the newest CRL per issuer and scope, and one counter that
-- every instance reads before answering, so data installed through one is used by all at once.
CREATE TABLE trust_lists (
    sequence        BIGINT PRIMARY KEY NOT NULL,
    payload_sha256  TEXT NOT NULL,
    issued_at       BIGINT NOT NULL,
    next_update     BIGINT NOT NULL,
    signed_document BYTEA NOT NULL,
    installed_at    TEXT NOT NULL,
    installed_by    TEXT NOT NULL
);

CREATE TABLE crls (
    issuer_key  TEXT NOT NULL,
    scope       TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    service_id  TEXT NOT NULL,
    province    TEXT NOT NULL,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    crl_number  TEXT,
    der         BYTEA NOT NULL,
    sha256      TEXT NOT NULL,
    source      TEXT NOT NULL,
    stored_at   TEXT NOT NULL,
    PRIMARY KEY (issuer_key, scope)
);

CREATE TABLE bridge_state (
    id                  INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    revocation_version  BIGINT NOT NULL
);
INSERT INTO bridge_state (id, revocation_version) VALUES (1, 0);
