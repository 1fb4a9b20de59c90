-- Outlets and registers can be renamed and archived, so that a mistake made at set-up is
-- not permanent. An archived outlet or register keeps its history (its sales, sessions and
-- reports still name it) but leaves every list and takes no new work: no register is added
-- to an archived outlet, no session is opened on an archived register, and no enabled
-- Shopify connection names either. An outlet is archived only once it has no live register
-- and no enabled Shopify connection; a register only once it has no open session and no
-- enabled Shopify connection imports into it. The triggers below hold those rules, and lock
-- the row they depend on (FOR SHARE), so that an archive and a new register, session or
-- connection made at the same moment cannot both succeed.
--
-- Names are unique case-insensitively among the live ones: "Gent" and "gent" would be one
-- outlet to staff. An archived name may be used again.

-- +goose Up
ALTER TABLE outlets ADD COLUMN archived_at timestamptz;
ALTER TABLE registers ADD COLUMN archived_at timestamptz;

-- Names that differ only in case were allowed before this migration. It cannot choose
-- which one staff mean, so it refuses to go on and says what to rename (the change rolls
-- back: the schema stays as it was).
-- +goose StatementBegin
DO $$
DECLARE
    clash text;
BEGIN
    SELECT string_agg(format('%s (outlets %s)', names, ids), '; ') INTO clash FROM (
        SELECT string_agg(format('"%s"', name), ' and ' ORDER BY id) AS names,
               string_agg(id::text, ', ' ORDER BY id) AS ids
        FROM outlets GROUP BY lower(name) HAVING count(*) > 1) o;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'outlet names must now differ in more than case, and these do not: %; rename all but one of each with SQL (psql "$DATABASE_URL" -c "UPDATE outlets SET name = ''Gent 2'' WHERE id = 2"), then run ''kassa migrate up'' again', clash;
    END IF;
    SELECT string_agg(format('%s (outlet %s, registers %s)', names, outlet_id, ids), '; ') INTO clash FROM (
        SELECT outlet_id, string_agg(format('"%s"', name), ' and ' ORDER BY id) AS names,
               string_agg(id::text, ', ' ORDER BY id) AS ids
        FROM registers GROUP BY outlet_id, lower(name) HAVING count(*) > 1) r;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'the register names of an outlet must now differ in more than case, and these do not: %; rename all but one of each with SQL (psql "$DATABASE_URL" -c "UPDATE registers SET name = ''Front 2'' WHERE id = 2"), then run ''kassa migrate up'' again', clash;
    END IF;
END;
$$;
-- +goose StatementEnd

-- The unique keys keep their names, so that code that recognises them goes on doing so.
ALTER TABLE outlets DROP CONSTRAINT outlets_name_key;
CREATE UNIQUE INDEX outlets_name_key ON outlets (lower(name)) WHERE archived_at IS NULL;
ALTER TABLE registers DROP CONSTRAINT registers_outlet_id_name_key;
CREATE UNIQUE INDEX registers_outlet_id_name_key ON registers (outlet_id, lower(name)) WHERE archived_at IS NULL;

-- An outlet is archived only when nothing live depends on it.
-- +goose StatementBegin
CREATE FUNCTION kassa_outlet_archive_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    names text;
BEGIN
    IF NEW.archived_at IS NULL OR OLD.archived_at IS NOT NULL THEN
        RETURN NEW;
    END IF;
    SELECT string_agg(name, ', ' ORDER BY name) INTO names
        FROM registers WHERE outlet_id = NEW.id AND archived_at IS NULL;
    IF names IS NOT NULL THEN
        RAISE EXCEPTION 'outlet % still has live registers', NEW.id
            USING ERRCODE = 'P0001', CONSTRAINT = 'outlet_has_live_registers', DETAIL = names;
    END IF;
    SELECT string_agg(shop, ', ' ORDER BY shop) INTO names
        FROM shopify_connections WHERE outlet_id = NEW.id AND enabled;
    IF names IS NOT NULL THEN
        RAISE EXCEPTION 'outlet % has an enabled Shopify connection', NEW.id
            USING ERRCODE = 'P0001', CONSTRAINT = 'outlet_has_live_connection', DETAIL = names;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER outlets_archive_guard BEFORE UPDATE OF archived_at ON outlets
    FOR EACH ROW EXECUTE FUNCTION kassa_outlet_archive_guard();

-- A register is added only to a live outlet, and archived only when it has no open session
-- and no enabled Shopify connection imports into it.
-- +goose StatementBegin
CREATE FUNCTION kassa_register_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    archived timestamptz;
    names text;
BEGIN
    IF TG_OP = 'INSERT' OR NEW.outlet_id <> OLD.outlet_id
        OR (NEW.archived_at IS NULL AND OLD.archived_at IS NOT NULL) THEN
        SELECT archived_at INTO archived FROM outlets WHERE id = NEW.outlet_id FOR SHARE;
        IF archived IS NOT NULL AND NEW.archived_at IS NULL THEN
            RAISE EXCEPTION 'outlet % is archived', NEW.outlet_id
                USING ERRCODE = 'P0001', CONSTRAINT = 'outlet_archived';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.archived_at IS NOT NULL AND OLD.archived_at IS NULL THEN
        IF EXISTS (SELECT 1 FROM register_sessions WHERE register_id = NEW.id AND closed_at IS NULL) THEN
            RAISE EXCEPTION 'register % has an open session', NEW.id
                USING ERRCODE = 'P0001', CONSTRAINT = 'register_has_open_session';
        END IF;
        SELECT string_agg(shop, ', ' ORDER BY shop) INTO names
            FROM shopify_connections WHERE register_id = NEW.id AND enabled;
        IF names IS NOT NULL THEN
            RAISE EXCEPTION 'register % has an enabled Shopify connection', NEW.id
                USING ERRCODE = 'P0001', CONSTRAINT = 'register_has_live_connection', DETAIL = names;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER registers_guard BEFORE INSERT OR UPDATE OF outlet_id, archived_at ON registers
    FOR EACH ROW EXECUTE FUNCTION kassa_register_guard();

-- No session is opened on an archived register.
-- +goose StatementBegin
CREATE FUNCTION kassa_session_register_live() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    archived timestamptz;
BEGIN
    SELECT archived_at INTO archived FROM registers WHERE id = NEW.register_id FOR SHARE;
    IF archived IS NOT NULL THEN
        RAISE EXCEPTION 'register % is archived', NEW.register_id
            USING ERRCODE = 'P0001', CONSTRAINT = 'register_archived';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER register_sessions_register_live BEFORE INSERT ON register_sessions
    FOR EACH ROW EXECUTE FUNCTION kassa_session_register_live();

-- An enabled Shopify connection names a live outlet and a live register.
-- +goose StatementBegin
CREATE FUNCTION kassa_connection_live_targets() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    archived timestamptz;
BEGIN
    IF NOT NEW.enabled THEN
        RETURN NEW;
    END IF;
    SELECT archived_at INTO archived FROM outlets WHERE id = NEW.outlet_id FOR SHARE;
    IF archived IS NOT NULL THEN
        RAISE EXCEPTION 'outlet % is archived', NEW.outlet_id
            USING ERRCODE = 'P0001', CONSTRAINT = 'outlet_archived';
    END IF;
    SELECT archived_at INTO archived FROM registers WHERE id = NEW.register_id FOR SHARE;
    IF archived IS NOT NULL THEN
        RAISE EXCEPTION 'register % is archived', NEW.register_id
            USING ERRCODE = 'P0001', CONSTRAINT = 'register_archived';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER shopify_connections_live_targets BEFORE INSERT OR UPDATE OF enabled, outlet_id, register_id ON shopify_connections
    FOR EACH ROW EXECUTE FUNCTION kassa_connection_live_targets();

-- +goose Down
DROP TRIGGER shopify_connections_live_targets ON shopify_connections;
DROP FUNCTION kassa_connection_live_targets();
DROP TRIGGER register_sessions_register_live ON register_sessions;
DROP FUNCTION kassa_session_register_live();
DROP TRIGGER registers_guard ON registers;
DROP FUNCTION kassa_register_guard();
DROP TRIGGER outlets_archive_guard ON outlets;
DROP FUNCTION kassa_outlet_archive_guard();
DROP INDEX registers_outlet_id_name_key;
DROP INDEX outlets_name_key;
-- Before this migration names were unique whether archived or not: an archived row whose
-- name is taken again gets its id appended, so that the old unique keys hold. (Archiving
-- itself cannot be rolled back into the old schema: archived rows become live again.)
UPDATE registers a SET name = a.name || ' (archived ' || a.id || ')'
    WHERE a.archived_at IS NOT NULL
      AND EXISTS (SELECT 1 FROM registers b WHERE b.outlet_id = a.outlet_id AND b.name = a.name AND b.id <> a.id
                  AND (b.archived_at IS NULL OR b.id < a.id));
UPDATE outlets a SET name = a.name || ' (archived ' || a.id || ')'
    WHERE a.archived_at IS NOT NULL
      AND EXISTS (SELECT 1 FROM outlets b WHERE b.name = a.name AND b.id <> a.id
                  AND (b.archived_at IS NULL OR b.id < a.id));
ALTER TABLE registers ADD CONSTRAINT registers_outlet_id_name_key UNIQUE (outlet_id, name);
ALTER TABLE outlets ADD CONSTRAINT outlets_name_key UNIQUE (name);
ALTER TABLE registers DROP COLUMN archived_at;
ALTER TABLE outlets DROP COLUMN archived_at;
