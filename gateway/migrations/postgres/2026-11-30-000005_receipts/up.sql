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
CREATE FUNCTION receipts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'receipts are append-only';
END;
$$;
CREATE TRIGGER receipts_no_change BEFORE UPDATE OR DELETE ON receipts
    FOR EACH ROW EXECUTE FUNCTION receipts_append_only();
