-- PostgreSQL only (fewer index entries per claimed and recorded letter on the scale-out
-- backend); kept so both backends' migrations carry the same numbers.
SELECT 1;
