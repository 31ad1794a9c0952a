-- What an attempt saw, kept as its attachments: the page a web form answered with (or the
-- page a step failed on) and, on the browser path, screenshots. Keyed by (delivery, attempt
-- number): the worker stores them just before it records the attempt, in the same group of
-- records. Pages are gzip-compressed (`encoding`); `sha256` and `size` are of the content
-- as served (uncompressed), which is what the audit export lists. Never updated or deleted.
-- Same columns as ../postgres/0012_attempt_evidence.sql.

CREATE TABLE attempt_evidence (
    id            INTEGER PRIMARY KEY,
    delivery_id   INTEGER NOT NULL REFERENCES deliveries (id),
    attempt_no    INTEGER NOT NULL CHECK (attempt_no >= 1),
    kind          TEXT NOT NULL CHECK (kind IN ('answer_page', 'failure_page',
                                                'screenshot_after_submit', 'screenshot_at_failure')),
    content_type  TEXT NOT NULL,
    encoding      TEXT NOT NULL CHECK (encoding IN ('gzip', 'identity')),
    content       BLOB NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    truncated     INTEGER NOT NULL CHECK (truncated IN (0, 1)),
    sha256        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (delivery_id, attempt_no, kind)
) STRICT;

CREATE TRIGGER attempt_evidence_no_update BEFORE UPDATE ON attempt_evidence
BEGIN
    SELECT RAISE(ABORT, 'attempt_evidence is append-only: rows are never updated or deleted');
END;
CREATE TRIGGER attempt_evidence_no_delete BEFORE DELETE ON attempt_evidence
BEGIN
    SELECT RAISE(ABORT, 'attempt_evidence is append-only: rows are never updated or deleted');
END;
