DROP TABLE idempotency_keys;
DROP TABLE feed_counter;
DROP TABLE feed_events;
DROP TABLE notice_versions;
DROP TABLE notices;
