CREATE TABLE platforms (
    id          TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('platform', 'operator')),
    province    TEXT CHECK (province IN ('shanghai', 'jiangsu', 'zhejiang')),
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    cert_sha256 TEXT NOT NULL UNIQUE CHECK (length(cert_sha256) = 64),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK ((role = 'platform') = (province IS NOT NULL))
);

CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    subject        TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    content_sha256 TEXT,
    detail         TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);

-- The audit log is append-only.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
