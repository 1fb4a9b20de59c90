-- A large history, searched and reported on quickly.
--
--   * Customers are found by any part of their e-mail address or name ("peeters" finds
--     "Ann Peeters"): trigram indexes (pg_trgm) answer a LIKE '%…%' without reading every
--     customer.
--   * The sales still owing a balance are listed oldest first per outlet (the nightly
--     report): the index that finds them is in that order, so the first page of them is
--     read without sorting them all.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX customers_email_trgm ON customers USING gin (lower(email) gin_trgm_ops);
CREATE INDEX customers_name_trgm ON customers USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops);
DROP INDEX sales_awaiting;
CREATE INDEX sales_awaiting ON sales (outlet_id, sold_at, id) WHERE balance > 0;

-- +goose Down
DROP INDEX sales_awaiting;
CREATE INDEX sales_awaiting ON sales (outlet_id) WHERE balance > 0;
DROP INDEX customers_name_trgm;
DROP INDEX customers_email_trgm;
DROP EXTENSION pg_trgm;
