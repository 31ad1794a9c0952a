-- The signed statement of a receipt (receipt.json, docs/receipts.md): signed by the worker
-- when it first sends the receipt, attached to the email and offered by the receipt page.
-- Same column in ../sqlite/0017_signed_receipts.sql.
ALTER TABLE receipts ADD COLUMN statement TEXT;
