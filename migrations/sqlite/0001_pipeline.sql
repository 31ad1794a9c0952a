-- The delivery pipeline: campaign → signatures → batch → deliveries → attempts.
-- Same tables and columns as ../postgres/0001_pipeline.sql. Timestamps are INTEGER
-- milliseconds since the Unix epoch (UTC): they compare and sort as numbers.

CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    organization  TEXT NOT NULL,
    mode          TEXT NOT NULL CHECK (mode IN ('petition', 'individual')),
    definition    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE signature_imports (
    id            INTEGER PRIMARY KEY,
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    source_name   TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    rows_read     INTEGER NOT NULL,
    accepted      INTEGER NOT NULL,
    duplicates    INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE signatures (
    id              INTEGER PRIMARY KEY,
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    import_id       INTEGER REFERENCES signature_imports (id),
    email_key       TEXT NOT NULL,
    email           TEXT NOT NULL,
    first_name      TEXT,
    last_name       TEXT,
    organization    TEXT,
    address_line1   TEXT,
    address_line2   TEXT,
    city            TEXT,
    state           TEXT,
    postal_code     TEXT,
    country         TEXT,
    district        INTEGER,
    language        TEXT,
    phone           TEXT,
    receipt_consent INTEGER NOT NULL CHECK (receipt_consent IN (0, 1)),
    signed_at       INTEGER,
    source          TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (campaign_id, email_key),
    CHECK (first_name IS NOT NULL OR last_name IS NOT NULL OR organization IS NOT NULL)
) STRICT;

CREATE TABLE batches (
    id              INTEGER PRIMARY KEY,
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    state           TEXT NOT NULL CHECK (state IN ('scheduled', 'running', 'paused', 'completed', 'cancelled')),
    mode            TEXT NOT NULL CHECK (mode IN ('petition', 'individual')),
    start_at        INTEGER NOT NULL,
    signature_count INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    CHECK ((state IN ('completed', 'cancelled')) = (finished_at IS NOT NULL))
) STRICT;

CREATE TABLE recipients (
    id        INTEGER PRIMARY KEY,
    batch_id  INTEGER NOT NULL REFERENCES batches (id),
    key       TEXT NOT NULL,
    name      TEXT NOT NULL,
    UNIQUE (batch_id, key)
) STRICT;

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    batch_id      INTEGER NOT NULL REFERENCES batches (id),
    sha256        TEXT NOT NULL,
    language      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    UNIQUE (batch_id, sha256)
) STRICT;

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    batch_id     INTEGER NOT NULL REFERENCES batches (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content      BLOB NOT NULL,
    sha256       TEXT NOT NULL,
    UNIQUE (batch_id, filename)
) STRICT;

CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    batch_id         INTEGER NOT NULL REFERENCES batches (id),
    recipient_id     INTEGER NOT NULL REFERENCES recipients (id),
    signature_id     INTEGER REFERENCES signatures (id),
    message_id       INTEGER REFERENCES messages (id),
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'web_form', 'cwc', 'none')),
    endpoint         TEXT NOT NULL,
    rate_key         TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'in_flight', 'delivered', 'failed', 'dead', 'cancelled', 'skipped')),
    skip_reason      TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
    due_at           INTEGER NOT NULL,
    lease_owner      TEXT,
    leased_at        INTEGER,
    lease_expires_at INTEGER,
    -- Set when the current attempt starts sending (just before anything leaves): a lease that
    -- expires with it set may have sent the letter; without it, the attempt never began.
    sending_since    INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    finalized_at     INTEGER,
    CHECK ((state IN ('delivered', 'failed', 'dead', 'cancelled', 'skipped')) = (finalized_at IS NOT NULL)),
    CHECK ((state = 'in_flight') = (lease_owner IS NOT NULL AND leased_at IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CHECK (sending_since IS NULL OR state = 'in_flight'),
    CHECK ((state = 'skipped') = (skip_reason IS NOT NULL)),
    CHECK (state = 'skipped' OR message_id IS NOT NULL)
) STRICT;

CREATE INDEX deliveries_due ON deliveries (due_at, id) WHERE state = 'queued';
CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE state = 'in_flight';
CREATE INDEX deliveries_by_batch ON deliveries (batch_id, state);
CREATE INDEX deliveries_by_owner ON deliveries (lease_owner) WHERE state = 'in_flight';

CREATE TABLE attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES deliveries (id),
    attempt_no   INTEGER NOT NULL CHECK (attempt_no >= 1),
    worker_id    TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'transient', 'permanent', 'unknown')),
    endpoint     TEXT NOT NULL,
    remote_code  INTEGER,
    remote_text  TEXT,
    sent_sha256  TEXT,
    duration_ms  INTEGER NOT NULL,
    note         TEXT
) STRICT;
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, attempt_no);

CREATE TRIGGER attempts_no_update BEFORE UPDATE ON attempts
BEGIN
    SELECT RAISE(ABORT, 'attempts is append-only: rows are never updated or deleted');
END;
CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts
BEGIN
    SELECT RAISE(ABORT, 'attempts is append-only: rows are never updated or deleted');
END;

CREATE TABLE rate_key_leases (
    key          TEXT PRIMARY KEY,
    worker_id    TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    next_send_at INTEGER
) STRICT;
