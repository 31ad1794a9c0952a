-- Erasure that keeps the chain (docs/erasure.md). A signer's personal data lives only in
-- rows that can be blanked; the audit trail holds salted commitments to it instead, made
-- with the signer's own random salt, kept here beside the data and erased with it.
-- Same columns and rules as ../postgres/0018_signer_erasure.sql.
ALTER TABLE signatures ADD COLUMN salt BLOB;
ALTER TABLE signatures ADD COLUMN erased_at INTEGER;
-- The few erased signers of a campaign, found at once (a new batch is checked against them).
CREATE INDEX signatures_erased ON signatures (campaign_id) WHERE erased_at IS NOT NULL;
UPDATE signatures SET salt = randomblob(16);

-- When an attempt's page or screenshot was erased with its signer's data (content emptied;
-- size and SHA-256 of what was kept stay as they were).
ALTER TABLE attempt_evidence ADD COLUMN erased_at INTEGER;

-- The signatures being erased, written and emptied inside the erasing transaction, so no
-- other connection ever sees a row here. The append-only triggers below let exactly the
-- erasure's changes through while a signature is listed, and nothing else.
CREATE TABLE erasing (
    signature_id INTEGER PRIMARY KEY
) STRICT;

-- attempts: only remote_text and note may be blanked, only for an erasing signer's
-- deliveries; every other column stays as it was.
DROP TRIGGER attempts_no_update;
CREATE TRIGGER attempts_no_update BEFORE UPDATE ON attempts
WHEN NOT (
    EXISTS (SELECT 1 FROM erasing e JOIN deliveries d ON d.signature_id = e.signature_id
             WHERE d.id = OLD.delivery_id)
    AND NEW.remote_text IS NULL AND NEW.note IS NULL
    AND NEW.id IS OLD.id AND NEW.delivery_id IS OLD.delivery_id AND NEW.attempt_no IS OLD.attempt_no
    AND NEW.worker_id IS OLD.worker_id AND NEW.started_at IS OLD.started_at
    AND NEW.finished_at IS OLD.finished_at AND NEW.outcome IS OLD.outcome
    AND NEW.endpoint IS OLD.endpoint AND NEW.remote_code IS OLD.remote_code
    AND NEW.sent_sha256 IS OLD.sent_sha256 AND NEW.duration_ms IS OLD.duration_ms
    AND NEW.channel IS OLD.channel)
BEGIN
    SELECT RAISE(ABORT, 'attempts is append-only: rows are never updated or deleted');
END;

-- attempt_evidence: only the content may be emptied (and marked erased).
DROP TRIGGER attempt_evidence_no_update;
CREATE TRIGGER attempt_evidence_no_update BEFORE UPDATE ON attempt_evidence
WHEN NOT (
    EXISTS (SELECT 1 FROM erasing e JOIN deliveries d ON d.signature_id = e.signature_id
             WHERE d.id = OLD.delivery_id)
    AND length(NEW.content) = 0 AND NEW.encoding = 'identity' AND NEW.erased_at IS NOT NULL
    AND NEW.id IS OLD.id AND NEW.delivery_id IS OLD.delivery_id AND NEW.attempt_no IS OLD.attempt_no
    AND NEW.kind IS OLD.kind AND NEW.content_type IS OLD.content_type AND NEW.size IS OLD.size
    AND NEW.truncated IS OLD.truncated AND NEW.sha256 IS OLD.sha256
    AND NEW.created_at IS OLD.created_at)
BEGIN
    SELECT RAISE(ABORT, 'attempt_evidence is append-only: rows are never updated or deleted');
END;

-- delivery_notices: the message, the address it was about, the remote answer and what it
-- did in words (which quotes the answer) may be emptied; what it was read as stays.
DROP TRIGGER delivery_notices_no_update;
CREATE TRIGGER delivery_notices_no_update BEFORE UPDATE ON delivery_notices
WHEN NOT (
    EXISTS (SELECT 1 FROM erasing e JOIN deliveries d ON d.signature_id = e.signature_id
             WHERE d.id = OLD.delivery_id)
    AND length(NEW.message) = 0 AND NEW.recipient IS NULL AND NEW.diagnostic IS NULL
    AND NEW.id IS OLD.id AND NEW.received_at IS OLD.received_at AND NEW.source IS OLD.source
    AND NEW.message_sha256 IS OLD.message_sha256 AND NEW.kind IS OLD.kind AND NEW.form IS OLD.form
    AND NEW.status IS OLD.status AND NEW.reporting_mta IS OLD.reporting_mta
    AND NEW.delivery_key IS OLD.delivery_key AND NEW.delivery_id IS OLD.delivery_id
    AND NEW.set_aside IS OLD.set_aside)
BEGIN
    SELECT RAISE(ABORT, 'delivery_notices is append-only: rows are never updated or deleted');
END;

-- delivery_events: the reason (it may quote the receiver's answer) may be replaced.
DROP TRIGGER delivery_events_no_update;
CREATE TRIGGER delivery_events_no_update BEFORE UPDATE ON delivery_events
WHEN NOT (
    EXISTS (SELECT 1 FROM erasing e JOIN deliveries d ON d.signature_id = e.signature_id
             WHERE d.id = OLD.delivery_id)
    AND NEW.id IS OLD.id AND NEW.delivery_id IS OLD.delivery_id AND NEW.at IS OLD.at
    AND NEW.kind IS OLD.kind AND NEW.actor IS OLD.actor AND NEW.attempt_no IS OLD.attempt_no
    AND NEW.from_channel IS OLD.from_channel AND NEW.from_endpoint IS OLD.from_endpoint
    AND NEW.to_channel IS OLD.to_channel AND NEW.to_endpoint IS OLD.to_endpoint)
BEGIN
    SELECT RAISE(ABORT, 'delivery_events is append-only: rows are never updated or deleted');
END;
