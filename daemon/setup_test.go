package daemon_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
)

// names is every outlet and register as stored, to check that a refused call changed nothing.
func names(t *testing.T, db *sqlx.DB) []string {
	t.Helper()
	var out []string
	err := db.Select(&out, `
		SELECT 'outlet ' || id || ' ' || name || ' ' || coalesce(archived_at::text, 'live') FROM outlets
		UNION ALL
		SELECT 'register ' || id || ' ' || name || ' ' || coalesce(archived_at::text, 'live') FROM registers
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func unchangedNames(t *testing.T, db *sqlx.DB, before []string) {
	t.Helper()
	after := names(t, db)
	if len(after) != len(before) {
		t.Fatalf("outlets and registers changed: %v, were %v", after, before)
	}
	for i := range after {
		if after[i] != before[i] {
			t.Fatalf("outlets and registers changed: %v, were %v", after, before)
		}
	}
}

// TestRenameAndArchiveThroughTheAPI puts set-up mistakes right with a manager's token:
// renames, archives, and each refusal with its status and sentence.
func TestRenameAndArchiveThroughTheAPI(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	gent := dbtest.NewShop(t, db, "Gent", "Front")
	dbtest.NewShop(t, db, "Brugge", "Till")
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Logger: testLogger(t, nil)})
	till := client.New(in.url, token(t, db, "till", daemon.RoleCashier))
	owner := client.New(in.url, token(t, db, "owner", daemon.RoleManager))

	for _, rt := range in.d.Routes() {
		switch rt.Pattern {
		case "POST /api/v1/outlets/{outlet}/rename", "POST /api/v1/outlets/{outlet}/archive",
			"POST /api/v1/registers/{register}/rename", "POST /api/v1/registers/{register}/archive":
			if rt.Role != daemon.RoleManager {
				t.Errorf("%s is open to a %s", rt.Pattern, rt.Role)
			}
		}
	}

	before := names(t, db)
	_, err := till.RenameOutlet(ctx, "Gent", "Gent Centrum")
	expectStatus(t, err, http.StatusForbidden, "needs a manager token")
	_, err = till.ArchiveRegister(ctx, "Front")
	expectStatus(t, err, http.StatusForbidden, "needs a manager token")
	_, err = owner.RenameOutlet(ctx, "Gent", "BRUGGE")
	expectStatus(t, err, http.StatusConflict, "already exists")
	_, err = owner.RenameOutlet(ctx, "Gent", " ")
	expectStatus(t, err, http.StatusBadRequest, "give the new name")
	_, err = owner.RenameOutlet(ctx, "Antwerpen", "Gent 2")
	expectStatus(t, err, http.StatusNotFound, "Antwerpen")
	_, err = owner.RenameRegister(ctx, "Front", "Till/2")
	expectStatus(t, err, http.StatusBadRequest, "cannot contain '/'")
	_, err = owner.ArchiveOutlet(ctx, "Gent")
	expectStatus(t, err, http.StatusConflict, `outlet "Gent" still has the registers Front`)
	unchangedNames(t, db, before)

	o, err := owner.RenameOutlet(ctx, "gent", "Gent Centrum")
	if err != nil || o.Name != "Gent Centrum" || o.Archived {
		t.Fatalf("rename Gent: %+v, %v", o, err)
	}
	r, err := owner.RenameRegister(ctx, "Front", "Till 1")
	if err != nil || r.Name != "Till 1" || r.Outlet != "Gent Centrum" {
		t.Fatalf("rename Front: %+v, %v", r, err)
	}

	// An open session keeps the register; a close that counts a type twice is refused.
	if _, err := till.OpenRegister(ctx, "Till 1", client.OpenRequest{OpeningFloat: "100.00"}); err != nil {
		t.Fatal(err)
	}
	before = names(t, db)
	_, err = owner.ArchiveRegister(ctx, "Till 1")
	expectStatus(t, err, http.StatusConflict, "has an open session: close it first")
	unchangedNames(t, db, before)
	counts := dbtest.Counts(t, db)
	_, err = till.CloseRegister(ctx, "Till 1", client.CloseRequest{Counts: []client.CountInput{
		{Type: "Cash", Counted: "100.00"}, {Type: "cash", Counted: "120.00"}}})
	expectStatus(t, err, http.StatusUnprocessableEntity, "Cash is counted twice")
	dbtest.Unchanged(t, db, counts)
	if reg, err := till.Register(ctx, "Till 1"); err != nil || !reg.Open {
		t.Fatalf("the refused close closed the register: %+v, %v", reg, err)
	}
	if _, err := till.CloseRegister(ctx, "Till 1", client.CloseRequest{Counts: []client.CountInput{{Type: "Cash", Counted: "100.00"}}}); err != nil {
		t.Fatal(err)
	}

	r, err = owner.ArchiveRegister(ctx, "Gent Centrum/Till 1")
	if err != nil || !r.Archived {
		t.Fatalf("archive Till 1: %+v, %v", r, err)
	}
	regs, err := till.Registers(ctx)
	if err != nil || len(regs) != 1 || regs[0].Name != "Till" {
		t.Fatalf("registers after archiving Till 1: %+v, %v", regs, err)
	}
	_, err = till.OpenRegister(ctx, "Gent Centrum/Till 1", client.OpenRequest{OpeningFloat: "0"})
	expectStatus(t, err, http.StatusConflict, "archived")
	if reg, err := till.Register(ctx, "Gent Centrum/Till 1"); err != nil || !reg.Archived || reg.ID != gent.RegisterID {
		t.Fatalf("the archived register's status: %+v, %v", reg, err)
	}
	if sessions, err := till.Sessions(ctx, "Gent Centrum/Till 1", 0); err != nil || len(sessions) != 1 {
		t.Fatalf("the archived register's sessions: %+v, %v", sessions, err)
	}

	o, err = owner.ArchiveOutlet(ctx, "Gent Centrum")
	if err != nil || !o.Archived {
		t.Fatalf("archive Gent Centrum: %+v, %v", o, err)
	}
	outlets, err := till.Outlets(ctx)
	if err != nil || len(outlets) != 1 || outlets[0].Name != "Brugge" {
		t.Fatalf("outlets after archiving Gent Centrum: %+v, %v", outlets, err)
	}
	_, err = owner.ArchiveOutlet(ctx, "Gent Centrum")
	expectStatus(t, err, http.StatusConflict, "already archived")
}
