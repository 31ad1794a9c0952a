-- What comes back to letters' envelope senders (bounces+<delivery key>@<bounce domain>):
-- bounces, delay notices and auto-replies, and the messages that are none of these or name
-- no letter of ours, kept aside with the reason rather than dropped. A row is written once
-- and never changed: it is evidence, like an attempt. Same tables and columns as
-- ../postgres/0015_delivery_notices.sql.

CREATE TABLE delivery_notices (
    id             INTEGER PRIMARY KEY,
    received_at    INTEGER NOT NULL,
    -- Where it came from: `stdin`, `maildir:<file name>`, `api:<token>`.
    source         TEXT NOT NULL,
    -- The message as received (capped); the same message ingested twice is one row.
    message_sha256 TEXT NOT NULL UNIQUE,
    message        BLOB NOT NULL,
    -- What it was read as; NULL when it could not be read as a notice at all.
    kind           TEXT CHECK (kind IN ('failed', 'delayed', 'relayed', 'auto_reply')),
    form           TEXT CHECK (form IN ('dsn', 'exchange', 'qmail', 'auto_reply')),
    -- The enhanced status code (5.1.1), the remote server's answer, the mail system that
    -- wrote the notice, and the address it is about.
    status         TEXT,
    diagnostic     TEXT,
    reporting_mta  TEXT,
    recipient      TEXT,
    -- The delivery key it named, and the delivery that key belongs to.
    delivery_key   TEXT,
    delivery_id    INTEGER REFERENCES deliveries (id),
    -- Why nothing was done with it; NULL when it was recorded against delivery_id.
    set_aside      TEXT,
    -- What it did to the delivery, in words.
    effect         TEXT,
    CHECK (set_aside IS NOT NULL OR (delivery_id IS NOT NULL AND kind IS NOT NULL))
) STRICT;

CREATE INDEX delivery_notices_by_delivery ON delivery_notices (delivery_id)
    WHERE delivery_id IS NOT NULL;
CREATE INDEX delivery_notices_set_aside ON delivery_notices (received_at)
    WHERE set_aside IS NOT NULL;

CREATE TRIGGER delivery_notices_no_update BEFORE UPDATE ON delivery_notices
BEGIN
    SELECT RAISE(ABORT, 'delivery_notices is append-only: rows are never updated or deleted');
END;
CREATE TRIGGER delivery_notices_no_delete BEFORE DELETE ON delivery_notices
BEGIN
    SELECT RAISE(ABORT, 'delivery_notices is append-only: rows are never updated or deleted');
END;
