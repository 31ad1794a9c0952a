-- The delivery pipeline: campaign → signatures → batch → deliveries → attempts.
-- The SQLite schema (../sqlite/0001_pipeline.sql) has the same tables and columns; only the
-- types differ (timestamps are INTEGER milliseconds since the epoch there).

CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    organization  TEXT NOT NULL,
    mode          TEXT NOT NULL CHECK (mode IN ('petition', 'individual')),
    -- The checked campaign as JSON (hillpost_core::Campaign); batches render from it.
    definition    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per imported file, for the record (what came in, when, and what became of it).
CREATE TABLE signature_imports (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    source_name   TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    rows_read     INTEGER NOT NULL,
    accepted      INTEGER NOT NULL,
    duplicates    INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE signatures (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    import_id       BIGINT REFERENCES signature_imports (id),
    -- Lower-cased address: two rows with the same key are the same signer.
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
    district        SMALLINT,
    language        TEXT,
    phone           TEXT,
    receipt_consent BOOLEAN NOT NULL,
    signed_at       TIMESTAMPTZ,
    source          TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, email_key),
    CHECK (first_name IS NOT NULL OR last_name IS NOT NULL OR organization IS NOT NULL)
);

CREATE TABLE batches (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    state           TEXT NOT NULL CHECK (state IN ('scheduled', 'running', 'paused', 'completed', 'cancelled')),
    mode            TEXT NOT NULL CHECK (mode IN ('petition', 'individual')),
    -- Deliveries become due at start_at; a scheduled batch turns running then.
    start_at        TIMESTAMPTZ NOT NULL,
    signature_count INTEGER NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ,
    CHECK ((state IN ('completed', 'cancelled')) = (finished_at IS NOT NULL))
);

-- The offices a batch addresses, as they were when the batch was created.
CREATE TABLE recipients (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id  BIGINT NOT NULL REFERENCES batches (id),
    key       TEXT NOT NULL,
    name      TEXT NOT NULL,
    UNIQUE (batch_id, key)
);

-- Rendered letters, stored once per distinct content within a batch.
CREATE TABLE messages (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id      BIGINT NOT NULL REFERENCES batches (id),
    sha256        TEXT NOT NULL,
    language      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    UNIQUE (batch_id, sha256)
);

-- Files every letter of a petition batch carries (the signature list as CSV, later PDF).
CREATE TABLE attachments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id     BIGINT NOT NULL REFERENCES batches (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content      BYTEA NOT NULL,
    sha256       TEXT NOT NULL,
    UNIQUE (batch_id, filename)
);

CREATE TABLE deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id         BIGINT NOT NULL REFERENCES batches (id),
    recipient_id     BIGINT NOT NULL REFERENCES recipients (id),
    -- The signer in individual mode; NULL for a petition letter.
    signature_id     BIGINT REFERENCES signatures (id),
    -- NULL only for a delivery skipped at enqueue.
    message_id       BIGINT REFERENCES messages (id),
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'web_form', 'cwc', 'none')),
    -- The address, form or office code the message goes to.
    endpoint         TEXT NOT NULL,
    -- Rate limits apply per key (the mail domain, the form's host, the CWC gateway).
    rate_key         TEXT NOT NULL,
    -- Reused on every attempt: Message-ID local part, CWC DeliveryId. 32 hex characters.
    idempotency_key  TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'in_flight', 'delivered', 'failed', 'dead', 'cancelled', 'skipped')),
    skip_reason      TEXT,
    -- Attempts started so far; also the fencing token of the current lease.
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
    due_at           TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    leased_at        TIMESTAMPTZ,
    lease_expires_at TIMESTAMPTZ,
    -- Set when the current attempt starts sending (just before anything leaves): a lease that
    -- expires with it set may have sent the letter; without it, the attempt never began.
    sending_since    TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    finalized_at     TIMESTAMPTZ,
    CHECK ((state IN ('delivered', 'failed', 'dead', 'cancelled', 'skipped')) = (finalized_at IS NOT NULL)),
    CHECK ((state = 'in_flight') = (lease_owner IS NOT NULL AND leased_at IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CHECK (sending_since IS NULL OR state = 'in_flight'),
    CHECK ((state = 'skipped') = (skip_reason IS NOT NULL)),
    CHECK (state = 'skipped' OR message_id IS NOT NULL)
);

-- What workers scan: due queued rows, and in-flight rows whose lease may have expired.
CREATE INDEX deliveries_due ON deliveries (due_at, id) WHERE state = 'queued';
CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE state = 'in_flight';
CREATE INDEX deliveries_by_batch ON deliveries (batch_id, state);
CREATE INDEX deliveries_by_owner ON deliveries (lease_owner) WHERE state = 'in_flight';

-- One row per try of a delivery. Never updated or deleted (see the trigger below).
CREATE TABLE attempts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  BIGINT NOT NULL REFERENCES deliveries (id),
    attempt_no   INTEGER NOT NULL CHECK (attempt_no >= 1),
    worker_id    TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'transient', 'permanent', 'unknown')),
    endpoint     TEXT NOT NULL,
    -- SMTP reply code or HTTP status, and the text that came with it (capped).
    remote_code  INTEGER,
    remote_text  TEXT,
    -- SHA-256 (hex) of the exact bytes sent, when anything was sent.
    sent_sha256  TEXT,
    duration_ms  INTEGER NOT NULL,
    -- Why the record looks the way it does, e.g. a lease that expired under a lost worker.
    note         TEXT
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, attempt_no);

CREATE FUNCTION hillpost_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: rows are never updated or deleted', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER attempts_append_only BEFORE UPDATE OR DELETE ON attempts
    FOR EACH ROW EXECUTE FUNCTION hillpost_append_only();

-- Each rate-limited key is sent to by one worker at a time, so one in-process limiter holds
-- the quota across every worker process. next_send_at carries the limiter's position over
-- when the key changes hands.
CREATE TABLE rate_key_leases (
    key          TEXT PRIMARY KEY,
    worker_id    TEXT NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    next_send_at TIMESTAMPTZ
);
