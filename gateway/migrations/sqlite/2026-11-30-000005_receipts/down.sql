DROP TRIGGER receipts_no_delete;
DROP TRIGGER receipts_no_update;
DROP TABLE receipts;
