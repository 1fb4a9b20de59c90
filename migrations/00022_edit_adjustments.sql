-- An order edited in Shopify after its import becomes an adjustment document with the
-- difference: negative lines for what the edit took off, and now positive lines for what it
-- added (a line added, a quantity raised), with the stock that left for them.
--
--   * A document line's figures go one way: all given back (quantity, amount and tax zero
--     or negative) or all added (zero or positive); only an adjustment adds.
--   * An added line names the sale line it adds units to, or, for goods the sale does not
--     have, the product (product_id): later documents give those units back through the
--     same product, never more than were added (checked under the sale's lock, which every
--     document takes first).
--   * An adjustment's totals and owed follow its lines, either way: the buyer can owe more
--     after an edit (Shopify's outstanding amount grows). A sale's balance is still its
--     total plus its documents' owed less its payments, never negative; it may now exceed
--     the sale's own total, so that bound goes (the payment and void triggers compute the
--     balance from all three).

-- +goose Up
ALTER TABLE sale_return_lines ADD COLUMN product_id bigint REFERENCES products (id);
-- The SKU of such goods as the channel named it (a sale line keeps its own).
ALTER TABLE sale_return_lines ADD COLUMN sku text NOT NULL DEFAULT '' CHECK (char_length(sku) <= 255);
CREATE INDEX sale_return_lines_product ON sale_return_lines (product_id) WHERE product_id IS NOT NULL;
ALTER TABLE sale_return_lines
    DROP CONSTRAINT sale_return_lines_quantity_check,
    DROP CONSTRAINT sale_return_lines_amount_check,
    DROP CONSTRAINT sale_return_lines_tax_check,
    DROP CONSTRAINT sale_return_lines_check,
    DROP CONSTRAINT sale_return_lines_check1,
    ADD CONSTRAINT sale_return_lines_sign CHECK ((quantity <= 0 AND amount <= 0 AND tax <= 0) OR (quantity >= 0 AND amount >= 0 AND tax >= 0)),
    ADD CONSTRAINT sale_return_lines_goods CHECK (sale_line_id IS NULL OR product_id IS NULL),
    ADD CONSTRAINT sale_return_lines_product CHECK (kind <> 'product' OR sale_line_id IS NOT NULL OR product_id IS NOT NULL OR quantity = 0),
    ADD CONSTRAINT sale_return_lines_stock CHECK (NOT restock OR ((sale_line_id IS NOT NULL OR product_id IS NOT NULL) AND quantity <> 0));
ALTER TABLE sale_returns
    DROP CONSTRAINT sale_returns_subtotal_check,
    DROP CONSTRAINT sale_returns_tax_total_check,
    DROP CONSTRAINT sale_returns_total_check,
    DROP CONSTRAINT sale_returns_owed_check,
    ADD CONSTRAINT sale_returns_gives_back CHECK (kind = 'adjustment' OR (subtotal <= 0 AND tax_total <= 0 AND total <= 0 AND owed <= 0));
ALTER TABLE sales DROP CONSTRAINT sales_check;

-- A line that adds belongs to an adjustment; a line of a product the sale does not have
-- gives back no more of it than the sale's documents added.
-- +goose StatementBegin
CREATE FUNCTION kassa_check_added_line() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    doc record;
    held integer;
BEGIN
    SELECT r.sale_id, r.kind, r.receipt_number INTO doc FROM sale_returns r WHERE r.id = NEW.return_id;
    IF (NEW.quantity > 0 OR NEW.amount > 0 OR NEW.tax > 0) AND doc.kind <> 'adjustment' THEN
        RAISE EXCEPTION 'document % is a %: only an adjustment adds goods or money', doc.receipt_number, doc.kind
            USING ERRCODE = 'P0001', CONSTRAINT = 'sale_return_adds';
    END IF;
    IF NEW.product_id IS NOT NULL AND NEW.quantity < 0 THEN
        SELECT coalesce(sum(l.quantity), 0) INTO held FROM sale_return_lines l JOIN sale_returns r ON r.id = l.return_id
        WHERE r.sale_id = doc.sale_id AND l.product_id = NEW.product_id;
        IF held + NEW.quantity < 0 THEN
            RAISE EXCEPTION 'product % was added % times to the sale of %: % more cannot be given back', NEW.product_id, held, doc.receipt_number, -NEW.quantity
                USING ERRCODE = 'P0001', CONSTRAINT = 'sale_return_more_than_sold';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sale_return_lines_added BEFORE INSERT ON sale_return_lines
    FOR EACH ROW EXECUTE FUNCTION kassa_check_added_line();

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM sale_return_lines WHERE quantity > 0 OR amount > 0 OR tax > 0 OR product_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM sale_returns WHERE owed > 0) THEN
        RAISE EXCEPTION 'edits have added goods to imported sales: rolling back migration 22 would lose them and leave stock and balances wrong';
    END IF;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER sale_return_lines_added ON sale_return_lines;
DROP FUNCTION kassa_check_added_line();
ALTER TABLE sales ADD CONSTRAINT sales_check CHECK (balance <= total);
ALTER TABLE sale_returns
    DROP CONSTRAINT sale_returns_gives_back,
    ADD CONSTRAINT sale_returns_subtotal_check CHECK (subtotal <= 0),
    ADD CONSTRAINT sale_returns_tax_total_check CHECK (tax_total <= 0),
    ADD CONSTRAINT sale_returns_total_check CHECK (total <= 0),
    ADD CONSTRAINT sale_returns_owed_check CHECK (owed <= 0);
ALTER TABLE sale_return_lines
    DROP CONSTRAINT sale_return_lines_stock,
    DROP CONSTRAINT sale_return_lines_product,
    DROP CONSTRAINT sale_return_lines_goods,
    DROP CONSTRAINT sale_return_lines_sign,
    ADD CONSTRAINT sale_return_lines_quantity_check CHECK (quantity <= 0),
    ADD CONSTRAINT sale_return_lines_amount_check CHECK (amount <= 0),
    ADD CONSTRAINT sale_return_lines_tax_check CHECK (tax <= 0),
    ADD CONSTRAINT sale_return_lines_check CHECK (kind <> 'product' OR sale_line_id IS NOT NULL OR quantity = 0),
    ADD CONSTRAINT sale_return_lines_check1 CHECK (NOT restock OR (sale_line_id IS NOT NULL AND quantity < 0));
DROP INDEX sale_return_lines_product;
ALTER TABLE sale_return_lines DROP COLUMN sku, DROP COLUMN product_id;
