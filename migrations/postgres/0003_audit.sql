-- The tamper-evident audit trail (docs/audit.md). Every import, batch action and attempt
-- appends one event; hash = sha256(prev_hash ‖ canonical JSON of the event), so changing or
-- removing any event breaks the chain from there on. Same tables in ../sqlite/0003_audit.sql.

CREATE TABLE audit_events (
    -- 1, 2, 3, … with no gaps: a gap is a deleted event.
    seq          BIGINT PRIMARY KEY CHECK (seq >= 1),
    -- Kept to the millisecond (what both backends store exactly; it is part of the hash).
    at           TIMESTAMPTZ NOT NULL,
    kind         TEXT NOT NULL,
    -- Who acted: cli:<user>, worker:<id>, housekeeping, api:<token>.
    actor        TEXT NOT NULL,
    -- What the event is about (no foreign keys: the trail outlives what it describes).
    campaign_id  TEXT,
    batch_id     BIGINT,
    delivery_id  BIGINT,
    attempt_id   BIGINT,
    -- Canonical JSON: sorted keys, no whitespace. Ids, never a signer's name or address.
    payload      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_events_by_batch ON audit_events (batch_id) WHERE batch_id IS NOT NULL;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION hillpost_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION hillpost_append_only();

-- The end of the chain. Appenders lock this one row (SELECT … FOR UPDATE) as the last step
-- of their transaction, so events from every worker process form one chain; verifying
-- compares it with the last event, so deleting events from the end is detected too.
CREATE TABLE audit_head (
    id    SMALLINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
