-- The PostgreSQL schema dropped the foreign keys from `attempts` and `delivery_events` to
-- `deliveries` for recording speed (see ../postgres/0021_attempts_without_foreign_keys.sql)
-- and guarantees them by refusing deletes of deliveries. SQLite keeps its constraints
-- (changing them means rebuilding the tables, and they cost it far less); the same deletes
-- are refused here so both backends behave alike.

CREATE TRIGGER deliveries_no_delete BEFORE DELETE ON deliveries
BEGIN
    SELECT RAISE(ABORT, 'deliveries rows are never deleted: attempts and events point at them');
END;
