-- no-transaction
-- "Never twice, never dropped" (docs/architecture.md, hillpost_core::delivery::transition):
-- * deliveries may end `unconfirmed` (the office may have the letter; a person decides) or,
--   after a bounce, `bounced`; attempts may end `possibly_accepted` or `unconfirmed`;
-- * deliveries remember whether any attempt may have reached the office
--   (`possibly_accepted`): such a delivery never moves to another endpoint;
-- * routing decisions and operator actions are `delivery_events`, kept apart from
--   `attempts` (which only hold tries that touched the network);
-- * recipients keep the endpoints planning passed over, with the reason.
-- Same tables and columns as ../postgres/0011_never_twice.sql.
--
-- SQLite cannot change a CHECK constraint in place, so `deliveries` and `attempts` are
-- rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter): foreign keys off, one
-- transaction, copy, swap, recreate indexes and triggers, check the keys, commit.

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE deliveries_0011 (
    id                INTEGER PRIMARY KEY,
    batch_id          INTEGER NOT NULL REFERENCES batches (id),
    recipient_id      INTEGER NOT NULL REFERENCES recipients (id),
    signature_id      INTEGER REFERENCES signatures (id),
    message_id        INTEGER REFERENCES messages (id),
    channel           TEXT NOT NULL CHECK (channel IN ('email', 'web_form', 'cwc', 'none')),
    endpoint          TEXT NOT NULL,
    rate_key          TEXT NOT NULL,
    idempotency_key   TEXT NOT NULL UNIQUE,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'in_flight', 'delivered', 'unconfirmed', 'bounced',
                                                     'failed', 'dead', 'cancelled', 'skipped')),
    skip_reason       TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    max_attempts      INTEGER NOT NULL CHECK (max_attempts >= 1),
    due_at            INTEGER NOT NULL,
    lease_owner       TEXT,
    leased_at         INTEGER,
    lease_expires_at  INTEGER,
    -- Set when the current attempt starts sending (just before anything leaves): a lease that
    -- expires with it set may have sent the letter; without it, the attempt never began.
    sending_since     INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    finalized_at      INTEGER,
    -- Written before delivery_events existed; kept for those rows.
    route_note        TEXT,
    kind              TEXT NOT NULL DEFAULT 'letter' CHECK (kind IN ('letter', 'receipt')),
    -- Some attempt of this delivery may have reached the office.
    possibly_accepted INTEGER NOT NULL DEFAULT 0 CHECK (possibly_accepted IN (0, 1)),
    CHECK ((state IN ('delivered', 'unconfirmed', 'bounced', 'failed', 'dead', 'cancelled', 'skipped'))
           = (finalized_at IS NOT NULL)),
    CHECK ((state = 'in_flight') = (lease_owner IS NOT NULL AND leased_at IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CHECK (sending_since IS NULL OR state = 'in_flight'),
    CHECK ((state = 'skipped') = (skip_reason IS NOT NULL)),
    CHECK (state = 'skipped' OR message_id IS NOT NULL)
) STRICT;

INSERT INTO deliveries_0011 (id, batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                             idempotency_key, state, skip_reason, attempts, max_attempts, due_at, lease_owner,
                             leased_at, lease_expires_at, sending_since, last_error, created_at, finalized_at,
                             route_note, kind, possibly_accepted)
SELECT id, batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
       idempotency_key, state, skip_reason, attempts, max_attempts, due_at, lease_owner,
       leased_at, lease_expires_at, sending_since, last_error, created_at, finalized_at,
       route_note, kind,
       EXISTS (SELECT 1 FROM attempts a WHERE a.delivery_id = deliveries.id AND a.outcome = 'unknown')
  FROM deliveries;

DROP TABLE deliveries;
ALTER TABLE deliveries_0011 RENAME TO deliveries;

CREATE INDEX deliveries_due ON deliveries (due_at, id) WHERE state = 'queued';
CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE state = 'in_flight';
CREATE INDEX deliveries_by_batch ON deliveries (batch_id, state);
CREATE INDEX deliveries_by_owner ON deliveries (lease_owner) WHERE state = 'in_flight';
CREATE UNIQUE INDEX deliveries_one_receipt ON deliveries (batch_id, signature_id) WHERE kind = 'receipt';
CREATE INDEX deliveries_by_signer ON deliveries (batch_id, signature_id);

CREATE TABLE attempts_0011 (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES deliveries (id),
    attempt_no   INTEGER NOT NULL CHECK (attempt_no >= 1),
    worker_id    TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'transient', 'permanent', 'possibly_accepted',
                                                  'unconfirmed', 'unknown')),
    endpoint     TEXT NOT NULL,
    remote_code  INTEGER,
    remote_text  TEXT,
    sent_sha256  TEXT,
    duration_ms  INTEGER NOT NULL,
    note         TEXT,
    channel      TEXT CHECK (channel IN ('email', 'web_form', 'cwc', 'none'))
) STRICT;

INSERT INTO attempts_0011 (id, delivery_id, attempt_no, worker_id, started_at, finished_at, outcome, endpoint,
                           remote_code, remote_text, sent_sha256, duration_ms, note, channel)
SELECT id, delivery_id, attempt_no, worker_id, started_at, finished_at, outcome, endpoint,
       remote_code, remote_text, sent_sha256, duration_ms, note, channel
  FROM attempts;

DROP TABLE attempts;
ALTER TABLE attempts_0011 RENAME TO attempts;

CREATE INDEX attempts_by_delivery ON attempts (delivery_id, attempt_no);
CREATE TRIGGER attempts_no_update BEFORE UPDATE ON attempts
BEGIN
    SELECT RAISE(ABORT, 'attempts is append-only: rows are never updated or deleted');
END;
CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts
BEGIN
    SELECT RAISE(ABORT, 'attempts is append-only: rows are never updated or deleted');
END;

-- What happened to a delivery besides attempts: it left an endpoint (`route`: from → to, or
-- to nothing when no endpoint is left), it waited without trying (`deferred`), or a person
-- acted on it (`confirmed`, `resent`, `replanned`). Append-only like attempts.
CREATE TABLE delivery_events (
    id            INTEGER PRIMARY KEY,
    delivery_id   INTEGER NOT NULL REFERENCES deliveries (id),
    at            INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('route', 'deferred', 'confirmed', 'resent', 'replanned', 'bounced')),
    actor         TEXT NOT NULL,
    -- The attempt the event followed, when one did.
    attempt_no    INTEGER,
    from_channel  TEXT CHECK (from_channel IN ('email', 'web_form', 'cwc', 'none')),
    from_endpoint TEXT,
    to_channel    TEXT CHECK (to_channel IN ('email', 'web_form', 'cwc', 'none')),
    to_endpoint   TEXT,
    reason        TEXT NOT NULL
) STRICT;
CREATE INDEX delivery_events_by_delivery ON delivery_events (delivery_id, id);
CREATE TRIGGER delivery_events_no_update BEFORE UPDATE ON delivery_events
BEGIN
    SELECT RAISE(ABORT, 'delivery_events is append-only: rows are never updated or deleted');
END;
CREATE TRIGGER delivery_events_no_delete BEFORE DELETE ON delivery_events
BEGIN
    SELECT RAISE(ABORT, 'delivery_events is append-only: rows are never updated or deleted');
END;

-- Endpoints planning did not list for the office, with why (JSON array of strings).
ALTER TABLE recipients ADD COLUMN passed_over TEXT NOT NULL DEFAULT '[]';

-- Earlier batches' letters to an office, found by campaign when a new batch is planned.
CREATE INDEX batches_by_campaign ON batches (campaign_id);

COMMIT;
PRAGMA foreign_keys = ON;
