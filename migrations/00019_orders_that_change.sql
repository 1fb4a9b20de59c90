-- Orders as they really are: an order that changed in Shopify (edited, refunded, cancelled,
-- collected in store) is imported as it stands, and what Shopify does to it after import
-- is recorded against its sale.
--
-- A connection says whether it imports local-pickup orders (by default a pickup is no
-- shipping method, and not imported). The import log gains two outcomes: 'updated' (a
-- change Shopify made to an imported order was recorded) and 'needs_review' (a change
-- kassa cannot express; the reason says what differs), each counted by its run.

--
-- An imported sale remembers Shopify's update time of its order as kassa last took it in
-- (at the import, then at each change recorded): an order seen again with the same time
-- is already_imported without a look at its sale; NULL (sales imported before) is
-- compared once.

-- +goose Up
ALTER TABLE shopify_connections ADD COLUMN import_pickups boolean NOT NULL DEFAULT false;
ALTER TABLE sale_external_ids ADD COLUMN external_updated_at timestamptz;

ALTER TABLE import_runs
    ADD COLUMN updated integer NOT NULL DEFAULT 0,
    ADD COLUMN needs_review integer NOT NULL DEFAULT 0;

ALTER TABLE import_outcomes DROP CONSTRAINT import_outcomes_outcome_check;
ALTER TABLE import_outcomes ADD CONSTRAINT import_outcomes_outcome_check CHECK (outcome IN ('imported',
    'already_imported', 'too_old', 'no_shipping_method', 'test_order', 'cancelled', 'failed', 'updated',
    'needs_review'));
ALTER TABLE import_outcomes ADD CONSTRAINT import_outcomes_needs_review_reason CHECK (outcome <> 'needs_review' OR reason <> '');
CREATE INDEX import_outcomes_changes ON import_outcomes (connection_id, created_at) WHERE outcome IN ('updated', 'needs_review');

-- +goose Down
DROP INDEX import_outcomes_changes;
ALTER TABLE import_outcomes DROP CONSTRAINT import_outcomes_needs_review_reason;
-- The older schema knows neither outcome: their log rows go with it.
DELETE FROM import_outcomes WHERE outcome IN ('updated', 'needs_review');
ALTER TABLE import_outcomes DROP CONSTRAINT import_outcomes_outcome_check;
ALTER TABLE import_outcomes ADD CONSTRAINT import_outcomes_outcome_check CHECK (outcome IN ('imported',
    'already_imported', 'too_old', 'no_shipping_method', 'test_order', 'cancelled', 'failed'));
ALTER TABLE import_runs DROP COLUMN needs_review, DROP COLUMN updated;
ALTER TABLE sale_external_ids DROP COLUMN external_updated_at;
ALTER TABLE shopify_connections DROP COLUMN import_pickups;
