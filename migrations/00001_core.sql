-- The core domain: outlets, registers and their sessions, payment types, products and
-- stock, customers, sales with their lines and payments. Every rule that the database can
-- hold itself is a constraint or a trigger here, so that no code path can store a state
-- the rules forbid.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION kassa_valid_timezone(tz text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM now() AT TIME ZONE tz;
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END;
$$;
-- +goose StatementEnd

CREATE TABLE outlets (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    timezone   text NOT NULL CHECK (kassa_valid_timezone(timezone)),
    currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE registers (
    id         bigserial PRIMARY KEY,
    outlet_id  bigint NOT NULL REFERENCES outlets (id),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (outlet_id, name)
);

CREATE TABLE payment_types (
    id      bigserial PRIMARY KEY,
    name    text NOT NULL CHECK (btrim(name) <> ''),
    -- counted: the amount sits in the drawer and is counted at close (cash).
    counted boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX payment_types_name_key ON payment_types (lower(name));

INSERT INTO payment_types (name, counted) VALUES
    ('Cash', true), ('Card', false), ('Bank deposit', false), ('Shopify', false);

CREATE TABLE register_sessions (
    id            bigserial PRIMARY KEY,
    register_id   bigint NOT NULL REFERENCES registers (id),
    opened_at     timestamptz NOT NULL,
    opened_by     text NOT NULL CHECK (btrim(opened_by) <> ''),
    opening_float numeric(14,2) NOT NULL CHECK (opening_float >= 0),
    closed_at     timestamptz,
    closed_by     text,
    CHECK ((closed_at IS NULL) = (closed_by IS NULL)),
    CHECK (closed_at IS NULL OR closed_at >= opened_at)
);
-- At most one open session per register.
CREATE UNIQUE INDEX register_sessions_one_open ON register_sessions (register_id) WHERE closed_at IS NULL;
CREATE INDEX register_sessions_register ON register_sessions (register_id, opened_at);

-- What staff counted per payment type when they closed the session.
CREATE TABLE register_session_counts (
    session_id      bigint NOT NULL REFERENCES register_sessions (id),
    payment_type_id bigint NOT NULL REFERENCES payment_types (id),
    counted         numeric(14,2) NOT NULL CHECK (counted >= 0),
    PRIMARY KEY (session_id, payment_type_id)
);

-- A closed session never changes: not the session row, not its counts, and nothing
-- (sale or payment) may be added to it afterwards.
-- +goose StatementBegin
CREATE FUNCTION kassa_refuse_closed_session() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sid bigint;
BEGIN
    IF TG_TABLE_NAME = 'register_sessions' THEN
        IF OLD.closed_at IS NOT NULL THEN
            RAISE EXCEPTION 'register session % is closed and cannot change', OLD.id
                USING ERRCODE = 'P0001', CONSTRAINT = 'register_session_closed';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        sid := OLD.session_id;
    ELSE
        sid := NEW.session_id;
    END IF;
    IF sid IS NOT NULL AND EXISTS (SELECT 1 FROM register_sessions WHERE id = sid AND closed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'register session % is closed and cannot change', sid
            USING ERRCODE = 'P0001', CONSTRAINT = 'register_session_closed';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER register_sessions_closed BEFORE UPDATE OR DELETE ON register_sessions
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();
CREATE TRIGGER register_session_counts_closed BEFORE INSERT OR UPDATE OR DELETE ON register_session_counts
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();

CREATE TABLE products (
    id            bigserial PRIMARY KEY,
    sku           text NOT NULL DEFAULT '',
    name          text NOT NULL CHECK (btrim(name) <> ''),
    variant_title text NOT NULL DEFAULT '',
    price         numeric(14,2) NOT NULL CHECK (price >= 0),
    tracks_stock  boolean NOT NULL DEFAULT true,
    published     boolean NOT NULL DEFAULT false,
    -- where the product came from: entered in the POS, created by an import, or made by kassa itself
    source        text NOT NULL DEFAULT 'pos' CHECK (source IN ('pos', 'shopify', 'system')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- A SKU, when there is one, names one product.
CREATE UNIQUE INDEX products_sku_key ON products (sku) WHERE sku <> '';

-- A product as another channel knows it (a Shopify variant of a product of a shop).
CREATE TABLE product_external_ids (
    channel             text NOT NULL,
    shop                text NOT NULL,
    external_variant_id bigint NOT NULL,
    external_product_id bigint,
    product_id          bigint NOT NULL REFERENCES products (id),
    PRIMARY KEY (channel, shop, external_variant_id)
);
CREATE INDEX product_external_ids_product ON product_external_ids (product_id);

CREATE TABLE customers (
    id         bigserial PRIMARY KEY,
    email      text NOT NULL DEFAULT '',
    first_name text NOT NULL DEFAULT '',
    last_name  text NOT NULL DEFAULT '',
    phone      text NOT NULL DEFAULT '',
    company    text NOT NULL DEFAULT '',
    address1   text NOT NULL DEFAULT '',
    address2   text NOT NULL DEFAULT '',
    city       text NOT NULL DEFAULT '',
    zip        text NOT NULL DEFAULT '',
    province   text NOT NULL DEFAULT '',
    country    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- One customer per e-mail address, whatever its case.
CREATE UNIQUE INDEX customers_email_key ON customers (lower(email)) WHERE email <> '';
CREATE INDEX customers_name_search ON customers (lower(first_name || ' ' || last_name) text_pattern_ops);

CREATE TABLE customer_external_ids (
    channel     text NOT NULL,
    shop        text NOT NULL,
    external_id bigint NOT NULL,
    customer_id bigint NOT NULL REFERENCES customers (id),
    PRIMARY KEY (channel, shop, external_id)
);

CREATE TABLE sales (
    id             bigserial PRIMARY KEY,
    outlet_id      bigint NOT NULL REFERENCES outlets (id),
    register_id    bigint NOT NULL REFERENCES registers (id),
    -- the session open on the register when the sale was recorded, if any
    session_id     bigint REFERENCES register_sessions (id),
    receipt_number text NOT NULL CHECK (btrim(receipt_number) <> ''),
    source         text NOT NULL CHECK (source IN ('pos', 'shopify')),
    sold_at        timestamptz NOT NULL,
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    taxes_included boolean NOT NULL DEFAULT true,
    subtotal       numeric(14,2) NOT NULL,
    discount_total numeric(14,2) NOT NULL DEFAULT 0 CHECK (discount_total >= 0),
    tax_total      numeric(14,2) NOT NULL DEFAULT 0 CHECK (tax_total >= 0),
    total          numeric(14,2) NOT NULL CHECK (total >= 0),
    -- what is still owed; lowered only by payments (trigger below), never below zero,
    -- so the database itself refuses an over-payment
    balance        numeric(14,2) NOT NULL CHECK (balance >= 0),
    status         text GENERATED ALWAYS AS (CASE WHEN balance = 0 THEN 'paid' ELSE 'awaiting_payment' END) STORED,
    customer_id    bigint REFERENCES customers (id),
    note           text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (balance <= total),
    UNIQUE (outlet_id, receipt_number)
);
CREATE INDEX sales_outlet_sold_at ON sales (outlet_id, sold_at DESC, id DESC);
CREATE INDEX sales_sold_at ON sales (sold_at DESC, id DESC);
CREATE INDEX sales_session ON sales (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX sales_awaiting ON sales (outlet_id) WHERE balance > 0;
CREATE INDEX sales_customer ON sales (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX sales_receipt_search ON sales (lower(receipt_number) text_pattern_ops);

-- A sale as another channel knows it: one sale per Shopify order of a shop.
CREATE TABLE sale_external_ids (
    channel     text NOT NULL,
    shop        text NOT NULL,
    external_id bigint NOT NULL,
    sale_id     bigint NOT NULL UNIQUE REFERENCES sales (id),
    PRIMARY KEY (channel, shop, external_id)
);

CREATE TABLE sale_lines (
    id            bigserial PRIMARY KEY,
    sale_id       bigint NOT NULL REFERENCES sales (id),
    line_no       integer NOT NULL CHECK (line_no > 0),
    product_id    bigint REFERENCES products (id),
    -- product, shipping (the shipping-fee line), custom (no product), gift_card, tip, duty
    kind          text NOT NULL CHECK (kind IN ('product', 'shipping', 'custom', 'gift_card', 'tip', 'duty')),
    sku           text NOT NULL DEFAULT '',
    title         text NOT NULL,
    variant_title text NOT NULL DEFAULT '',
    quantity      integer NOT NULL CHECK (quantity > 0),
    unit_price    numeric(14,2) NOT NULL CHECK (unit_price >= 0),
    discount      numeric(14,2) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    tax           numeric(14,2) NOT NULL DEFAULT 0 CHECK (tax >= 0),
    -- quantity × unit_price − discount, as priced (tax included or not, as the sale says)
    total         numeric(14,2) NOT NULL,
    CHECK (total = quantity * unit_price - discount),
    CHECK (kind <> 'product' OR product_id IS NOT NULL),
    CHECK (kind <> 'shipping' OR product_id IS NOT NULL),
    UNIQUE (sale_id, line_no)
);
CREATE INDEX sale_lines_product ON sale_lines (product_id);

-- The taxes of a line, one row per rate (a line may carry several, e.g. state and county).
CREATE TABLE sale_line_taxes (
    sale_line_id bigint NOT NULL REFERENCES sale_lines (id),
    title        text NOT NULL DEFAULT '',
    rate         numeric(7,4) NOT NULL CHECK (rate >= 0),
    amount       numeric(14,2) NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (sale_line_id, title, rate)
);

CREATE TABLE payments (
    id              bigserial PRIMARY KEY,
    sale_id         bigint NOT NULL REFERENCES sales (id),
    payment_type_id bigint NOT NULL REFERENCES payment_types (id),
    amount          numeric(14,2) NOT NULL CHECK (amount > 0),
    paid_at         timestamptz NOT NULL,
    register_id     bigint NOT NULL REFERENCES registers (id),
    session_id      bigint REFERENCES register_sessions (id),
    recorded_by     text NOT NULL DEFAULT '',
    -- pos: taken by staff; shopify: already collected by Shopify when the order was imported
    source          text NOT NULL DEFAULT 'pos' CHECK (source IN ('pos', 'shopify')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_sale ON payments (sale_id);
CREATE INDEX payments_session ON payments (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX payments_register_paid_at ON payments (register_id, paid_at);

-- A payment lowers its sale's balance; the balance CHECK refuses an over-payment even
-- when two terminals pay the same sale at once (the UPDATE serialises them on the row).
-- Payments are never changed or removed.
-- +goose StatementBegin
CREATE FUNCTION kassa_apply_payment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'payments cannot be changed or removed'
            USING ERRCODE = 'P0001', CONSTRAINT = 'payment_immutable';
    END IF;
    UPDATE sales SET balance = balance - NEW.amount WHERE id = NEW.sale_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER payments_apply AFTER INSERT ON payments
    FOR EACH ROW EXECUTE FUNCTION kassa_apply_payment();
CREATE TRIGGER payments_immutable BEFORE UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION kassa_apply_payment();
-- A sale starts owing its total; afterwards only payments move its balance.
-- +goose StatementBegin
CREATE FUNCTION kassa_sale_balance() RETURNS trigger
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
CREATE TRIGGER sales_balance BEFORE INSERT OR UPDATE ON sales
    FOR EACH ROW EXECUTE FUNCTION kassa_sale_balance();
CREATE TRIGGER sales_closed_session BEFORE INSERT ON sales
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();
CREATE TRIGGER payments_closed_session BEFORE INSERT ON payments
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();

CREATE TABLE stock_levels (
    product_id bigint NOT NULL REFERENCES products (id),
    outlet_id  bigint NOT NULL REFERENCES outlets (id),
    on_hand    integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, outlet_id)
);

-- The stock ledger. Levels are only ever changed through it (trigger below), so a level
-- always equals the sum of its movements. A sale line moves stock at most once.
CREATE TABLE stock_movements (
    id           bigserial PRIMARY KEY,
    product_id   bigint NOT NULL REFERENCES products (id),
    outlet_id    bigint NOT NULL REFERENCES outlets (id),
    delta        integer NOT NULL CHECK (delta <> 0),
    reason       text NOT NULL CHECK (reason IN ('sale', 'adjustment', 'count', 'receive')),
    sale_line_id bigint UNIQUE REFERENCES sale_lines (id),
    note         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (reason <> 'sale' OR sale_line_id IS NOT NULL)
);
CREATE INDEX stock_movements_outlet_created ON stock_movements (outlet_id, created_at);

-- Statement-level, so a page of imported orders updates each level once.
-- +goose StatementBegin
CREATE FUNCTION kassa_apply_stock_movements() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stock_levels AS l (product_id, outlet_id, on_hand, updated_at)
    SELECT product_id, outlet_id, sum(delta), now()
    FROM new_movements
    GROUP BY product_id, outlet_id
    ORDER BY product_id, outlet_id
    ON CONFLICT (product_id, outlet_id)
    DO UPDATE SET on_hand = l.on_hand + EXCLUDED.on_hand, updated_at = now();
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER stock_movements_apply AFTER INSERT ON stock_movements
    REFERENCING NEW TABLE AS new_movements
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_apply_stock_movements();
-- +goose StatementBegin
CREATE FUNCTION kassa_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows cannot be changed or removed', TG_TABLE_NAME
        USING ERRCODE = 'P0001', CONSTRAINT = TG_TABLE_NAME || '_immutable';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER stock_movements_immutable BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_change();

-- +goose Down
DROP TABLE stock_movements;
DROP FUNCTION kassa_apply_stock_movements();
DROP FUNCTION kassa_refuse_change();
DROP TABLE stock_levels;
DROP TABLE payments;
DROP FUNCTION kassa_apply_payment();
DROP TABLE sale_line_taxes;
DROP TABLE sale_lines;
DROP TABLE sale_external_ids;
DROP TABLE sales;
DROP FUNCTION kassa_sale_balance();
DROP TABLE customer_external_ids;
DROP TABLE customers;
DROP TABLE product_external_ids;
DROP TABLE products;
DROP TABLE register_session_counts;
DROP TABLE register_sessions;
DROP FUNCTION kassa_refuse_closed_session();
DROP TABLE payment_types;
DROP TABLE registers;
DROP TABLE outlets;
DROP FUNCTION kassa_valid_timezone(text);
