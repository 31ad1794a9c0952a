-- Signed checkpoints and the keys that sign them (docs/audit.md); see
-- ../postgres/0016_audit_checkpoints.sql.

CREATE TABLE signing_keys (
    key_id       TEXT PRIMARY KEY,
    public_key   TEXT NOT NULL,
    valid_from   INTEGER NOT NULL,
    valid_until  INTEGER
) STRICT;

CREATE TABLE audit_checkpoints (
    seq        INTEGER PRIMARY KEY CHECK (seq >= 0),
    hash       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    key_id     TEXT NOT NULL,
    signature  TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: rows are never updated or deleted');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: rows are never updated or deleted');
END;

-- Rows written before the audit trail existed (migration 0003) have no event; `audit
-- verify`'s cross-check skips ids up to these, and only these.
CREATE TABLE audit_baseline (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    batch_id           INTEGER NOT NULL,
    attempt_id         INTEGER NOT NULL,
    delivery_event_id  INTEGER NOT NULL
) STRICT;
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
                                       AND json_extract(e.payload, '$.event_id') = d.id)), 0);

CREATE TRIGGER audit_baseline_no_update BEFORE UPDATE ON audit_baseline
BEGIN
    SELECT RAISE(ABORT, 'audit_baseline is written once, by its migration');
END;
CREATE TRIGGER audit_baseline_no_delete BEFORE DELETE ON audit_baseline
BEGIN
    SELECT RAISE(ABORT, 'audit_baseline is written once, by its migration');
END;
