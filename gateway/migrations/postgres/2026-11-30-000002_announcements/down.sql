DROP TABLE idempotency_keys;
DROP TABLE feed_counter;
DROP TABLE feed_events;
DROP TABLE notice_versions;
DROP FUNCTION notice_versions_immutable();
DROP TABLE notices;
