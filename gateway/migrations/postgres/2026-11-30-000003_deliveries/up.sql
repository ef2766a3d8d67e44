-- Push delivery: a platform's webhook subscription, and one delivery row per (subscription,
-- feed event), written in the publishing transaction (the transactional outbox).
CREATE TABLE subscriptions (
    platform_id           TEXT PRIMARY KEY NOT NULL REFERENCES platforms (id),
    url                   TEXT NOT NULL,
    secret                TEXT NOT NULL,
    previous_secret       TEXT,
    previous_secret_until TEXT,
    format                TEXT NOT NULL,
    filters               TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY NOT NULL,
    platform_id     TEXT NOT NULL REFERENCES platforms (id),
    event_seq       BIGINT NOT NULL REFERENCES feed_events (seq),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    locked_by       TEXT,
    locked_until    TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    committed_at    TEXT NOT NULL,
    delivered_at    TEXT,
    UNIQUE (platform_id, event_seq)
);
CREATE INDEX deliveries_queue ON deliveries (status, platform_id, event_seq);
