-- Selling at the counter: products ready to sell, counter sales with gapless receipt
-- numbers and change, voids of a sale, return documents with their refunds, and cash moved
-- in and out of the drawer.
--
--   * Outlets say whether their prices include tax (EU shops: yes) and the tax rate of a
--     product that names none. Products get a barcode (one product per barcode) and a tax
--     rate of their own. Rates are fractions, as on sale lines (0.2100 for 21 %).
--   * Receipt numbers: every register has a receipt prefix (capital letters and digits,
--     FRONT) and numbers its counter sales 1, 2, 3... without a gap, PREFIX-000001. The
--     number is the register's counter, raised in the sale's own transaction (so a sale
--     refused or rolled back uses none, and the register's row lock orders the sales of
--     one register); a trigger refuses a counter sale whose number is not the counter's
--     value, or whose receipt is not PREFIX-NNNNNN. Shopify order names are not of that
--     form ("#1001"), and nothing else is numbered so.
--   * Change: a cash payment larger than what is owed is recorded as what was kept; the
--     change given back is kept on the sale.
--   * A sale voided at the register (rung up by mistake) is not deleted: a void row names
--     it, marks it voided (its status is then "voided" and it owes nothing), and its
--     payments are voided with it (kassa does that in the same transaction). A voided
--     sale takes no payment, and a sale with a return cannot be voided.
--   * A return is a document of its own, linked to its sale (counter or Shopify): receipt
--     "<sale receipt>-R1", "-R2"..., lines with negative quantities (never more than sold
--     less already returned, checked under the sale line's lock), whether each line went
--     back to stock, and refunds (negative amounts) by payment type. Its kind is a return,
--     or an adjustment or a write-off (money given back or written off without goods);
--     its source the counter or a channel, whose refund id is remembered once per shop.
--   * Stock movements can now also be a return's restock (naming the return line, once)
--     or a void's reversal (naming the sale line, once per reason).
--   * Cash in and out of the drawer, with a reason, in an open session.
-- +goose Up
ALTER TABLE outlets
    ADD COLUMN prices_include_tax boolean NOT NULL DEFAULT true,
    ADD COLUMN default_tax_rate numeric(7,4) NOT NULL DEFAULT 0 CHECK (default_tax_rate >= 0 AND default_tax_rate < 1);

ALTER TABLE products
    ADD COLUMN barcode text NOT NULL DEFAULT '' CHECK (barcode = btrim(barcode) AND char_length(barcode) <= 64),
    ADD COLUMN tax_rate numeric(7,4) CHECK (tax_rate >= 0 AND tax_rate < 1);
CREATE UNIQUE INDEX products_barcode_key ON products (barcode) WHERE barcode <> '';
CREATE INDEX products_name_search ON products (lower(name) text_pattern_ops);

ALTER TABLE registers
    ADD COLUMN receipt_prefix text CHECK (receipt_prefix ~ '^[A-Z0-9]{1,12}$'),
    ADD COLUMN last_receipt_seq integer NOT NULL DEFAULT 0 CHECK (last_receipt_seq >= 0);
-- The prefix of a register made before: its name in capitals without other characters,
-- with its id when that is taken in the outlet or empty.
UPDATE registers r SET receipt_prefix = p.prefix
FROM (SELECT id, CASE WHEN row_number() OVER (PARTITION BY outlet_id, base ORDER BY archived_at NULLS FIRST, id) = 1 AND base <> ''
                      THEN base ELSE left(base, 8) || 'R' || id END AS prefix
      FROM (SELECT id, outlet_id, archived_at, left(upper(regexp_replace(name, '[^A-Za-z0-9]', '', 'g')), 12) AS base FROM registers) b) p
WHERE r.id = p.id;
ALTER TABLE registers ALTER COLUMN receipt_prefix SET NOT NULL;
CREATE UNIQUE INDEX registers_receipt_prefix_key ON registers (outlet_id, receipt_prefix);
-- +goose StatementBegin
CREATE FUNCTION kassa_register_prefix() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    base text;
BEGIN
    IF NEW.receipt_prefix IS NULL THEN
        base := left(upper(regexp_replace(NEW.name, '[^A-Za-z0-9]', '', 'g')), 12);
        IF base = '' OR EXISTS (SELECT 1 FROM registers WHERE outlet_id = NEW.outlet_id AND receipt_prefix = base) THEN
            base := left(base, 8) || 'R' || NEW.id;
        END IF;
        NEW.receipt_prefix := base;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER registers_receipt_prefix BEFORE INSERT ON registers
    FOR EACH ROW EXECUTE FUNCTION kassa_register_prefix();

ALTER TABLE sales
    ADD COLUMN receipt_seq integer CHECK (receipt_seq > 0),
    ADD COLUMN change_given numeric(14,2) NOT NULL DEFAULT 0 CHECK (change_given >= 0),
    ADD COLUMN voided boolean NOT NULL DEFAULT false,
    -- who rang a counter sale up, and the API token it came with (none: the command line)
    ADD COLUMN sold_by text NOT NULL DEFAULT '',
    ADD COLUMN token_id bigint REFERENCES api_tokens (id),
    ADD CONSTRAINT sales_receipt_seq_pos CHECK (receipt_seq IS NULL OR source = 'pos'),
    ADD CONSTRAINT sales_register_receipt_seq_key UNIQUE (register_id, receipt_seq);
ALTER TABLE sales DROP COLUMN status;
ALTER TABLE sales ADD COLUMN status text GENERATED ALWAYS AS (
    CASE WHEN voided THEN 'voided' WHEN balance = 0 THEN 'paid' ELSE 'awaiting_payment' END) STORED;
-- A counter sale's number is its register's counter, and its receipt says so.
-- +goose StatementBegin
CREATE FUNCTION kassa_check_receipt_seq() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    SELECT receipt_prefix, last_receipt_seq INTO r FROM registers WHERE id = NEW.register_id;
    IF NEW.receipt_seq <> r.last_receipt_seq
        OR NEW.receipt_number <> r.receipt_prefix || '-' || lpad(NEW.receipt_seq::text, 6, '0') THEN
        RAISE EXCEPTION 'receipt % is not the next receipt number of register % (%-%)', NEW.receipt_number, NEW.register_id,
            r.receipt_prefix, lpad(r.last_receipt_seq::text, 6, '0')
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_receipt_seq';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sales_receipt_seq BEFORE INSERT ON sales
    FOR EACH ROW WHEN (NEW.receipt_seq IS NOT NULL) EXECUTE FUNCTION kassa_check_receipt_seq();

CREATE TABLE sale_voids (
    id          bigserial PRIMARY KEY,
    sale_id     bigint NOT NULL UNIQUE REFERENCES sales (id),
    -- the session the sale was recorded in (checked below); it must be open
    session_id  bigint NOT NULL REFERENCES register_sessions (id),
    voided_at   timestamptz NOT NULL,
    reason      text NOT NULL CHECK (btrim(reason) <> '' AND char_length(reason) <= 500),
    recorded_by text NOT NULL CHECK (btrim(recorded_by) <> ''),
    token_id    bigint REFERENCES api_tokens (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sale_voids_session ON sale_voids (session_id);

CREATE TABLE sale_returns (
    id             bigserial PRIMARY KEY,
    sale_id        bigint NOT NULL REFERENCES sales (id),
    seq            integer NOT NULL CHECK (seq > 0),
    receipt_number text NOT NULL CHECK (btrim(receipt_number) <> ''),
    -- return: goods come back; adjustment: money given back without goods (a price
    -- correction); write_off: an amount the shop gives up
    kind           text NOT NULL DEFAULT 'return' CHECK (kind IN ('return', 'adjustment', 'write_off')),
    -- pos: at a register; shopify: refunded in the channel
    source         text NOT NULL CHECK (source IN ('pos', 'shopify')),
    outlet_id      bigint NOT NULL,
    register_id    bigint NOT NULL,
    -- the open session it was counted in (counter returns); none for a channel's refund
    session_id     bigint REFERENCES register_sessions (id),
    returned_at    timestamptz NOT NULL,
    -- the channel's own id of the refund, unique per shop, so recording it twice is refused
    external_channel text,
    external_shop    text,
    external_id      bigint,
    reason         text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 500),
    -- all amounts are what goes back: zero or negative. subtotal: the lines as priced
    -- (tax included or not, as the sale); shipping: shipping given back, tax included or
    -- not likewise; total: the money given back in all.
    subtotal       numeric(14,2) NOT NULL CHECK (subtotal <= 0),
    shipping       numeric(14,2) NOT NULL DEFAULT 0 CHECK (shipping <= 0),
    tax_total      numeric(14,2) NOT NULL DEFAULT 0 CHECK (tax_total <= 0),
    total          numeric(14,2) NOT NULL CHECK (total <= 0),
    recorded_by    text NOT NULL CHECK (btrim(recorded_by) <> ''),
    token_id       bigint REFERENCES api_tokens (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sale_id, seq),
    UNIQUE (outlet_id, receipt_number),
    UNIQUE (external_channel, external_shop, external_id),
    CHECK ((external_id IS NULL) = (external_channel IS NULL) AND (external_id IS NULL) = (external_shop IS NULL)),
    FOREIGN KEY (register_id, outlet_id) REFERENCES registers (id, outlet_id)
);
CREATE INDEX sale_returns_session ON sale_returns (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX sale_returns_outlet_returned_at ON sale_returns (outlet_id, returned_at);
CREATE INDEX sale_returns_receipt_search ON sale_returns (lower(receipt_number) text_pattern_ops);

CREATE TABLE sale_return_lines (
    id           bigserial PRIMARY KEY,
    return_id    bigint NOT NULL REFERENCES sale_returns (id),
    line_no      integer NOT NULL CHECK (line_no > 0),
    -- the sale line given back; none for an adjustment or write-off line
    sale_line_id bigint REFERENCES sale_lines (id),
    kind         text NOT NULL CHECK (kind IN ('product', 'shipping', 'custom', 'gift_card', 'tip', 'duty', 'adjustment')),
    title        text NOT NULL DEFAULT '',
    quantity     integer NOT NULL CHECK (quantity <= 0),
    -- as priced on the sale (tax included or not), and the tax in it or on it
    amount       numeric(14,2) NOT NULL CHECK (amount <= 0),
    tax          numeric(14,2) NOT NULL DEFAULT 0 CHECK (tax <= 0),
    tax_rate     numeric(7,4) CHECK (tax_rate >= 0),
    restock      boolean NOT NULL DEFAULT false,
    CHECK (kind <> 'product' OR sale_line_id IS NOT NULL OR quantity = 0),
    CHECK (NOT restock OR (sale_line_id IS NOT NULL AND quantity < 0)),
    UNIQUE (return_id, line_no)
);
CREATE INDEX sale_return_lines_sale_line ON sale_return_lines (sale_line_id) WHERE sale_line_id IS NOT NULL;

-- A line gives back at most what was sold less what earlier returns gave back; the sale
-- line is locked first, so two returns of one line at once are counted one after the
-- other. The line must be of the return's sale, and a voided sale takes no return.
-- +goose StatementBegin
CREATE FUNCTION kassa_check_return_line() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sold record;
    back integer;
    doc record;
BEGIN
    SELECT r.sale_id, s.voided, s.receipt_number INTO doc
    FROM sale_returns r JOIN sales s ON s.id = r.sale_id WHERE r.id = NEW.return_id;
    IF doc.voided THEN
        RAISE EXCEPTION 'sale % is voided and takes no return', doc.receipt_number
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_return_voided';
    END IF;
    IF NEW.sale_line_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT sale_id, quantity INTO sold FROM sale_lines WHERE id = NEW.sale_line_id FOR UPDATE;
    IF sold.sale_id IS DISTINCT FROM doc.sale_id THEN
        RAISE EXCEPTION 'sale line % is not a line of sale %', NEW.sale_line_id, doc.receipt_number
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_return_line_sale';
    END IF;
    SELECT coalesce(-sum(quantity), 0) INTO back FROM sale_return_lines WHERE sale_line_id = NEW.sale_line_id;
    IF back - NEW.quantity > sold.quantity THEN
        RAISE EXCEPTION 'sale line % sold %, % returned already: % more cannot be returned', NEW.sale_line_id, sold.quantity, back, -NEW.quantity
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_return_more_than_sold';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sale_return_lines_check BEFORE INSERT ON sale_return_lines
    FOR EACH ROW EXECUTE FUNCTION kassa_check_return_line();

CREATE TABLE refunds (
    id              bigserial PRIMARY KEY,
    return_id       bigint NOT NULL REFERENCES sale_returns (id),
    payment_type_id bigint NOT NULL REFERENCES payment_types (id),
    amount          numeric(14,2) NOT NULL CHECK (amount < 0),
    refunded_at     timestamptz NOT NULL,
    register_id     bigint NOT NULL REFERENCES registers (id),
    session_id      bigint REFERENCES register_sessions (id),
    recorded_by     text NOT NULL DEFAULT '',
    source          text NOT NULL DEFAULT 'pos' CHECK (source IN ('pos', 'shopify')),
    token_id        bigint REFERENCES api_tokens (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_return ON refunds (return_id);
CREATE INDEX refunds_session ON refunds (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX refunds_register_refunded_at ON refunds (register_id, refunded_at);

-- A voided sale: it must be a counter sale of the open session named, have no return, and
-- it then owes nothing (its payments are voided with it).
-- +goose StatementBegin
CREATE FUNCTION kassa_check_sale_void() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    s record;
BEGIN
    SELECT id, source, session_id, receipt_number INTO s FROM sales WHERE id = NEW.sale_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN NEW; -- the foreign key refuses it
    END IF;
    IF s.source <> 'pos' OR s.session_id IS DISTINCT FROM NEW.session_id THEN
        RAISE EXCEPTION 'sale % can be voided only in the register session that recorded it', s.receipt_number
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_void_session';
    END IF;
    IF EXISTS (SELECT 1 FROM sale_returns WHERE sale_id = NEW.sale_id) THEN
        RAISE EXCEPTION 'sale % has a return and cannot be voided', s.receipt_number
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_void_returned';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sale_voids_check BEFORE INSERT ON sale_voids
    FOR EACH ROW EXECUTE FUNCTION kassa_check_sale_void();
-- +goose StatementBegin
CREATE FUNCTION kassa_apply_sale_void() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sales SET voided = true, balance = 0 WHERE id = NEW.sale_id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sale_voids_apply AFTER INSERT ON sale_voids
    FOR EACH ROW EXECUTE FUNCTION kassa_apply_sale_void();

-- voided changes only through a void (the balance trigger already guards the balance).
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
    ELSIF NEW.voided IS DISTINCT FROM OLD.voided AND (pg_trigger_depth() < 2 OR NOT NEW.voided) THEN
        RAISE EXCEPTION 'a sale is voided only by a void, once'
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_voided_by_void';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- Payments: a voided sale takes none; a voided sale owes nothing (otherwise as in 00011).
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

CREATE TRIGGER sale_voids_closed BEFORE INSERT OR UPDATE OR DELETE ON sale_voids
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();
CREATE TRIGGER sale_voids_immutable BEFORE UPDATE OR DELETE ON sale_voids
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_change();
CREATE TRIGGER sale_returns_closed BEFORE INSERT OR UPDATE OR DELETE ON sale_returns
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();
CREATE TRIGGER sale_returns_immutable BEFORE UPDATE OR DELETE ON sale_returns
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_change();
CREATE TRIGGER sale_return_lines_immutable BEFORE UPDATE OR DELETE ON sale_return_lines
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_change();
CREATE TRIGGER refunds_closed BEFORE INSERT OR UPDATE OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();
CREATE TRIGGER refunds_immutable BEFORE UPDATE OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_change();

-- Stock: a return's restock names its return line (once); a void's reversal names the sale
-- line, once per reason.
ALTER TABLE stock_movements
    DROP CONSTRAINT stock_movements_reason_check,
    ADD CONSTRAINT stock_movements_reason_check CHECK (reason IN ('sale', 'adjustment', 'count', 'receive', 'return', 'void')),
    ADD COLUMN return_line_id bigint UNIQUE REFERENCES sale_return_lines (id),
    DROP CONSTRAINT stock_movements_sale_line_id_key,
    ADD CONSTRAINT stock_movements_sale_line_reason_key UNIQUE (sale_line_id, reason),
    ADD CONSTRAINT stock_movements_void_line CHECK (reason <> 'void' OR sale_line_id IS NOT NULL),
    ADD CONSTRAINT stock_movements_return_line CHECK ((reason = 'return') = (return_line_id IS NOT NULL));

CREATE TABLE register_cash_movements (
    id          bigserial PRIMARY KEY,
    register_id bigint NOT NULL REFERENCES registers (id),
    session_id  bigint NOT NULL REFERENCES register_sessions (id),
    -- in: paid into the drawer (a float top-up); out: taken out (petty cash, a bank drop)
    kind        text NOT NULL CHECK (kind IN ('in', 'out')),
    amount      numeric(14,2) NOT NULL CHECK (amount > 0),
    reason      text NOT NULL CHECK (btrim(reason) <> '' AND char_length(reason) <= 200),
    moved_at    timestamptz NOT NULL,
    recorded_by text NOT NULL CHECK (btrim(recorded_by) <> ''),
    token_id    bigint REFERENCES api_tokens (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX register_cash_movements_session ON register_cash_movements (session_id);
CREATE INDEX register_cash_movements_register_moved_at ON register_cash_movements (register_id, moved_at);
CREATE TRIGGER register_cash_movements_closed BEFORE INSERT OR UPDATE OR DELETE ON register_cash_movements
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();
CREATE TRIGGER register_cash_movements_immutable BEFORE UPDATE OR DELETE ON register_cash_movements
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_change();

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM sale_voids) OR EXISTS (SELECT 1 FROM sale_returns) THEN
        RAISE EXCEPTION 'sales have been voided or returned: rolling back migration 17 would lose the voids and returns and leave stock and balances wrong';
    END IF;
END;
$$;
-- +goose StatementEnd
DROP TABLE register_cash_movements;
ALTER TABLE stock_movements
    DROP CONSTRAINT stock_movements_return_line,
    DROP CONSTRAINT stock_movements_void_line,
    DROP CONSTRAINT stock_movements_sale_line_reason_key,
    ADD CONSTRAINT stock_movements_sale_line_id_key UNIQUE (sale_line_id),
    DROP COLUMN return_line_id,
    DROP CONSTRAINT stock_movements_reason_check,
    ADD CONSTRAINT stock_movements_reason_check CHECK (reason IN ('sale', 'adjustment', 'count', 'receive'));
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION kassa_apply_voids() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$
        SELECT 1 FROM sales WHERE id = ANY (ARRAY(
            SELECT p.sale_id FROM new_voids v JOIN payments p ON p.id = v.payment_id))
        ORDER BY id FOR NO KEY UPDATE$q$;
    EXECUTE $q$
        UPDATE sales s SET balance = s.total - coalesce((
            SELECT sum(p.amount) FROM payments p
            WHERE p.sale_id = s.id AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)), 0)
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
DROP TABLE refunds;
DROP TABLE sale_return_lines;
DROP FUNCTION kassa_check_return_line();
DROP TABLE sale_returns;
DROP TABLE sale_voids;
DROP FUNCTION kassa_apply_sale_void();
DROP FUNCTION kassa_check_sale_void();
DROP TRIGGER sales_receipt_seq ON sales;
DROP FUNCTION kassa_check_receipt_seq();
ALTER TABLE sales DROP COLUMN status;
ALTER TABLE sales ADD COLUMN status text GENERATED ALWAYS AS (CASE WHEN balance = 0 THEN 'paid' ELSE 'awaiting_payment' END) STORED;
ALTER TABLE sales
    DROP CONSTRAINT sales_register_receipt_seq_key,
    DROP CONSTRAINT sales_receipt_seq_pos,
    DROP COLUMN token_id,
    DROP COLUMN sold_by,
    DROP COLUMN voided,
    DROP COLUMN change_given,
    DROP COLUMN receipt_seq;
DROP TRIGGER registers_receipt_prefix ON registers;
DROP FUNCTION kassa_register_prefix();
DROP INDEX registers_receipt_prefix_key;
ALTER TABLE registers DROP COLUMN last_receipt_seq, DROP COLUMN receipt_prefix;
DROP INDEX products_name_search;
DROP INDEX products_barcode_key;
ALTER TABLE products DROP COLUMN tax_rate, DROP COLUMN barcode;
ALTER TABLE outlets DROP COLUMN default_tax_rate, DROP COLUMN prices_include_tax;
