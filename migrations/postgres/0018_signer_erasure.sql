-- Erasure that keeps the chain (docs/erasure.md). A signer's personal data lives only in
-- rows that can be blanked; the audit trail holds salted commitments to it instead, made
-- with the signer's own random salt, kept here beside the data and erased with it.
-- Same columns and rules as ../sqlite/0018_signer_erasure.sql.
ALTER TABLE signatures ADD COLUMN salt bytea, ADD COLUMN erased_at timestamptz;
-- The few erased signers of a campaign, found at once (a new batch is checked against them).
CREATE INDEX signatures_erased ON signatures (campaign_id) WHERE erased_at IS NOT NULL;
UPDATE signatures SET salt = uuid_send(gen_random_uuid());

-- When an attempt's page or screenshot was erased with its signer's data (content emptied;
-- size and SHA-256 of what was kept stay as they were).
ALTER TABLE attempt_evidence ADD COLUMN erased_at timestamptz;

-- The signatures being erased, written and emptied inside the erasing transaction, so no
-- other transaction ever sees a row here. The append-only triggers below let exactly the
-- erasure's changes through while a signature is listed, and nothing else.
CREATE TABLE erasing (
    signature_id bigint PRIMARY KEY
);

CREATE FUNCTION hillpost_erasing(delivery bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM erasing e JOIN deliveries d ON d.signature_id = e.signature_id
                    WHERE d.id = delivery)
$$;

-- An update that changes only `erasable` columns, each to what an erasure leaves there,
-- of a row whose delivery belongs to a signer being erased; anything else is refused as
-- before. Deletes are always refused.
CREATE FUNCTION hillpost_append_only_but_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    erasable text[] := TG_ARGV;
BEGIN
    IF TG_OP = 'UPDATE'
       AND hillpost_erasing(OLD.delivery_id)
       AND (to_jsonb(NEW) - erasable) = (to_jsonb(OLD) - erasable) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: rows are never updated or deleted', TG_TABLE_NAME;
END;
$$;

-- attempts: only remote_text and note may be blanked.
DROP TRIGGER attempts_append_only ON attempts;
CREATE TRIGGER attempts_append_only BEFORE UPDATE OR DELETE ON attempts
    FOR EACH ROW EXECUTE FUNCTION hillpost_append_only_but_erasure('remote_text', 'note');
CREATE FUNCTION hillpost_attempts_blanked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.remote_text IS NOT NULL OR NEW.note IS NOT NULL THEN
        RAISE EXCEPTION 'attempts is append-only: an erasure only blanks remote_text and note';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER attempts_erasure_blanks BEFORE UPDATE ON attempts
    FOR EACH ROW EXECUTE FUNCTION hillpost_attempts_blanked();

-- attempt_evidence: only the content may be emptied (and marked erased).
DROP TRIGGER attempt_evidence_append_only ON attempt_evidence;
CREATE TRIGGER attempt_evidence_append_only BEFORE UPDATE OR DELETE ON attempt_evidence
    FOR EACH ROW EXECUTE FUNCTION hillpost_append_only_but_erasure('content', 'encoding', 'erased_at');
CREATE FUNCTION hillpost_evidence_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF length(NEW.content) <> 0 OR NEW.encoding <> 'identity' OR NEW.erased_at IS NULL THEN
        RAISE EXCEPTION 'attempt_evidence is append-only: an erasure only empties the content';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER attempt_evidence_erasure_empties BEFORE UPDATE ON attempt_evidence
    FOR EACH ROW EXECUTE FUNCTION hillpost_evidence_emptied();

-- delivery_notices: the message, the address it was about, the remote answer and what it
-- did in words (which quotes the answer) may be emptied; what it was read as stays.
DROP TRIGGER delivery_notices_append_only ON delivery_notices;
CREATE TRIGGER delivery_notices_append_only BEFORE UPDATE OR DELETE ON delivery_notices
    FOR EACH ROW EXECUTE FUNCTION hillpost_append_only_but_erasure('message', 'recipient', 'diagnostic', 'effect');
CREATE FUNCTION hillpost_notice_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF length(NEW.message) <> 0 OR NEW.recipient IS NOT NULL OR NEW.diagnostic IS NOT NULL THEN
        RAISE EXCEPTION 'delivery_notices is append-only: an erasure only empties the message';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER delivery_notices_erasure_empties BEFORE UPDATE ON delivery_notices
    FOR EACH ROW EXECUTE FUNCTION hillpost_notice_emptied();

-- delivery_events: the reason (it may quote the receiver's answer) may be replaced.
DROP TRIGGER delivery_events_no_update ON delivery_events;
CREATE TRIGGER delivery_events_no_update BEFORE UPDATE OR DELETE ON delivery_events
    FOR EACH ROW EXECUTE FUNCTION hillpost_append_only_but_erasure('reason');
