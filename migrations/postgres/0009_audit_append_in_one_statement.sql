-- Appending to the audit chain holds its one-row head locked, so every worker's records
-- wait for it in turn. Appending used three round trips while holding it (lock and read the
-- head; seal in the client; insert the events and move the head) before the commit. This
-- function does all of it inside one statement, so the head is held for that statement
-- and the commit only.
--
-- The client sends each event's canonical text without its seq (see
-- `hillpost_core::audit::UnsealedEvent`); the hash is the same as the client would compute:
-- hex(SHA-256(prev_hash ‖ canonical_prefix ‖ seq ‖ '}')), and `audit verify` recomputes it
-- in the client.
CREATE FUNCTION hillpost_audit_append(
    canonical_prefixes text[], ats timestamptz[], kinds text[], actors text[], campaign_ids text[],
    batch_ids int8[], delivery_ids int8[], attempt_ids int8[], payloads text[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    head_seq int8;
    head_hash text;
    n int := coalesce(array_length(canonical_prefixes, 1), 0);
    seqs int8[] := '{}';
    prev_hashes text[] := '{}';
    hashes text[] := '{}';
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    SELECT seq, hash INTO head_seq, head_hash FROM audit_head WHERE id = 1 FOR UPDATE;
    FOR i IN 1..n LOOP
        head_seq := head_seq + 1;
        seqs := seqs || head_seq;
        prev_hashes := prev_hashes || head_hash;
        head_hash := encode(sha256(convert_to(
            head_hash || canonical_prefixes[i] || head_seq::text || '}', 'UTF8')), 'hex');
        hashes := hashes || head_hash;
    END LOOP;
    INSERT INTO audit_events (seq, at, kind, actor, campaign_id, batch_id, delivery_id, attempt_id, payload,
                              prev_hash, hash)
    SELECT * FROM unnest(seqs, ats, kinds, actors, campaign_ids, batch_ids, delivery_ids, attempt_ids, payloads,
                         prev_hashes, hashes);
    UPDATE audit_head SET seq = head_seq, hash = head_hash WHERE id = 1;
END;
$$;
