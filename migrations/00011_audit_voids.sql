-- Who did it, numbered closes, and taking back a payment recorded in error.
--
--   * The audit trail: a session's opening and closing, and a payment, keep the API token
--     they came with (its id; NULL when they came from the command line, which has no
--     token) next to the staff member's name the request gave (opened_by, closed_by,
--     recorded_by). Rows recorded before this migration have no token either.
--   * Z numbers: every register numbers its closes 1, 2, 3... without a gap. The number is
--     given by the trigger below in the close's own transaction (the highest number of the
--     register's sessions plus one), so a close that is refused or rolled back uses none,
--     and the unique index refuses two closes with one number. kassa takes the register's
--     row lock before it closes, so closes of one register are numbered one after the other.
--     Sessions closed before this migration are numbered in the order they were closed.
--   * Payment voids: a payment taken at a register in error is taken back by a void, a row
--     of its own naming the payment (a payment is still never changed or removed). A void
--     belongs to the session that took the payment, which must still be open (the
--     closed-session trigger refuses it otherwise, as it refuses any change to a closed
--     session), a payment is voided at most once, and a payment Shopify collected cannot
--     be voided at a register. A sale's balance is now its total less its payments that
--     are not voided: the payments' trigger counts only those, and a void's trigger gives
--     the balance back the same way, locking the sale first as a payment does.
--
-- The check of new sales (kassa_check_new_sales) is left as it is: a void names a payment,
-- which names its sale, so no payment of a sale being recorded can be voided yet.
--
-- Down refuses to run once a payment has been voided: the schema before it cannot tell a
-- voided payment from another, so every balance restored by a void would be wrong.

-- +goose Up
ALTER TABLE payments ADD COLUMN token_id bigint REFERENCES api_tokens (id);

ALTER TABLE register_sessions
    ADD COLUMN opened_token_id bigint REFERENCES api_tokens (id),
    ADD COLUMN closed_token_id bigint REFERENCES api_tokens (id),
    ADD COLUMN z_number integer CHECK (z_number > 0);
-- A closed session never changes, so its trigger is set aside while the sessions closed
-- so far are numbered.
ALTER TABLE register_sessions DISABLE TRIGGER register_sessions_closed;
UPDATE register_sessions s SET z_number = n.z
FROM (SELECT id, row_number() OVER (PARTITION BY register_id ORDER BY closed_at, id) AS z
      FROM register_sessions WHERE closed_at IS NOT NULL) n
WHERE s.id = n.id;
ALTER TABLE register_sessions ENABLE TRIGGER register_sessions_closed;
ALTER TABLE register_sessions
    ADD CONSTRAINT register_sessions_z_number_closed CHECK ((z_number IS NULL) = (closed_at IS NULL)),
    ADD CONSTRAINT register_sessions_closed_token CHECK (closed_at IS NOT NULL OR closed_token_id IS NULL);
CREATE UNIQUE INDEX register_sessions_z_number ON register_sessions (register_id, z_number);

-- +goose StatementBegin
CREATE FUNCTION kassa_number_close() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.closed_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.closed_at IS NULL) THEN
        NEW.z_number := (SELECT coalesce(max(z_number), 0) + 1 FROM register_sessions WHERE register_id = NEW.register_id);
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER register_sessions_z_number BEFORE INSERT OR UPDATE ON register_sessions
    FOR EACH ROW EXECUTE FUNCTION kassa_number_close();

CREATE TABLE payment_voids (
    id          bigserial PRIMARY KEY,
    payment_id  bigint NOT NULL UNIQUE REFERENCES payments (id),
    -- the session that took the payment (checked below); it must be open
    session_id  bigint NOT NULL REFERENCES register_sessions (id),
    voided_at   timestamptz NOT NULL,
    reason      text NOT NULL CHECK (btrim(reason) <> '' AND char_length(reason) <= 500),
    recorded_by text NOT NULL CHECK (btrim(recorded_by) <> ''),
    token_id    bigint REFERENCES api_tokens (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_voids_session ON payment_voids (session_id);

-- +goose StatementBegin
CREATE FUNCTION kassa_check_void() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    p record;
BEGIN
    SELECT source, session_id INTO p FROM payments WHERE id = NEW.payment_id;
    IF NOT FOUND THEN
        RETURN NEW; -- the foreign key refuses it
    END IF;
    IF p.source <> 'pos' THEN
        RAISE EXCEPTION 'payment % was collected by Shopify and cannot be voided at a register', NEW.payment_id
            USING ERRCODE = 'P0001', CONSTRAINT = 'payment_void_not_pos';
    END IF;
    IF p.session_id IS DISTINCT FROM NEW.session_id THEN
        RAISE EXCEPTION 'payment % can be voided only in the register session that took it', NEW.payment_id
            USING ERRCODE = 'P0001', CONSTRAINT = 'payment_void_session';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER payment_voids_check BEFORE INSERT ON payment_voids
    FOR EACH ROW EXECUTE FUNCTION kassa_check_void();
CREATE TRIGGER payment_voids_closed BEFORE INSERT OR UPDATE OR DELETE ON payment_voids
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_closed_session();
CREATE TRIGGER payment_voids_immutable BEFORE UPDATE OR DELETE ON payment_voids
    FOR EACH ROW EXECUTE FUNCTION kassa_refuse_change();

-- A void gives its payment's amount back to the sale's balance: lock the sales (as a
-- payment does), then set each balance to its total less its payments not voided, read
-- after the lock.
-- +goose StatementBegin
CREATE FUNCTION kassa_apply_voids() RETURNS trigger
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
CREATE TRIGGER payment_voids_apply AFTER INSERT ON payment_voids
    REFERENCING NEW TABLE AS new_voids
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_apply_voids();

-- Payments count towards a balance unless voided (otherwise as in 00007).
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

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM payment_voids) THEN
        RAISE EXCEPTION 'payments have been voided: rolling back migration 11 would lose the voids and leave their sales'' balances wrong';
    END IF;
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
        FROM (SELECT sale_id, sum(amount) AS paid FROM payments
              WHERE sale_id = ANY (ARRAY(SELECT sale_id FROM new_payments)) GROUP BY sale_id) p
        WHERE s.id = ANY (ARRAY(SELECT sale_id FROM new_payments)) AND s.id = p.sale_id
          AND s.balance <> s.total - p.paid$q$;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TABLE payment_voids;
DROP FUNCTION kassa_apply_voids();
DROP FUNCTION kassa_check_void();
DROP TRIGGER register_sessions_z_number ON register_sessions;
DROP FUNCTION kassa_number_close();
DROP INDEX register_sessions_z_number;
ALTER TABLE register_sessions
    DROP COLUMN z_number,
    DROP COLUMN opened_token_id,
    DROP COLUMN closed_token_id;
ALTER TABLE payments DROP COLUMN token_id;
