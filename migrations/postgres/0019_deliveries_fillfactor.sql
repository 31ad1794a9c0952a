-- Room on each page of `deliveries` for a row's next version. A letter rewrites its row
-- three times (claimed, marked sending, recorded); the sending mark changes no indexed
-- column, so with room on the page it is a HOT update (no new index entries, no new page).
-- Pages written before this keep their old packing until they are rewritten.
ALTER TABLE deliveries SET (fillfactor = 80);
