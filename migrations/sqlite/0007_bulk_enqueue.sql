-- The PostgreSQL schema dropped the foreign keys and the unique idempotency key on
-- `deliveries` for enqueue speed (see ../postgres/0007_bulk_enqueue.sql) and guarantees the
-- references by refusing deletes of the rows deliveries point at. SQLite keeps its
-- constraints (changing them means rebuilding the table, and they cost it far less); the
-- same deletes are refused here so both backends behave alike.

CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches
BEGIN
    SELECT RAISE(ABORT, 'batches rows are never deleted: deliveries point at them');
END;
CREATE TRIGGER recipients_no_delete BEFORE DELETE ON recipients
BEGIN
    SELECT RAISE(ABORT, 'recipients rows are never deleted: deliveries point at them');
END;
CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages
BEGIN
    SELECT RAISE(ABORT, 'messages rows are never deleted: deliveries point at them');
END;
CREATE TRIGGER signatures_no_delete BEFORE DELETE ON signatures
BEGIN
    SELECT RAISE(ABORT, 'signatures rows are never deleted: deliveries point at them');
END;
