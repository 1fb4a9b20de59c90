-- The Shopify link: connections, import runs and the outcome of every order an import saw.

-- +goose Up
CREATE TABLE shopify_connections (
    id                  bigserial PRIMARY KEY,
    -- the shop's myshopify domain, e.g. demo.myshopify.com; one connection per shop, kept
    -- when disconnected so that reconnecting reuses its import history
    shop                text NOT NULL UNIQUE CHECK (shop ~ '^[a-z0-9][a-z0-9-]*\.myshopify\.com$'),
    access_token        text NOT NULL,
    webhook_secret      text NOT NULL,
    api_version         text NOT NULL DEFAULT '2024-10',
    -- empty for the real Shopify; a simulator's URL otherwise
    base_url            text NOT NULL DEFAULT '',
    outlet_id           bigint NOT NULL REFERENCES outlets (id),
    register_id         bigint NOT NULL REFERENCES registers (id),
    shipping_product_id bigint NOT NULL REFERENCES products (id),
    import_test_orders  boolean NOT NULL DEFAULT false,
    auto_update         boolean NOT NULL DEFAULT true,
    poll_interval       interval NOT NULL DEFAULT '5 minutes' CHECK (poll_interval >= '10 seconds'),
    import_trigger      text NOT NULL DEFAULT 'created' CHECK (import_trigger IN ('created', 'paid')),
    enabled             boolean NOT NULL DEFAULT true,
    -- the newest Shopify order id any import has seen: "Get new" asks only for newer ones
    newest_order_id     bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE import_runs (
    id                 bigserial PRIMARY KEY,
    connection_id      bigint NOT NULL REFERENCES shopify_connections (id),
    mode               text NOT NULL CHECK (mode IN ('all', 'new', 'retry', 'webhook')),
    trigger            text NOT NULL CHECK (trigger IN ('cli', 'api', 'terminal', 'poll', 'webhook', 'demo')),
    status             text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed', 'cancelled')),
    started_at         timestamptz NOT NULL,
    finished_at        timestamptz,
    total              integer NOT NULL DEFAULT 0,
    seen               integer NOT NULL DEFAULT 0,
    imported           integer NOT NULL DEFAULT 0,
    already_imported   integer NOT NULL DEFAULT 0,
    too_old            integer NOT NULL DEFAULT 0,
    no_shipping_method integer NOT NULL DEFAULT 0,
    test_order         integer NOT NULL DEFAULT 0,
    cancelled          integer NOT NULL DEFAULT 0,
    failed             integer NOT NULL DEFAULT 0,
    error              text NOT NULL DEFAULT ''
);
CREATE INDEX import_runs_connection ON import_runs (connection_id, started_at DESC);

-- One row per order an import run saw, with its outcome and the order as Shopify sent it.
CREATE TABLE import_outcomes (
    id               bigserial PRIMARY KEY,
    run_id           bigint NOT NULL REFERENCES import_runs (id),
    connection_id    bigint NOT NULL REFERENCES shopify_connections (id),
    shopify_order_id bigint NOT NULL,
    order_name       text NOT NULL DEFAULT '',
    outcome          text NOT NULL CHECK (outcome IN ('imported', 'already_imported', 'too_old',
                         'no_shipping_method', 'test_order', 'cancelled', 'failed')),
    reason           text NOT NULL DEFAULT '',
    sale_id          bigint REFERENCES sales (id),
    raw              jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (outcome <> 'failed' OR reason <> '')
);
CREATE INDEX import_outcomes_run ON import_outcomes (run_id, id);
CREATE INDEX import_outcomes_order ON import_outcomes (connection_id, shopify_order_id, id DESC);
CREATE INDEX import_outcomes_failed ON import_outcomes (connection_id, created_at) WHERE outcome = 'failed';

-- +goose Down
DROP TABLE import_outcomes;
DROP TABLE import_runs;
DROP TABLE shopify_connections;
