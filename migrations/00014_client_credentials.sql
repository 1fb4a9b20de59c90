-- Connecting a shop as it is set up today: a Dev Dashboard app with a Client ID and a
-- client secret, from which 24-hour access tokens are requested (the client credentials
-- grant), webhooks kassa subscribes itself, and a watched API version.
--
-- A connection now says how it authenticates (auth): 'legacy_token' (an admin-created app
-- made before 2026: its static token and webhook secret, as before) or
-- 'client_credentials'. The latter keeps its client ID here in plain text (it is no
-- secret: it names the app) and, sealed in shopify_credentials like every credential, its
-- client secret (also the key of its webhooks' signatures) and its current access token,
-- whose expiry is the credential row's expires_at. The connection also remembers the
-- scopes Shopify granted, the public address webhooks are subscribed to, the API version
-- Shopify last answered in (it falls forward silently when the pinned one is no longer
-- served) and when a call last succeeded.

-- +goose Up
ALTER TABLE shopify_connections
    ADD COLUMN auth text NOT NULL DEFAULT 'legacy_token' CHECK (auth IN ('legacy_token', 'client_credentials')),
    ADD COLUMN client_id text NOT NULL DEFAULT '',
    ADD COLUMN scopes text[] NOT NULL DEFAULT '{}',
    -- where Shopify delivers this shop's webhooks (https://host), '' when kassa relies on
    -- its polling backstop alone
    ADD COLUMN public_url text NOT NULL DEFAULT '',
    -- the version of the last answer's X-Shopify-API-Version, '' before any
    ADD COLUMN served_api_version text NOT NULL DEFAULT '',
    ADD COLUMN last_call_at timestamptz,
    ADD COLUMN webhooks_checked_at timestamptz,
    ADD CONSTRAINT shopify_connections_client_id CHECK (auth = 'legacy_token' OR client_id <> '');
ALTER TABLE shopify_connections ALTER COLUMN api_version SET DEFAULT '2026-10';

-- The expiry of an expiring credential (a client-credentials access token); NULL for the
-- others.
ALTER TABLE shopify_credentials ADD COLUMN expires_at timestamptz;

-- The webhook subscriptions kassa made for a connection (one per topic), as Shopify
-- answered them, so that 'kassa shopify show' lists them without asking Shopify and kassa
-- recognises its own subscriptions when the public address changes.
CREATE TABLE shopify_webhook_subscriptions (
    connection_id   bigint NOT NULL REFERENCES shopify_connections (id) ON DELETE CASCADE,
    topic           text NOT NULL CHECK (topic ~ '^[a-z_]+/[a-z_]+$'),
    -- Shopify's id: gid://shopify/WebhookSubscription/N
    subscription_id text NOT NULL CHECK (subscription_id <> ''),
    address         text NOT NULL CHECK (address <> ''),
    api_version     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    checked_at      timestamptz NOT NULL,
    PRIMARY KEY (connection_id, topic)
);

-- +goose Down
DROP TABLE shopify_webhook_subscriptions;
-- An older kassa knows only static tokens: a Dev Dashboard connection is disconnected (its
-- history stays) and linked again after a downgrade, as migration 12's down does.
UPDATE shopify_connections SET enabled = false, updated_at = now() WHERE auth = 'client_credentials';
ALTER TABLE shopify_credentials DROP COLUMN expires_at;
ALTER TABLE shopify_connections ALTER COLUMN api_version SET DEFAULT '2024-10';
ALTER TABLE shopify_connections
    DROP CONSTRAINT shopify_connections_client_id,
    DROP COLUMN webhooks_checked_at,
    DROP COLUMN last_call_at,
    DROP COLUMN served_api_version,
    DROP COLUMN public_url,
    DROP COLUMN scopes,
    DROP COLUMN client_id,
    DROP COLUMN auth;
