-- Signed checkpoints and the keys that sign them (docs/audit.md). Same tables in
-- ../sqlite/0016_audit_checkpoints.sql.

-- Every public key the service has signed with: the current one has no valid_until.
-- Not a source of trust (whoever can write here can add a key): auditors keep the keys
-- they were given; this list is what /.well-known/hillpost-signing-key serves.
CREATE TABLE signing_keys (
    key_id       TEXT PRIMARY KEY,
    public_key   TEXT NOT NULL,
    valid_from   TIMESTAMPTZ NOT NULL,
    valid_until  TIMESTAMPTZ
);

-- The chain's head as housekeeping signed it, at most once a minute while events are
-- appended. Copies kept outside the database are what make a cut tail detectable; these
-- rows serve the API and `audit checkpoint`.
CREATE TABLE audit_checkpoints (
    seq        BIGINT PRIMARY KEY CHECK (seq >= 0),
    hash       TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    key_id     TEXT NOT NULL,
    signature  TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION hillpost_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION hillpost_append_only();

-- Rows written before the audit trail existed (migration 0003) have no event; `audit
-- verify`'s cross-check skips ids up to these, and only these.
CREATE TABLE audit_baseline (
    id                 SMALLINT PRIMARY KEY CHECK (id = 1),
    batch_id           BIGINT NOT NULL,
    attempt_id         BIGINT NOT NULL,
    delivery_event_id  BIGINT NOT NULL
);
INSERT INTO audit_baseline (id, batch_id, attempt_id, delivery_event_id)
SELECT 1,
       COALESCE((SELECT MAX(b.id) FROM batches b
                  WHERE NOT EXISTS (SELECT 1 FROM audit_events e
                                     WHERE e.batch_id = b.id AND e.kind = 'batch.created')), 0),
       COALESCE((SELECT MAX(a.id) FROM attempts a
                  WHERE NOT EXISTS (SELECT 1 FROM audit_events e
                                     WHERE e.attempt_id = a.id AND e.kind = 'attempt.recorded')), 0),
       COALESCE((SELECT MAX(d.id) FROM delivery_events d
                  WHERE NOT EXISTS (SELECT 1 FROM audit_events e
                                     WHERE e.delivery_id = d.delivery_id AND e.kind LIKE 'delivery.%'
                                       AND e.payload::jsonb ->> 'event_id' = d.id::text)), 0);
CREATE TRIGGER audit_baseline_append_only BEFORE UPDATE OR DELETE ON audit_baseline
    FOR EACH ROW EXECUTE FUNCTION hillpost_append_only();
