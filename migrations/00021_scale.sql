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
--   * A payment locks the sales it pays before it sums their payments, so that a concurrent
--     payment of the same sale waits and then counts it. A sale recorded by the paying
--     transaction itself (an imported order, with its payments) is seen by no other
--     transaction yet, so it is not locked: the lock wrote every imported sale a second
--     time.
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kassa_apply_payments() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.session_id INTO bad
    FROM new_payments n JOIN register_sessions rs ON rs.id = n.session_id
    WHERE rs.closed_at IS NOT NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'register session % is closed and cannot change', bad.session_id
            USING ERRCODE = 'P0001', CONSTRAINT = 'register_session_closed';
    END IF;
    -- A sale this transaction recorded is seen by no other until it commits, and no other
    -- can pay it before then (its payment's foreign key check waits for this one): only
    -- the others are locked.
    EXECUTE $q$
        SELECT 1 FROM sales WHERE id = ANY (ARRAY(SELECT sale_id FROM new_payments))
          AND xmin <> (pg_current_xact_id()::text::bigint % 4294967296)::text::xid
        ORDER BY id FOR NO KEY UPDATE$q$;
    EXECUTE $q$
        SELECT receipt_number FROM sales WHERE id = ANY (ARRAY(SELECT sale_id FROM new_payments)) AND voided LIMIT 1$q$
    INTO bad;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'sale % is voided and takes no payment', bad.receipt_number
            USING ERRCODE = 'P0001', CONSTRAINT = 'payment_sale_voided';
    END IF;
    EXECUTE $q$
        UPDATE sales s SET balance = s.total + p.owed - p.paid
        FROM (SELECT ss.id AS sale_id,
                  coalesce((SELECT sum(amount) FROM payments pp WHERE pp.sale_id = ss.id
                      AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = pp.id)), 0) AS paid,
                  coalesce((SELECT sum(owed) FROM sale_returns r WHERE r.sale_id = ss.id), 0) AS owed
              FROM sales ss WHERE ss.id = ANY (ARRAY(SELECT sale_id FROM new_payments))) p
        WHERE s.id = p.sale_id AND s.balance <> s.total + p.owed - p.paid$q$;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- The payments' trigger as migration 19 left it.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kassa_apply_payments() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.session_id INTO bad
    FROM new_payments n JOIN register_sessions rs ON rs.id = n.session_id
    WHERE rs.closed_at IS NOT NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'register session % is closed and cannot change', bad.session_id
            USING ERRCODE = 'P0001', CONSTRAINT = 'register_session_closed';
    END IF;
    EXECUTE $q$
        SELECT 1 FROM sales WHERE id = ANY (ARRAY(SELECT sale_id FROM new_payments)) ORDER BY id FOR NO KEY UPDATE$q$;
    EXECUTE $q$
        SELECT receipt_number FROM sales WHERE id = ANY (ARRAY(SELECT sale_id FROM new_payments)) AND voided LIMIT 1$q$
    INTO bad;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'sale % is voided and takes no payment', bad.receipt_number
            USING ERRCODE = 'P0001', CONSTRAINT = 'payment_sale_voided';
    END IF;
    EXECUTE $q$
        UPDATE sales s SET balance = s.total + p.owed - p.paid
        FROM (SELECT ss.id AS sale_id,
                  coalesce((SELECT sum(amount) FROM payments pp WHERE pp.sale_id = ss.id
                      AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = pp.id)), 0) AS paid,
                  coalesce((SELECT sum(owed) FROM sale_returns r WHERE r.sale_id = ss.id), 0) AS owed
              FROM sales ss WHERE ss.id = ANY (ARRAY(SELECT sale_id FROM new_payments))) p
        WHERE s.id = p.sale_id AND s.balance <> s.total + p.owed - p.paid$q$;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP INDEX sales_awaiting;
CREATE INDEX sales_awaiting ON sales (outlet_id) WHERE balance > 0;
CREATE INDEX sale_lines_shipping ON sale_lines (sale_id) WHERE kind = 'shipping';
CREATE INDEX customers_name_search ON customers (lower(first_name || ' ' || last_name) text_pattern_ops);
DROP INDEX customers_name_trgm;
DROP INDEX customers_email_trgm;
DROP EXTENSION pg_trgm;
