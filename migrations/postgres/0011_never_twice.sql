-- "Never twice, never dropped" (docs/architecture.md, hillpost_core::delivery::transition):
-- * deliveries may end `unconfirmed` (the office may have the letter; a person decides) or,
--   after a bounce, `bounced`; attempts may end `possibly_accepted` or `unconfirmed`;
-- * deliveries remember whether any attempt may have reached the office
--   (`possibly_accepted`): such a delivery never moves to another endpoint;
-- * routing decisions and operator actions are `delivery_events`, kept apart from
--   `attempts` (which only hold tries that touched the network);
-- * recipients keep the endpoints planning passed over, with the reason.
-- Same tables and columns as ../sqlite/0011_never_twice.sql.

ALTER TABLE deliveries
    DROP CONSTRAINT deliveries_state_check,
    ADD CONSTRAINT deliveries_state_check
        CHECK (state IN ('queued', 'in_flight', 'delivered', 'unconfirmed', 'bounced',
                         'failed', 'dead', 'cancelled', 'skipped')),
    DROP CONSTRAINT deliveries_check,
    ADD CONSTRAINT deliveries_finalized_check
        CHECK ((state IN ('delivered', 'unconfirmed', 'bounced', 'failed', 'dead', 'cancelled', 'skipped'))
               = (finalized_at IS NOT NULL)),
    -- Some attempt of this delivery may have reached the office.
    ADD COLUMN possibly_accepted BOOLEAN NOT NULL DEFAULT false;

COMMENT ON COLUMN deliveries.route_note IS 'written before delivery_events existed; kept for those rows';

-- Attempts recorded `unknown` before the split may have arrived.
UPDATE deliveries SET possibly_accepted = true
 WHERE id IN (SELECT delivery_id FROM attempts WHERE outcome = 'unknown');

ALTER TABLE attempts
    DROP CONSTRAINT attempts_outcome_check,
    ADD CONSTRAINT attempts_outcome_check
        CHECK (outcome IN ('ok', 'transient', 'permanent', 'possibly_accepted', 'unconfirmed', 'unknown'));

-- What happened to a delivery besides attempts: it left an endpoint (`route`: from → to, or
-- to nothing when no endpoint is left), it waited without trying (`deferred`), or a person
-- acted on it (`confirmed`, `resent`, `replanned`). Append-only like attempts.
CREATE TABLE delivery_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id   BIGINT NOT NULL REFERENCES deliveries (id),
    at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    kind          TEXT NOT NULL CHECK (kind IN ('route', 'deferred', 'confirmed', 'resent', 'replanned', 'bounced')),
    actor         TEXT NOT NULL,
    -- The attempt the event followed, when one did.
    attempt_no    INTEGER,
    from_channel  TEXT CHECK (from_channel IN ('email', 'web_form', 'cwc', 'none')),
    from_endpoint TEXT,
    to_channel    TEXT CHECK (to_channel IN ('email', 'web_form', 'cwc', 'none')),
    to_endpoint   TEXT,
    reason        TEXT NOT NULL
);
CREATE INDEX delivery_events_by_delivery ON delivery_events (delivery_id, id);

CREATE FUNCTION hillpost_delivery_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'delivery_events is append-only: rows are never updated or deleted';
END;
$$;
CREATE TRIGGER delivery_events_no_update BEFORE UPDATE OR DELETE ON delivery_events
    FOR EACH ROW EXECUTE FUNCTION hillpost_delivery_events_append_only();
CREATE TRIGGER delivery_events_no_truncate BEFORE TRUNCATE ON delivery_events
    FOR EACH STATEMENT EXECUTE FUNCTION hillpost_delivery_events_append_only();

-- Endpoints planning did not list for the office, with why (JSON array of strings).
ALTER TABLE recipients ADD COLUMN passed_over TEXT NOT NULL DEFAULT '[]';

-- Earlier batches' letters to an office, found by campaign when a new batch is planned.
CREATE INDEX batches_by_campaign ON batches (campaign_id);
