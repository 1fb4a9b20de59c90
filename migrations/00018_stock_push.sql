-- The POS is the system of record both ways: the catalogue and opening stock come from
-- Shopify once, and every stock movement goes back to Shopify's available quantity.
--
-- A Shopify connection names the location that mirrors its outlet (location_id, NULL until
-- it is named: connect takes the shop's primary location).
--
-- inventory keeps, per product at an outlet, the channel item that mirrors it
-- (stock_channel_items: Shopify's inventory item at the connection's location, with the
-- available quantity kassa last saw there, the changeFromQuantity of the next set), and a
-- push queue (stock_push_queue): every movement of a linked, stock-tracked product puts
-- its item in the queue in the movement's own statement (trigger below), so a change is
-- never lost whatever happens to the process. A pusher claims queue rows (a lease, taken
-- with SKIP LOCKED, so that several daemons push each change once), sets Shopify's
-- quantity and removes the row unless another movement came meanwhile (generation).
-- stock_channel_states holds what 'kassa stock sync status' shows per shop, and
-- stock_corrections the drift the nightly check found and corrected.

-- +goose Up
ALTER TABLE shopify_connections
    ADD COLUMN location_id bigint CHECK (location_id > 0),
    ADD COLUMN location_name text NOT NULL DEFAULT '';

CREATE TABLE stock_channel_items (
    id                bigserial PRIMARY KEY,
    channel           text NOT NULL,
    shop              text NOT NULL,
    outlet_id         bigint NOT NULL REFERENCES outlets (id),
    product_id        bigint NOT NULL REFERENCES products (id),
    inventory_item_id bigint NOT NULL CHECK (inventory_item_id > 0),
    location_id       bigint NOT NULL CHECK (location_id > 0),
    -- the channel's available quantity as kassa last read or set it; NULL when unknown
    channel_available integer,
    channel_seen_at   timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stock_channel_items_product_key UNIQUE (channel, shop, outlet_id, product_id),
    CONSTRAINT stock_channel_items_item_key UNIQUE (channel, shop, inventory_item_id, location_id)
);
CREATE INDEX stock_channel_items_product ON stock_channel_items (product_id, outlet_id);

CREATE TABLE stock_push_queue (
    item_id         bigint PRIMARY KEY REFERENCES stock_channel_items (id) ON DELETE CASCADE,
    -- the oldest change not pushed yet, and the newest
    queued_at       timestamptz NOT NULL DEFAULT now(),
    changed_at      timestamptz NOT NULL DEFAULT now(),
    -- the newest movement behind the change; NULL for a forced push
    movement_id     bigint REFERENCES stock_movements (id),
    -- raised by every movement: a push finishes the row only for the generation it read
    generation      bigint NOT NULL DEFAULT 1,
    claimed_by      text NOT NULL DEFAULT '',
    claimed_until   timestamptz,
    -- the idempotency key of the push that claimed the row last
    idempotency_key uuid,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT ''
);
CREATE INDEX stock_push_queue_due ON stock_push_queue (next_attempt_at, queued_at);

CREATE TABLE stock_channel_states (
    channel                text NOT NULL,
    shop                   text NOT NULL,
    last_push_at           timestamptz,
    pushed                 bigint NOT NULL DEFAULT 0,
    last_error             text NOT NULL DEFAULT '',
    last_error_at          timestamptz,
    last_check_at          timestamptz,
    last_check_corrections integer NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, shop)
);

CREATE TABLE stock_corrections (
    id                bigserial PRIMARY KEY,
    channel           text NOT NULL,
    shop              text NOT NULL,
    outlet_id         bigint NOT NULL REFERENCES outlets (id),
    product_id        bigint NOT NULL REFERENCES products (id),
    kassa_level       integer NOT NULL,
    channel_available integer,
    found_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_corrections_outlet ON stock_corrections (outlet_id, found_at);

-- Statement-level, like the levels' trigger: a page of imported orders queues each item once.
-- +goose StatementBegin
CREATE FUNCTION kassa_queue_stock_push() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stock_push_queue AS q (item_id, movement_id)
    SELECT i.id, max(m.id)
    FROM new_movements m
    JOIN stock_channel_items i ON i.product_id = m.product_id AND i.outlet_id = m.outlet_id
    JOIN products p ON p.id = m.product_id AND p.tracks_stock
    GROUP BY i.id
    ORDER BY i.id
    ON CONFLICT (item_id) DO UPDATE SET movement_id = EXCLUDED.movement_id, changed_at = now(),
        generation = q.generation + 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER stock_movements_queue_push AFTER INSERT ON stock_movements
    REFERENCING NEW TABLE AS new_movements
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_queue_stock_push();

-- +goose Down
DROP TRIGGER stock_movements_queue_push ON stock_movements;
DROP FUNCTION kassa_queue_stock_push();
DROP TABLE stock_corrections;
DROP TABLE stock_channel_states;
DROP TABLE stock_push_queue;
DROP TABLE stock_channel_items;
ALTER TABLE shopify_connections DROP COLUMN location_name, DROP COLUMN location_id;
