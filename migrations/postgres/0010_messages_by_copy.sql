-- A batch's letters are written with COPY in the transaction that creates the batch, like
-- its deliveries (0007). The foreign key to `batches` was a trigger per letter: 100,000
-- checks of the batch row the same transaction had just inserted. `create_batch` is the
-- only writer and uses the id its own insert returned; batches are never deleted (0007's
-- triggers refuse it), so nothing the key guarded can happen.
ALTER TABLE messages DROP CONSTRAINT messages_batch_id_fkey;
