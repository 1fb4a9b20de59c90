-- The import log keeps each order as Shopify sent it. As text it keeps the very bytes that
-- arrived (jsonb reorders keys, reformats numbers and refuses some payloads that are valid
-- JSON elsewhere, such as lone UTF-16 surrogate escapes), and storing it costs a fraction of
-- parsing it into jsonb, which dominated the time of a large import. Query it with raw::jsonb.

-- +goose Up
ALTER TABLE import_outcomes ALTER COLUMN raw TYPE text USING raw::text;

-- +goose Down
-- +goose StatementBegin
CREATE FUNCTION kassa_try_jsonb(t text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN t::jsonb;
EXCEPTION WHEN others THEN
    -- What is not JSON is kept as a JSON string.
    RETURN to_jsonb(t);
END;
$$;
-- +goose StatementEnd
ALTER TABLE import_outcomes ALTER COLUMN raw TYPE jsonb USING kassa_try_jsonb(raw);
DROP FUNCTION kassa_try_jsonb(text);
