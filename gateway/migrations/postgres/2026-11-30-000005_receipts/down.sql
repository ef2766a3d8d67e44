DROP TRIGGER receipts_no_change ON receipts;
DROP FUNCTION receipts_append_only();
DROP TABLE receipts;
