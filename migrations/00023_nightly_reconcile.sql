-- The nightly reconciliation: every night the daemon compares each enabled connection's
-- orders of the last days with kassa (what `kassa shopify reconcile --fix` does) and
-- records the missing changes through the import's rules. Each night's result is kept,
-- one row per connection and local night: the nightly report of that day shows its count
-- and its first differences, and a second daemon finds the row and does not run it again.
--
-- The run that recorded the fixes is an import run of trigger 'reconcile'.

-- +goose Up
ALTER TABLE import_runs DROP CONSTRAINT import_runs_trigger_check;
ALTER TABLE import_runs ADD CONSTRAINT import_runs_trigger_check
    CHECK (trigger IN ('cli', 'api', 'terminal', 'poll', 'webhook', 'demo', 'reconcile'));

CREATE TABLE shopify_reconciliations (
    id            bigserial PRIMARY KEY,
    connection_id bigint NOT NULL REFERENCES shopify_connections (id),
    -- the local date (in the outlet's time zone) of the night it ran for
    night         date NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL,
    window_from   timestamptz NOT NULL,
    window_to     timestamptz NOT NULL CHECK (window_to > window_from),
    orders        integer NOT NULL DEFAULT 0 CHECK (orders >= 0),
    differences   integer NOT NULL DEFAULT 0 CHECK (differences >= 0),
    -- the import run that recorded the differences (NULL when none were found, or it
    -- could not start)
    run_id        bigint REFERENCES import_runs (id),
    -- why the reconciliation failed ('' when it did not)
    error         text NOT NULL DEFAULT '',
    -- the first differences as [{"shopify_order_id":…,"order_name":…,"differences":[…]}]
    first         jsonb NOT NULL DEFAULT '[]',
    UNIQUE (connection_id, night)
);

-- +goose Down
DROP TABLE shopify_reconciliations;
-- the runs the nightly reconciliation started stay, as runs reconcile --fix would have made
UPDATE import_runs SET trigger = 'cli' WHERE trigger = 'reconcile';
ALTER TABLE import_runs DROP CONSTRAINT import_runs_trigger_check;
ALTER TABLE import_runs ADD CONSTRAINT import_runs_trigger_check
    CHECK (trigger IN ('cli', 'api', 'terminal', 'poll', 'webhook', 'demo'));
