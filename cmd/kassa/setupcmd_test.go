package main

import (
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
)

// setupRows is every outlet and register as stored, to check that a refused command
// changed nothing (renames and archives change no row count).
func setupRows(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var out []string
	err := db.Select(&out, `
		SELECT 'outlet ' || id || ' ' || name || ' ' || currency || ' ' || coalesce(archived_at::text, 'live') FROM outlets
		UNION ALL
		SELECT 'register ' || id || ' ' || name || ' ' || coalesce(archived_at::text, 'live') FROM registers
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// refused is fails that also checks that no outlet or register was renamed or archived.
func refused(t *testing.T, db *sqlx.DB, url, want string, args ...string) {
	t.Helper()
	before := setupRows(t, db)
	fails(t, db, url, want, args...)
	if after := setupRows(t, db); after != before {
		t.Errorf("kassa %s changed outlets or registers:\n%s\nwere\n%s", strings.Join(args, " "), after, before)
	}
}

func TestSetUpMistakesCanBePutRight(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)

	// The currency is upper-cased and must be one in use.
	if out := ok(t, url, "outlet", "add", "Gent", "--timezone", "Europe/Brussels", "--currency", "eur"); !strings.Contains(out, "EUR") {
		t.Fatalf("outlet add --currency eur: %q", out)
	}
	refused(t, db, url, `currency "EUX": not an ISO 4217 currency code in use`, "outlet", "add", "Brugge", "--timezone", "Europe/Brussels", "--currency", "EUX")
	refused(t, db, url, "already exists", "outlet", "add", "GENT", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "outlet", "add", "Brugge", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "register", "add", "Front", "--outlet", "gent")
	ok(t, url, "register", "add", "Back", "--outlet", "Gent")
	ok(t, url, "register", "add", "Front", "--outlet", "Brugge")
	refused(t, db, url, "already exists", "register", "add", "FRONT", "--outlet", "Gent")

	// Renames: a name taken by another live one is refused, whatever the case.
	refused(t, db, url, "already exists", "outlet", "rename", "Gent", "brugge")
	refused(t, db, url, `outlet "Antwerpen": not found`, "outlet", "rename", "Antwerpen", "Gent 2")
	refused(t, db, url, "takes the outlet's name and its new name", "outlet", "rename", "Gent")
	refused(t, db, url, "already exists", "register", "rename", "Gent/Back", "front")
	refused(t, db, url, "name the outlet too", "register", "rename", "Front", "Till 1")
	refused(t, db, url, "cannot contain '/'", "register", "rename", "Gent/Back", "Back/2")
	if out := ok(t, url, "outlet", "rename", "gent", "Gent Centrum"); !strings.Contains(out, `renamed outlet "Gent" to "Gent Centrum"`) {
		t.Fatalf("outlet rename: %q", out)
	}
	if out := ok(t, url, "register", "rename", "Brugge/Front", "Till"); !strings.Contains(out, `renamed register "Front" of outlet "Brugge" to "Till"`) {
		t.Fatalf("register rename: %q", out)
	}
	// Now "Front" names one register, Gent Centrum's.
	ok(t, url, "register", "open", "--register", "front", "--float", "100")

	// Archiving a register with an open session is refused, with what to do.
	refused(t, db, url, `register "Front" has an open session: close it first`, "register", "archive", "Front")
	// Counting a payment type twice at close is refused, and the session stays open.
	refused(t, db, url, "counted twice", "register", "close", "--register", "Front", "--counted", "Cash=10", "--counted", "cash=20")
	if out := ok(t, url, "register", "status", "--register", "Front", "--json"); !strings.Contains(out, `"open": true`) {
		t.Fatalf("the refused close closed the register: %s", out)
	}
	ok(t, url, "register", "close", "--register", "Front", "--counted", "Cash=100")

	// An outlet with live registers is not archived.
	refused(t, db, url, `outlet "Gent Centrum" still has the registers Back, Front: archive them first`, "outlet", "archive", "Gent Centrum")
	if out := ok(t, url, "register", "archive", "Front"); !strings.Contains(out, `archived register "Front" of outlet "Gent Centrum"`) {
		t.Fatalf("register archive: %q", out)
	}
	refused(t, db, url, "is archived", "register", "open", "--register", "Gent Centrum/Front", "--float", "0")
	refused(t, db, url, "already archived", "register", "archive", "Gent Centrum/Front")

	// The archived register leaves the lists and the "name one with --register" rule.
	var regs []map[string]string
	mustJSON(t, ok(t, url, "register", "list", "--json"), &regs)
	if len(regs) != 2 || regs[0]["name"] != "Till" || regs[1]["name"] != "Back" {
		t.Fatalf("register list after archiving Front: %v", regs)
	}
	ok(t, url, "register", "archive", "Gent Centrum/Back")
	// One live register is left: --register may be left out.
	if out := ok(t, url, "register", "status"); !strings.Contains(out, `register "Till" is closed`) {
		t.Fatalf("register status with one live register: %q", out)
	}
	// Its closing report can still be read.
	if out := ok(t, url, "report", "closing", "--register", "Gent Centrum/Front", "--last"); !strings.Contains(out, "Front") {
		t.Fatalf("the archived register's closing report: %q", out)
	}

	var archived map[string]string
	mustJSON(t, ok(t, url, "outlet", "archive", "gent centrum", "--json"), &archived)
	if archived["name"] != "Gent Centrum" || !strings.HasSuffix(archived["archived_at"], "+01:00") {
		t.Fatalf("outlet archive --json: %v (archived_at in the outlet's zone)", archived)
	}
	var outlets []map[string]string
	mustJSON(t, ok(t, url, "outlet", "list", "--json"), &outlets)
	if len(outlets) != 1 || outlets[0]["name"] != "Brugge" {
		t.Fatalf("outlet list after archiving Gent Centrum: %v", outlets)
	}
	// One live outlet is left: --outlet may be left out, and the archived one takes nothing new.
	ok(t, url, "register", "add", "Back")
	refused(t, db, url, `outlet "Gent Centrum" is archived`, "register", "add", "Spare", "--outlet", "Gent Centrum")
	refused(t, db, url, `outlet "Gent Centrum" is archived`, "outlet", "rename", "Gent Centrum", "Gent")
	ok(t, url, "product", "add", "Cup", "--sku", "CUP", "--price", "3")
	refused(t, db, url, `outlet "Gent Centrum" is archived`, "stock", "adjust", "--sku", "CUP", "--delta", "1", "--outlet", "Gent Centrum")
	// Its history is still read by name.
	if out := ok(t, url, "sales", "list", "--outlet", "Gent Centrum", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("sales of the archived outlet: %q", out)
	}
	// Its name is free for a new outlet.
	ok(t, url, "outlet", "add", "Gent Centrum", "--timezone", "Europe/Brussels", "--currency", "EUR")
}

// TestMigrateDownAtTheBottom rolls back every migration, one "migrate down" at a time, and
// one more: it says there is nothing to roll back, and succeeds (CI's loop relies on it).
func TestMigrateDownAtTheBottom(t *testing.T) {
	t.Parallel()
	url := dbtest.Empty(t)
	ok(t, url, "migrate", "up")
	for i := 0; ; i++ {
		out := ok(t, url, "migrate", "down")
		if strings.Contains(out, "nothing to roll back") {
			if i == 0 {
				t.Fatal("nothing to roll back right after migrate up")
			}
			break
		}
		if !strings.HasPrefix(out, "rolled back migration ") || i > 100 {
			t.Fatalf("migrate down #%d: %q", i+1, out)
		}
	}
	if out := ok(t, url, "migrate", "down"); !strings.Contains(out, "nothing to roll back") {
		t.Fatalf("migrate down once more: %q", out)
	}
}
