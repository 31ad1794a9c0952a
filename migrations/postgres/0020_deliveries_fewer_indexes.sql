-- Fewer index entries per letter. A claim and a record each rewrite a delivery's row with a
-- new state, so each writes a new entry into every index whose columns or predicate cover
-- the state: `deliveries_by_batch (batch_id, state)` took one on enqueue, claim and record.
-- Its readers are served by other indexes: per-batch counts and lists by
-- `deliveries_by_signer (batch_id, …)`, a batch's queued rows by `deliveries_due_by_batch`,
-- and its in-flight rows by the index below, which replaces `deliveries_leased`: in-flight
-- rows are few (what the workers hold), so reading all of them by lease expiry costs little,
-- and keyed by batch they also answer "has this batch anything in flight?" in one probe.
DROP INDEX deliveries_by_batch;
DROP INDEX deliveries_leased;
CREATE INDEX deliveries_in_flight ON deliveries (batch_id, lease_expires_at) WHERE state = 'in_flight';
