-- What an attempt saw, kept as its attachments: the page a web form answered with (or the
-- page a step failed on) and, on the browser path, screenshots. Keyed by (delivery, attempt
-- number): the worker stores them just before it records the attempt, in the same group of
-- records. Pages are gzip-compressed (`encoding`); `sha256` and `size` are of the content
-- as served (uncompressed), which is what the audit export lists. Never updated or deleted.
-- Same columns as ../sqlite/0012_attempt_evidence.sql.

CREATE TABLE attempt_evidence (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id   BIGINT NOT NULL REFERENCES deliveries (id),
    attempt_no    INTEGER NOT NULL CHECK (attempt_no >= 1),
    kind          TEXT NOT NULL CHECK (kind IN ('answer_page', 'failure_page',
                                                'screenshot_after_submit', 'screenshot_at_failure')),
    content_type  TEXT NOT NULL,
    encoding      TEXT NOT NULL CHECK (encoding IN ('gzip', 'identity')),
    content       BYTEA NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    truncated     BOOLEAN NOT NULL,
    sha256        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (delivery_id, attempt_no, kind)
);

CREATE TRIGGER attempt_evidence_append_only BEFORE UPDATE OR DELETE ON attempt_evidence
    FOR EACH ROW EXECUTE FUNCTION hillpost_append_only();
