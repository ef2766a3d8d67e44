-- A notice is identified by (source platform, source notice id); every document about it (the
-- original, corrections, clarifications, extensions, a termination) is an immutable version.
CREATE TABLE notices (
    id               TEXT PRIMARY KEY NOT NULL,
    source_platform  TEXT NOT NULL REFERENCES platforms (id),
    source_notice_id TEXT NOT NULL,
    kind             TEXT NOT NULL,
    category         TEXT NOT NULL,
    region           TEXT NOT NULL,
    project_code     TEXT NOT NULL,
    title            TEXT NOT NULL,
    notice_number    TEXT,
    status           TEXT NOT NULL CHECK (status IN ('active', 'terminated')),
    current_version  INTEGER NOT NULL CHECK (current_version >= 1),
    published_at     TEXT NOT NULL,
    first_seq        BIGINT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (source_platform, source_notice_id)
);
CREATE INDEX notices_search ON notices (region, category, kind, first_seq);
CREATE INDEX notices_project ON notices (project_code);

CREATE TABLE notice_versions (
    notice_id             TEXT NOT NULL REFERENCES notices (id),
    version               INTEGER NOT NULL CHECK (version >= 1),
    document_id           TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    canonical             TEXT NOT NULL,
    canonical_sha256      TEXT NOT NULL,
    original              BLOB NOT NULL,
    original_content_type TEXT NOT NULL,
    original_sha256       TEXT NOT NULL,
    request_id            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    PRIMARY KEY (notice_id, version),
    UNIQUE (notice_id, document_id)
);

-- The feed and the outbox: one event per stored version. `seq` comes from feed_counter inside
-- the publishing transaction, so on PostgreSQL the row lock orders events by commit.
CREATE TABLE feed_events (
    seq             BIGINT PRIMARY KEY NOT NULL,
    event_id        TEXT NOT NULL UNIQUE,
    event_type      TEXT NOT NULL CHECK (event_type IN ('notice.published', 'notice.versioned')),
    notice_id       TEXT NOT NULL,
    version         INTEGER NOT NULL,
    source_platform TEXT NOT NULL,
    committed_at    TEXT NOT NULL,
    FOREIGN KEY (notice_id, version) REFERENCES notice_versions (notice_id, version)
);
CREATE INDEX feed_events_source ON feed_events (source_platform, seq);

CREATE TABLE feed_counter (
    id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    last_seq BIGINT NOT NULL
);
INSERT INTO feed_counter (id, last_seq) VALUES (1, 0);

CREATE TABLE idempotency_keys (
    platform_id    TEXT NOT NULL REFERENCES platforms (id),
    idem_key       TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    notice_id      TEXT NOT NULL REFERENCES notices (id),
    version        INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (platform_id, idem_key)
);

CREATE TRIGGER notice_versions_immutable BEFORE UPDATE ON notice_versions
BEGIN SELECT RAISE(ABORT, 'notice versions are immutable'); END;
CREATE TRIGGER notice_versions_no_delete BEFORE DELETE ON notice_versions
BEGIN SELECT RAISE(ABORT, 'notice versions are immutable'); END;
