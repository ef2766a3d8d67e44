-- Signed verification receipts: what the gateway verified for whom, signed with its receipt key.
-- Append-only: part of the audit trail.
CREATE TABLE receipts (
    id             TEXT PRIMARY KEY NOT NULL,
    created_at     TEXT NOT NULL,
    platform_id    TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('certificate', 'signature')),
    valid          BOOLEAN NOT NULL,
    jws            TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL
);
CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;
