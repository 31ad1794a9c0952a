-- PostgreSQL only (a page fill factor for `deliveries`); kept so both backends' migrations
-- carry the same numbers.
SELECT 1;
