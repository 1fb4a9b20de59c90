-- The daemon: the bearer tokens of the HTTP API, and the Shopify webhook deliveries it
-- has accepted and processes after answering them.

-- +goose Up
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL CHECK (btrim(name) <> ''),
    role         text NOT NULL CHECK (role IN ('cashier', 'manager')),
    -- SHA-256 of the token: the token itself is shown once, when it is created, and never
    -- stored, so a copy of the database does not let anyone call the API
    hash         bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
-- A name names one live token; a revoked token's name may be given again.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (lower(name)) WHERE revoked_at IS NULL;

-- One row per webhook Shopify delivered, stored (after its signature was checked) before
-- it is answered and processed afterwards. Shopify delivers at least once: a delivery it
-- repeats carries the same X-Shopify-Webhook-Id and is stored once.
CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    connection_id   bigint NOT NULL REFERENCES shopify_connections (id),
    webhook_id      text NOT NULL CHECK (webhook_id <> ''),
    topic           text NOT NULL,
    -- the body exactly as received (its signature covers these bytes)
    body            bytea NOT NULL,
    received_at     timestamptz NOT NULL,
    processed_at    timestamptz,
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text NOT NULL DEFAULT '',
    -- when a worker may (re)try it; NULL once processed or given up after too many attempts
    next_attempt_at timestamptz,
    UNIQUE (connection_id, webhook_id)
);
-- The workers' queue: unprocessed deliveries by due time.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE processed_at IS NULL AND next_attempt_at IS NOT NULL;

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE api_tokens;
