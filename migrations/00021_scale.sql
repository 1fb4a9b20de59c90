-- A large history, searched and reported on quickly.
--
--   * Customers are found by any part of their e-mail address or name ("peeters" finds
--     "Ann Peeters"): trigram indexes (pg_trgm) answer a LIKE '%…%' without reading every
--     customer.
--   * An index whose lookups another index already answers only costs every write (an
--     import writes thousands of rows a second): the name search's btree is replaced by
--     the trigram index (which answers prefixes too), and the shipping lines' partial
--     index by the sale lines' (sale_id, line_no) key, which finds a sale's few lines
--     as fast.
--   * The sales still owing a balance are listed oldest first per outlet (the nightly
--     report): the index that finds them is in that order, so the first page of them is
--     read without sorting them all.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX customers_email_trgm ON customers USING gin (lower(email) gin_trgm_ops);
CREATE INDEX customers_name_trgm ON customers USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops);
DROP INDEX customers_name_search;
DROP INDEX sale_lines_shipping;
DROP INDEX sales_awaiting;
CREATE INDEX sales_awaiting ON sales (outlet_id, sold_at, id) WHERE balance > 0;

-- +goose Down
DROP INDEX sales_awaiting;
CREATE INDEX sales_awaiting ON sales (outlet_id) WHERE balance > 0;
CREATE INDEX sale_lines_shipping ON sale_lines (sale_id) WHERE kind = 'shipping';
CREATE INDEX customers_name_search ON customers (lower(first_name || ' ' || last_name) text_pattern_ops);
DROP INDEX customers_name_trgm;
DROP INDEX customers_email_trgm;
DROP EXTENSION pg_trgm;
