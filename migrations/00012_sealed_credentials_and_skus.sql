-- Two changes a shop owner expects of a point of sale:
--
-- 1. Credentials are encrypted at rest. A Shopify connection's access token and webhook
--    secret move into shopify_credentials as sealed values (AES-256-GCM, see
--    internal/secret), one row per credential field, so that a dump or a backup of the
--    database does not give them away. The key is in a file outside the database, which a
--    migration cannot read: the plain-text columns of connections made before this
--    migration stay as they are here, and kassa seals them the first time it opens the
--    connections with its key (kassa migrate up, kassa serve, or any command that loads a
--    connection's credentials). Sealing a connection writes its credential rows and empties
--    its plain-text columns in one transaction: a connection is never half sealed.
--    New connections leave the plain-text columns empty.
--
-- 2. SKUs are case-insensitive: "cup-esp" is the product "CUP-ESP". The unique index on
--    the SKU becomes one on lower(sku). Products whose SKUs differ only by case cannot both
--    keep theirs; the migration then stops and names them, and changes nothing.

-- +goose Up
CREATE TABLE shopify_credentials (
    connection_id bigint NOT NULL REFERENCES shopify_connections (id) ON DELETE CASCADE,
    -- the credential field: access_token, webhook_secret (later also client_secret)
    name          text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    -- internal/secret's sealed form: version byte, key id, nonce, ciphertext and tag
    sealed        bytea NOT NULL CHECK (length(sealed) >= 37),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, name)
);

ALTER TABLE shopify_connections
    ALTER COLUMN access_token SET DEFAULT '',
    ALTER COLUMN webhook_secret SET DEFAULT '';
COMMENT ON COLUMN shopify_connections.access_token IS
    'plain text of a connection made before migration 12, until kassa seals it into shopify_credentials; empty otherwise';
COMMENT ON COLUMN shopify_connections.webhook_secret IS
    'plain text of a connection made before migration 12, until kassa seals it into shopify_credentials; empty otherwise';

-- +goose StatementBegin
DO $$
DECLARE
    clashes text;
BEGIN
    SELECT string_agg(d.skus || ' (products ' || d.ids || ')', '; ' ORDER BY d.skus)
    INTO clashes
    FROM (
        SELECT string_agg(quote_literal(sku), ', ' ORDER BY sku) AS skus,
               string_agg(id::text, ', ' ORDER BY sku) AS ids
        FROM products WHERE sku <> ''
        GROUP BY lower(sku) HAVING count(*) > 1
    ) d;
    IF clashes IS NOT NULL THEN
        RAISE EXCEPTION 'SKUs differ only by upper and lower case: %; give each of these products a SKU of its own (in psql: UPDATE products SET sku = ''NEW-SKU'' WHERE id = N) and run ''kassa migrate up'' again', clashes
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'products_sku_key';
    END IF;
END
$$;
-- +goose StatementEnd

DROP INDEX products_sku_key;
CREATE UNIQUE INDEX products_sku_key ON products (lower(sku)) WHERE sku <> '';

-- +goose Down
DROP INDEX products_sku_key;
CREATE UNIQUE INDEX products_sku_key ON products (sku) WHERE sku <> '';

-- An older kassa reads only the plain-text columns, and sealed credentials are never
-- written back in plain text: a connection whose credentials are sealed is disconnected
-- (its history stays) and is linked again with 'kassa shopify connect' after a downgrade.
UPDATE shopify_connections SET enabled = false, updated_at = now()
WHERE id IN (SELECT connection_id FROM shopify_credentials);
DROP TABLE shopify_credentials;
COMMENT ON COLUMN shopify_connections.access_token IS NULL;
COMMENT ON COLUMN shopify_connections.webhook_secret IS NULL;
ALTER TABLE shopify_connections
    ALTER COLUMN access_token DROP DEFAULT,
    ALTER COLUMN webhook_secret DROP DEFAULT;
