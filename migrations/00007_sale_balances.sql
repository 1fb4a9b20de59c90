-- A sale's balance is its total less its payments, kept so with fewer writes.
--
-- Until now a row trigger set every new sale's balance to its total and each payment then
-- lowered it, so a sale recorded together with its payments (an imported order) was
-- written twice, and every new sale and payment ran a row trigger of its own. Now:
--
--   * a new sale is recorded owing its total less the payments recorded with it, and a
--     statement trigger checks exactly that of every sale of the statement (and that none
--     is added to a closed session), so a sale still cannot start with any other balance;
--   * a statement's payments lock their sales, then set each balance to its total less all
--     of its payments, read after the lock: a concurrent payment of the same sale waits
--     for this one and then counts it, and the balance CHECK still refuses an over-payment.
--     (The statements that read sales and payments are planned at each call, with EXECUTE:
--     a plan PL/pgSQL kept from when the tables were small would go on scanning them whole
--     as they grow, which made a large import slow down page after page.)
--     A sale whose balance is already right (recorded with these payments) is not written
--     again;
--   * outside those triggers a balance still cannot change (sales_balance, now on UPDATE
--     only), and payments stay immutable.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION kassa_check_new_sales() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    receipt text;
    owed numeric;
    total numeric;
BEGIN
    SELECT n.session_id INTO bad
    FROM new_sales n JOIN register_sessions rs ON rs.id = n.session_id
    WHERE rs.closed_at IS NOT NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'register session % is closed and cannot change', bad.session_id
            USING ERRCODE = 'P0001', CONSTRAINT = 'register_session_closed';
    END IF;
    EXECUTE $q$
        SELECT n.receipt_number, n.balance, n.total
        FROM new_sales n
        LEFT JOIN (SELECT p.sale_id, sum(p.amount) AS paid FROM payments p
                   WHERE p.sale_id = ANY (ARRAY(SELECT id FROM new_sales)) GROUP BY p.sale_id) p ON p.sale_id = n.id
        WHERE n.balance <> n.total - coalesce(p.paid, 0) LIMIT 1$q$
    INTO receipt, owed, total;
    IF receipt IS NOT NULL THEN
        RAISE EXCEPTION 'sale % owes %, not its total % less its payments', receipt, owed, total
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_balance_payments_only';
    END IF;
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
    -- Lock first, as an UPDATE would (NO KEY: the payments' foreign key checks already
    -- hold KEY SHARE locks on these sales). The UPDATE below is a statement of its own,
    -- so it reads the payments committed by whoever held a lock before us.
    EXECUTE $q$
        SELECT 1 FROM sales WHERE id = ANY (ARRAY(SELECT sale_id FROM new_payments)) ORDER BY id FOR NO KEY UPDATE$q$;
    EXECUTE $q$
        UPDATE sales s SET balance = s.total - p.paid
        FROM (SELECT sale_id, sum(amount) AS paid FROM payments
              WHERE sale_id = ANY (ARRAY(SELECT sale_id FROM new_payments)) GROUP BY sale_id) p
        WHERE s.id = ANY (ARRAY(SELECT sale_id FROM new_payments)) AND s.id = p.sale_id
          AND s.balance <> s.total - p.paid$q$;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kassa_sale_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.balance <> OLD.balance AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'a sale''s balance changes only through payments'
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_balance_payments_only';
    ELSIF NEW.total <> OLD.total THEN
        RAISE EXCEPTION 'a sale''s total cannot change'
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_total_immutable';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER sales_balance ON sales;
DROP TRIGGER sales_closed_session ON sales;
DROP TRIGGER payments_closed_session ON payments;
CREATE TRIGGER sales_balance BEFORE UPDATE ON sales
    FOR EACH ROW EXECUTE FUNCTION kassa_sale_balance();
CREATE TRIGGER sales_check_new AFTER INSERT ON sales
    REFERENCING NEW TABLE AS new_sales
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_check_new_sales();

-- +goose Down
DROP TRIGGER sales_check_new ON sales;
DROP TRIGGER sales_balance ON sales;
DROP FUNCTION kassa_check_new_sales();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kassa_sale_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.balance := NEW.total;
    ELSIF NEW.balance <> OLD.balance AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'a sale''s balance changes only through payments'
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_balance_payments_only';
    ELSIF NEW.total <> OLD.total THEN
        RAISE EXCEPTION 'a sale''s total cannot change'
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_total_immutable';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kassa_apply_payments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sales s SET balance = s.balance - p.amount
    FROM (SELECT sale_id, sum(amount) AS amount FROM new_payments GROUP BY sale_id) p
    WHERE s.id = p.sale_id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sales_balance BEFORE INSERT OR UPDATE ON sales
    FOR EACH ROW EXECUTE FUNCTION kassa_sale_balance();
CREATE TRIGGER sales_closed_session BEFORE INSERT ON sales
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();
CREATE TRIGGER payments_closed_session BEFORE INSERT ON payments
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();
