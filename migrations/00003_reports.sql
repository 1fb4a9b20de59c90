-- Reports: what a register session owed the outlet when it closed, and the stored nightly
-- reports of each outlet.

-- +goose Up

-- The outlet's balances still awaiting payment at the moment a session closed. Everything
-- else in a closing report is computed again from the session's own sales and payments,
-- which never change once it is closed; this figure is outlet-wide and keeps moving, so it
-- is frozen here, in the close's own transaction, and a re-printed report shows the same.
CREATE TABLE register_session_balances (
    session_id             bigint PRIMARY KEY REFERENCES register_sessions (id),
    awaiting_payment_total numeric(14,2) NOT NULL CHECK (awaiting_payment_total >= 0),
    awaiting_payment_count integer NOT NULL CHECK (awaiting_payment_count >= 0),
    recorded_at            timestamptz NOT NULL
);
CREATE TRIGGER register_session_balances_immutable BEFORE UPDATE OR DELETE ON register_session_balances
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_change();

-- One nightly report per outlet and local calendar day; generating it again replaces it.
CREATE TABLE nightly_reports (
    id           bigserial PRIMARY KEY,
    outlet_id    bigint NOT NULL REFERENCES outlets (id),
    day          date NOT NULL,
    generated_at timestamptz NOT NULL,
    body         jsonb NOT NULL,
    UNIQUE (outlet_id, day)
);

-- The nightly report totals a day's payments per outlet through the registers; the
-- shipping-fee total reads only the shipping lines.
CREATE INDEX payments_paid_at ON payments (paid_at);
CREATE INDEX sale_lines_shipping ON sale_lines (sale_id) WHERE kind = 'shipping';
CREATE INDEX stock_movements_product_outlet ON stock_movements (outlet_id, product_id, created_at);

-- +goose Down
DROP INDEX stock_movements_product_outlet;
DROP INDEX sale_lines_shipping;
DROP INDEX payments_paid_at;
DROP TABLE nightly_reports;
DROP TABLE register_session_balances;
