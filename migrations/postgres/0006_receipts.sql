-- Receipts: one message per consenting signer of a batch, once all their letters are final.
-- Same tables and columns as ../sqlite/0006_receipts.sql; see docs/receipts.md.

-- Where a batch's receipt links point (`[server] public_url` when the batch was created);
-- NULL: the batch sends no receipts.
ALTER TABLE batches ADD COLUMN receipt_base_url TEXT;
-- The last signature of the campaign when the batch was created: a petition's receipts go
-- to the signers it carried, not to those who signed afterwards.
ALTER TABLE batches ADD COLUMN signers_through BIGINT;

-- A receipt is a delivery like a letter (same queue, rate limits, retries, attempts), to
-- the signer, with `kind = 'receipt'`.
ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'letter' CHECK (kind IN ('letter', 'receipt'));
-- At most one receipt per signer and batch, whatever number of workers enqueue them.
CREATE UNIQUE INDEX deliveries_one_receipt ON deliveries (batch_id, signature_id) WHERE kind = 'receipt';
CREATE INDEX deliveries_by_signer ON deliveries (batch_id, signature_id);

-- What a receipt says, line by line (hillpost_core::receipt::ReceiptLine as JSON): the
-- receipt page shows these.
CREATE TABLE receipts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  BIGINT NOT NULL UNIQUE REFERENCES deliveries (id),
    batch_id     BIGINT NOT NULL REFERENCES batches (id),
    signature_id BIGINT NOT NULL REFERENCES signatures (id),
    language     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    lines        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (batch_id, signature_id)
);

-- The receipt page's tokens, as SHA-256 only. A token is minted for each attempt to send the
-- receipt (the link is put in just before sending), so every link that may have arrived works.
CREATE TABLE receipt_links (
    token_sha256 TEXT PRIMARY KEY,
    receipt_id   BIGINT NOT NULL REFERENCES receipts (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
