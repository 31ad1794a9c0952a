-- The signed statement of a receipt (receipt.json, docs/receipts.md): signed by the worker
-- when it first sends the receipt, attached to the email and offered by the receipt page.
ALTER TABLE receipts ADD COLUMN statement TEXT;
