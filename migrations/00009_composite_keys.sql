-- Foreign keys that say more with one check instead of two.
--
-- A sale named its outlet and its register with a foreign key each, so a sale could name a
-- register of another outlet; one key on the pair (the register, of that outlet) both
-- refuses that and halves the checks every sale costs (the outlet exists: the register's
-- own key says so). Likewise an import log row names its run and the run's connection:
-- one key on the pair keeps the two in agreement.

-- +goose Up
ALTER TABLE registers ADD CONSTRAINT registers_id_outlet_key UNIQUE (id, outlet_id);
ALTER TABLE sales
    DROP CONSTRAINT sales_outlet_id_fkey,
    DROP CONSTRAINT sales_register_id_fkey,
    ADD CONSTRAINT sales_register_outlet_fkey FOREIGN KEY (register_id, outlet_id) REFERENCES registers (id, outlet_id);
ALTER TABLE import_runs ADD CONSTRAINT import_runs_id_connection_key UNIQUE (id, connection_id);
ALTER TABLE import_outcomes
    DROP CONSTRAINT import_outcomes_run_id_fkey,
    DROP CONSTRAINT import_outcomes_connection_id_fkey,
    ADD CONSTRAINT import_outcomes_run_connection_fkey FOREIGN KEY (run_id, connection_id) REFERENCES import_runs (id, connection_id);

-- +goose Down
ALTER TABLE import_outcomes
    DROP CONSTRAINT import_outcomes_run_connection_fkey,
    ADD CONSTRAINT import_outcomes_run_id_fkey FOREIGN KEY (run_id) REFERENCES import_runs (id),
    ADD CONSTRAINT import_outcomes_connection_id_fkey FOREIGN KEY (connection_id) REFERENCES shopify_connections (id);
ALTER TABLE import_runs DROP CONSTRAINT import_runs_id_connection_key;
ALTER TABLE sales
    DROP CONSTRAINT sales_register_outlet_fkey,
    ADD CONSTRAINT sales_outlet_id_fkey FOREIGN KEY (outlet_id) REFERENCES outlets (id),
    ADD CONSTRAINT sales_register_id_fkey FOREIGN KEY (register_id) REFERENCES registers (id);
ALTER TABLE registers DROP CONSTRAINT registers_id_outlet_key;
