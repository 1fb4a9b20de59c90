package migrations_test

import (
	"context"
	"testing"

	"github.com/kassa-pos/kassa/migrations"
)

// TestNoIndexRepeatsAnother: no plain (non-unique) btree index has key columns, in the
// same order, operator classes and directions, that lead another btree index of its
// table holding at least its rows (a whole index, or a partial one on the same condition):
// every lookup it serves the other serves too, and it only costs each write. Two partial
// indexes on different conditions hold different rows and repeat nothing.
func TestNoIndexRepeatsAnother(t *testing.T) {
	t.Parallel()
	db := emptyDB(t)
	if _, err := migrations.Up(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	var repeats []string
	err := db.Select(&repeats, `
		WITH ix AS (
			SELECT i.indexrelid, i.indrelid, i.indisunique, i.indkey::text AS keys, i.indclass::text AS classes,
				i.indoption::text AS options, i.indexprs IS NULL AS plain, am.amname,
				pg_get_expr(i.indpred, i.indrelid) AS pred
			FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_am am ON am.oid = c.relam
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = 'public')
		SELECT a.indexrelid::regclass::text || ' repeats ' || b.indexrelid::regclass::text
		FROM ix a JOIN ix b ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid
		WHERE NOT a.indisunique AND a.amname = 'btree' AND b.amname = 'btree' AND a.plain AND b.plain
		  AND (b.keys = a.keys OR b.keys LIKE a.keys || ' %')
		  AND (b.classes = a.classes OR b.classes LIKE a.classes || ' %')
		  AND (b.options = a.options OR b.options LIKE a.options || ' %')
		  AND (b.pred IS NULL OR b.pred = a.pred)
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(repeats) > 0 {
		t.Fatalf("indexes that only repeat another: %v", repeats)
	}
}
