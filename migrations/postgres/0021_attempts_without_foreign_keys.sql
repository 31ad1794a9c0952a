-- Recording a group of attempts spent part of its time on per-row checks, not on writing
-- rows: `attempts.delivery_id` and `delivery_events.delivery_id` were foreign keys, each a
-- trigger per row that looks the delivery up again and locks it (FOR KEY SHARE), although
-- the statement that inserts them (`record`'s one statement) has just read and updated
-- that same delivery by its primary key.
--
-- What they guarded is guaranteed by construction instead, as for `deliveries`' own
-- references (0007):
-- * attempts and delivery events are inserted only with ids read from `deliveries` in the
--   same transaction: by the record statement (the same statement), and by an operator's
--   action after reading the delivery `FOR UPDATE`;
-- * deliveries are never deleted: the triggers below refuse it (so the evidence of an
--   attempt can never lose the letter it was about).
ALTER TABLE attempts DROP CONSTRAINT attempts_delivery_id_fkey;
ALTER TABLE delivery_events DROP CONSTRAINT delivery_events_delivery_id_fkey;

CREATE FUNCTION hillpost_deliveries_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'deliveries rows are never deleted: attempts and events point at them';
END;
$$;

CREATE TRIGGER deliveries_no_delete BEFORE DELETE ON deliveries
    FOR EACH ROW EXECUTE FUNCTION hillpost_deliveries_never_deleted();
CREATE TRIGGER deliveries_no_truncate BEFORE TRUNCATE ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION hillpost_deliveries_never_deleted();
