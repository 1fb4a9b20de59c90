package migrations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/migrations"
)

// emptyDB is a database with no schema at all.
func emptyDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", dbtest.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// leftovers lists what kassa's schema left in a database besides goose's own version
// table: relations (tables, sequences, indexes, views), functions and types.
func leftovers(t *testing.T, db *sqlx.DB) []string {
	t.Helper()
	var out []string
	err := db.Select(&out, `
		SELECT 'relation ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relname NOT IN ('goose_db_version', 'goose_db_version_id_seq', 'goose_db_version_pkey')
		UNION ALL
		SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = 'public'
		UNION ALL
		SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname = 'public' AND t.typrelid = 0
		  AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0)
		UNION ALL
		SELECT 'schema ' || nspname FROM pg_namespace
		WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\_%'
		UNION ALL
		SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAllTheWayDownLeavesNothing migrates up, then down through every migration, and finds
// nothing of kassa's left: every Down undoes its Up. Then up works again.
func TestAllTheWayDownLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := emptyDB(t)
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, db); len(left) == 0 {
		t.Fatal("the check sees nothing after migrating up: it would pass whatever down left behind")
	}
	if err := migrations.Reset(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	if current, _, err := migrations.Versions(ctx, db.DB); err != nil || current != 0 {
		t.Fatalf("after down to 0: version %d (%v)", current, err)
	}
	if left := leftovers(t, db); len(left) != 0 {
		t.Errorf("after every migration was rolled back, the schema still holds: %s", strings.Join(left, ", "))
	}
	// One more down finds nothing to roll back: not an error.
	if v, err := migrations.Down(ctx, db.DB); err != nil || v != 0 {
		t.Errorf("down at the bottom: version %d rolled back (%v), want none and no error", v, err)
	}
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatalf("up again: %v", err)
	}
}

// TestNamesThatDifferOnlyInCaseStopMigration13 fills a database as it was before
// migration 13 with outlet and register names that differ only in case: migration 13
// refuses with a sentence that names them and says what to do, and leaves the schema as it
// was, until they are renamed.
func TestNamesThatDifferOnlyInCaseStopMigration13(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := emptyDB(t)
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	downThrough(t, db, 13)
	gent := dbtest.NewShop(t, db, "Gent", "Front")
	other := dbtest.NewShop(t, db, "gent", "front") // another outlet: its "front" is no clash
	if _, err := db.Exec(`INSERT INTO registers (outlet_id, name) VALUES ($1, 'FRONT')`, gent.OutletID); err != nil {
		t.Fatal(err)
	}
	before, _, _ := migrations.Versions(ctx, db.DB)

	_, err := migrations.Up(ctx, db.DB)
	if err == nil {
		t.Fatal("migration 13 ran over outlets named Gent and gent")
	}
	for _, want := range []string{`migration 13 cannot run`, `"Gent" and "gent"`, "UPDATE outlets SET name", "kassa migrate up"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "pq:") || strings.Contains(err.Error(), "partial migration") {
		t.Errorf("the refusal shows the driver's words: %q", err)
	}
	if v, _, _ := migrations.Versions(ctx, db.DB); v != before {
		t.Fatalf("the refused migration moved the schema from version %d to %d", before, v)
	}
	var hasColumn bool
	if err := db.Get(&hasColumn, `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'outlets' AND column_name = 'archived_at')`); err != nil || hasColumn {
		t.Fatalf("the refused migration left its column behind (%v)", err)
	}

	if _, err := db.Exec(`UPDATE outlets SET name = 'Gent 2' WHERE id = $1`, other.OutletID); err != nil {
		t.Fatal(err)
	}
	_, err = migrations.Up(ctx, db.DB)
	if err == nil || !strings.Contains(err.Error(), `"Front" and "FRONT"`) || strings.Contains(err.Error(), `"front"`) {
		t.Fatalf("registers Front and FRONT of one outlet: %v", err)
	}
	if _, err := db.Exec(`UPDATE registers SET name = 'Back' WHERE name = 'FRONT'`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatalf("after the renames: %v", err)
	}
}

// TestMigration13DownKeepsArchivedNamesApart archives an outlet and a register, gives
// their names to new ones, and rolls migration 13 back: the old schema's unique names hold
// because the archived ones are renamed, and nothing is lost.
func TestMigration13DownKeepsArchivedNamesApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := emptyDB(t)
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	old := dbtest.NewShop(t, db, "Gent", "Front")
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`UPDATE registers SET archived_at = now() WHERE id = $1`, []any{old.RegisterID}},
		{`INSERT INTO registers (outlet_id, name) VALUES ($1, 'Front')`, []any{old.OutletID}},
		{`UPDATE registers SET archived_at = now() WHERE outlet_id = $1 AND archived_at IS NULL`, []any{old.OutletID}},
		{`UPDATE outlets SET archived_at = now() WHERE id = $1`, []any{old.OutletID}},
		{`INSERT INTO outlets (name, timezone, currency) VALUES ('Gent', 'Europe/Brussels', 'EUR')`, nil},
	} {
		if _, err := db.Exec(st.q, st.args...); err != nil {
			t.Fatalf("%s: %v", st.q, err)
		}
	}
	downThrough(t, db, 13)
	var names []string
	if err := db.Select(&names, `SELECT o.name || '/' || r.name FROM registers r JOIN outlets o ON o.id = r.outlet_id ORDER BY r.id`); err != nil {
		t.Fatal(err)
	}
	want := []string{"Gent (archived 1)/Front", "Gent (archived 1)/Front (archived 2)"}
	if strings.Join(names, ", ") != strings.Join(want, ", ") {
		t.Errorf("after down: %v, want %v", names, want)
	}
	var outlets int
	if err := db.Get(&outlets, `SELECT count(*) FROM outlets`); err != nil || outlets != 2 {
		t.Errorf("after down: %d outlets (%v), want both", outlets, err)
	}
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
