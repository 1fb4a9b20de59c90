-- Orders as they really are: an order that changed in Shopify (edited, refunded, cancelled,
-- collected in store) is imported as it stands, and what Shopify does to it after import
-- is recorded against its sale.
--
-- A connection says whether it imports local-pickup orders (by default a pickup is no
-- shipping method, and not imported). The import log gains two outcomes: 'updated' (a
-- change Shopify made to an imported order was recorded) and 'needs_review' (a change
-- kassa cannot express; the reason says what differs), each counted by its run.

--
-- An imported sale remembers Shopify's update time of its order as kassa last took it in
-- (at the import, then at each change recorded): an order seen again with the same time
-- is already_imported without a look at its sale; NULL (sales imported before) is
-- compared once.

-- +goose Up
ALTER TABLE shopify_connections ADD COLUMN import_pickups boolean NOT NULL DEFAULT false;
ALTER TABLE sale_external_ids ADD COLUMN external_updated_at timestamptz;
-- The channel's refunds the sale already reflects because they were made before it was
-- imported (it was imported as the order stood): they are never recorded again.
ALTER TABLE sale_external_ids ADD COLUMN known_refunds bigint[] NOT NULL DEFAULT '{}';

ALTER TABLE import_runs
    ADD COLUMN updated integer NOT NULL DEFAULT 0,
    ADD COLUMN needs_review integer NOT NULL DEFAULT 0;

ALTER TABLE import_outcomes DROP CONSTRAINT import_outcomes_outcome_check;
ALTER TABLE import_outcomes ADD CONSTRAINT import_outcomes_outcome_check CHECK (outcome IN ('imported',
    'already_imported', 'too_old', 'no_shipping_method', 'test_order', 'cancelled', 'failed', 'updated',
    'needs_review'));
ALTER TABLE import_outcomes ADD CONSTRAINT import_outcomes_needs_review_reason CHECK (outcome <> 'needs_review' OR reason <> '');
-- When the order was created in Shopify, so that orders that failed and are about to leave
-- Shopify's 60-day window can be found (NULL for outcomes logged before).
ALTER TABLE import_outcomes ADD COLUMN order_created_at timestamptz;
CREATE INDEX import_outcomes_changes ON import_outcomes (connection_id, created_at) WHERE outcome IN ('updated', 'needs_review');

-- A document recorded against an imported sale after Shopify changed the order (a return,
-- an adjustment, a write-off) can lower what the buyer still owes: owed is that change,
-- zero or negative (an unpaid order's lines removed by an edit, the balance of a cancelled
-- order written off). A sale's balance is its total, plus its documents' owed, less its
-- payments (voids left out); the payment and void triggers keep it so, and a document's
-- insert moves it by its owed. The balance stays between 0 and the total.
ALTER TABLE sale_returns ADD COLUMN owed numeric(14,2) NOT NULL DEFAULT 0 CHECK (owed <= 0);

-- +goose StatementBegin
CREATE FUNCTION kassa_sale_returns_owed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.owed <> 0 THEN
        UPDATE sales SET balance = balance + NEW.owed WHERE id = NEW.sale_id;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sale_returns_owed AFTER INSERT ON sale_returns
    FOR EACH ROW EXECUTE FUNCTION kassa_sale_returns_owed();

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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kassa_apply_voids() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$
        SELECT 1 FROM sales WHERE id = ANY (ARRAY(
            SELECT p.sale_id FROM new_voids v JOIN payments p ON p.id = v.payment_id))
        ORDER BY id FOR NO KEY UPDATE$q$;
    EXECUTE $q$
        UPDATE sales s SET balance = CASE WHEN s.voided THEN 0 ELSE s.total
            + coalesce((SELECT sum(r.owed) FROM sale_returns r WHERE r.sale_id = s.id), 0)
            - coalesce((SELECT sum(p.amount) FROM payments p
                WHERE p.sale_id = s.id AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)), 0) END
        WHERE s.id = ANY (ARRAY(SELECT p.sale_id FROM new_voids v JOIN payments p ON p.id = v.payment_id))$q$;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM sale_returns WHERE owed <> 0) THEN
        RAISE EXCEPTION 'documents have lowered what imported sales owe: rolling back migration 19 would leave those balances wrong';
    END IF;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kassa_apply_voids() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$
        SELECT 1 FROM sales WHERE id = ANY (ARRAY(
            SELECT p.sale_id FROM new_voids v JOIN payments p ON p.id = v.payment_id))
        ORDER BY id FOR NO KEY UPDATE$q$;
    EXECUTE $q$
        UPDATE sales s SET balance = CASE WHEN s.voided THEN 0 ELSE s.total - coalesce((
            SELECT sum(p.amount) FROM payments p
            WHERE p.sale_id = s.id AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)), 0) END
        WHERE s.id = ANY (ARRAY(SELECT p.sale_id FROM new_voids v JOIN payments p ON p.id = v.payment_id))$q$;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
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
        UPDATE sales s SET balance = s.total - p.paid
        FROM (SELECT sale_id, sum(amount) AS paid FROM payments pp
              WHERE sale_id = ANY (ARRAY(SELECT sale_id FROM new_payments))
                AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = pp.id)
              GROUP BY sale_id) p
        WHERE s.id = ANY (ARRAY(SELECT sale_id FROM new_payments)) AND s.id = p.sale_id
          AND s.balance <> s.total - p.paid$q$;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER sale_returns_owed ON sale_returns;
DROP FUNCTION kassa_sale_returns_owed();
ALTER TABLE sale_returns DROP COLUMN owed;
DROP INDEX import_outcomes_changes;
ALTER TABLE import_outcomes DROP COLUMN order_created_at;
ALTER TABLE import_outcomes DROP CONSTRAINT import_outcomes_needs_review_reason;
-- The older schema knows neither outcome: their log rows go with it.
DELETE FROM import_outcomes WHERE outcome IN ('updated', 'needs_review');
ALTER TABLE import_outcomes DROP CONSTRAINT import_outcomes_outcome_check;
ALTER TABLE import_outcomes ADD CONSTRAINT import_outcomes_outcome_check CHECK (outcome IN ('imported',
    'already_imported', 'too_old', 'no_shipping_method', 'test_order', 'cancelled', 'failed'));
ALTER TABLE import_runs DROP COLUMN needs_review, DROP COLUMN updated;
ALTER TABLE sale_external_ids DROP COLUMN known_refunds, DROP COLUMN external_updated_at;
ALTER TABLE shopify_connections DROP COLUMN import_pickups;
