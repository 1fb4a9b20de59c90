package register_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

// registerRows is every register as stored, to check that a refused change changed nothing.
func registerRows(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var rows []string
	if err := db.Select(&rows, `SELECT id || ' ' || outlet_id || ' ' || name || ' ' || coalesce(archived_at::text, 'live') FROM registers ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

func TestRenameRegister(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := register.Store{}
	gent := dbtest.NewShop(t, db, "Gent", "Front")
	back, err := st.Create(ctx, db, gent.OutletID, "Back")
	if err != nil {
		t.Fatal(err)
	}
	brugge := dbtest.NewShop(t, db, "Brugge", "Till")
	if _, err := st.Create(ctx, db, gent.OutletID, "FRONT"); !errors.Is(err, register.ErrDuplicateRegister) {
		t.Fatalf("a register FRONT next to Front: %v", err)
	}

	before := registerRows(t, db)
	for _, name := range []string{"front", "  FRONT ", "Till/2", " "} {
		if _, err := st.Rename(ctx, db, back.ID, name); err == nil {
			t.Errorf("rename Back to %q succeeded", name)
		} else if strings.Contains(name, "ront") && !errors.Is(err, register.ErrDuplicateRegister) {
			t.Errorf("rename Back to %q: %v, want ErrDuplicateRegister", name, err)
		}
	}
	if after := registerRows(t, db); after != before {
		t.Fatalf("refused renames changed the registers:\n%s", after)
	}

	// Another outlet's register may have the name; its own name in other case is fine.
	if r, err := st.Rename(ctx, db, brugge.RegisterID, "Front"); err != nil || r.Name != "Front" || r.OutletName != "Brugge" {
		t.Fatalf("rename Brugge's Till to Front: %+v, %v", r, err)
	}
	if r, err := st.Rename(ctx, db, back.ID, "BACK"); err != nil || r.Name != "BACK" {
		t.Fatalf("rename Back to BACK: %+v, %v", r, err)
	}
	if r, err := st.Find(ctx, db, "gent/back"); err != nil || r.ID != back.ID {
		t.Fatalf("Find(gent/back) = %+v, %v: names are found whatever the case", r, err)
	}
}

func TestArchiveRegister(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	st := register.Store{Clock: func() time.Time { return at }}
	gent := dbtest.NewShop(t, db, "Gent", "Front")
	brugge := dbtest.NewShop(t, db, "Brugge", "Front")

	// An open session keeps it.
	if _, err := st.OpenSession(ctx, db, gent.RegisterID, decimal.RequireFromString("100.00"), "An"); err != nil {
		t.Fatal(err)
	}
	before := registerRows(t, db)
	_, err := st.Archive(ctx, db, gent.RegisterID)
	if !errors.Is(err, register.ErrRegisterInUse) || !strings.Contains(err.Error(), `register "Front" has an open session: close it first`) {
		t.Fatalf("archive a register with an open session: %v", err)
	}
	if after := registerRows(t, db); after != before {
		t.Fatalf("the refused archive changed the registers:\n%s", after)
	}
	cash, err := sales.Store{}.PaymentTypeByName(ctx, db, "Cash")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseSession(ctx, db, gent.RegisterID, []register.Count{{PaymentTypeID: cash.ID, Counted: decimal.NewFromInt(100)}}, "An"); err != nil {
		t.Fatal(err)
	}

	// So does an enabled Shopify connection that records its payments on it.
	var product, conn int64
	if err := db.Get(&product, `INSERT INTO products (sku, name, price, tracks_stock) VALUES ('SHIP', 'Shipping', 0, false) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	err = db.Get(&conn, `INSERT INTO shopify_connections (shop, access_token, webhook_secret, outlet_id, register_id, shipping_product_id)
		VALUES ('gent.myshopify.com', 't', 's', $1, $2, $3) RETURNING id`, gent.OutletID, gent.RegisterID, product)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Archive(ctx, db, gent.RegisterID)
	if !errors.Is(err, register.ErrRegisterInUse) || !strings.Contains(err.Error(), "gent.myshopify.com") {
		t.Fatalf("archive a register with an enabled connection: %v", err)
	}
	if after := registerRows(t, db); after != before {
		t.Fatalf("the refused archive changed the registers:\n%s", after)
	}
	if _, err := db.Exec(`UPDATE shopify_connections SET enabled = false WHERE id = $1`, conn); err != nil {
		t.Fatal(err)
	}

	r, err := st.Archive(ctx, db, gent.RegisterID)
	if err != nil || !r.Archived() || !r.ArchivedAt.Equal(at) {
		t.Fatalf("archive Gent/Front: %+v, %v", r, err)
	}
	if _, err := st.Archive(ctx, db, gent.RegisterID); !errors.Is(err, register.ErrArchived) {
		t.Errorf("archive twice: %v", err)
	}
	if _, err := st.Rename(ctx, db, gent.RegisterID, "Old"); !errors.Is(err, register.ErrArchived) {
		t.Errorf("rename the archived register: %v", err)
	}

	// It takes no new session, and its history stays.
	if _, err := st.OpenSession(ctx, db, gent.RegisterID, decimal.Zero, "An"); !errors.Is(err, register.ErrArchived) {
		t.Errorf("open the archived register: %v, want ErrArchived", err)
	}
	if sessions, err := st.Sessions(ctx, db, gent.RegisterID, 0); err != nil || len(sessions) != 1 {
		t.Errorf("the archived register's sessions: %d, %v", len(sessions), err)
	}

	// It leaves the lists and the "which Front?" question: Brugge's is the only one now.
	list, err := st.List(ctx, db, 0)
	if err != nil || len(list) != 1 || list[0].ID != brugge.RegisterID {
		t.Fatalf("registers after archiving Gent/Front: %+v, %v", list, err)
	}
	if found, err := st.Find(ctx, db, "Front"); err != nil || found.ID != brugge.RegisterID {
		t.Fatalf("Find(Front) = %+v, %v, want Brugge's: an archived register does not make a name ambiguous", found, err)
	}
	// Named with its outlet, the archived one is found, for its reports.
	if found, err := st.Find(ctx, db, "Gent/Front"); err != nil || found.ID != gent.RegisterID || !found.Archived() {
		t.Fatalf("Find(Gent/Front) = %+v, %v, want the archived register", found, err)
	}
	// Its name is free again; the live one comes first.
	again, err := st.Create(ctx, db, gent.OutletID, "front")
	if err != nil {
		t.Fatal(err)
	}
	if found, err := st.Find(ctx, db, "Gent/Front"); err != nil || found.ID != again.ID {
		t.Fatalf("Find(Gent/Front) = %+v, %v, want the live register", found, err)
	}

	// No register is added to an archived outlet.
	if _, err := db.Exec(`UPDATE registers SET archived_at = now() WHERE outlet_id = $1`, brugge.OutletID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE outlets SET archived_at = now() WHERE id = $1`, brugge.OutletID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, db, brugge.OutletID, "Till"); !errors.Is(err, register.ErrOutletArchived) {
		t.Errorf("a register in an archived outlet: %v, want ErrOutletArchived", err)
	}
}

// TestArchiveAndOpenAtOnce archives a register while a session is being opened on it in
// another transaction, and the other way round: whichever commits first wins, and the
// other is refused, never both.
func TestArchiveAndOpenAtOnce(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := register.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Front")

	// waitBlocked returns once another connection of this database waits for a lock, or
	// once the other side has finished without waiting (its answer is put back).
	waitBlocked := func(done chan error) {
		t.Helper()
		for {
			select {
			case err := <-done:
				done <- err
				return
			default:
			}
			var waiting bool
			err := db.Get(&waiting, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock')`)
			if err != nil {
				t.Fatal(err)
			}
			if waiting {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	// The session first: the archive waits for it, then sees it and is refused.
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenSession(ctx, tx, shop.RegisterID, decimal.Zero, "An"); err != nil {
		t.Fatal(err)
	}
	archived := make(chan error, 1)
	go func() { _, err := st.Archive(ctx, db, shop.RegisterID); archived <- err }()
	waitBlocked(archived)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-archived; !errors.Is(err, register.ErrRegisterInUse) {
		t.Fatalf("archive while a session was being opened: %v, want ErrRegisterInUse", err)
	}
	cash, err := sales.Store{}.PaymentTypeByName(ctx, db, "Cash")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseSession(ctx, db, shop.RegisterID, []register.Count{{PaymentTypeID: cash.ID, Counted: decimal.Zero}}, "An"); err != nil {
		t.Fatal(err)
	}

	// The archive first: the open waits for it, then sees it and is refused.
	tx, err = db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Archive(ctx, tx, shop.RegisterID); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() { _, err := st.OpenSession(ctx, db, shop.RegisterID, decimal.Zero, "Bo"); opened <- err }()
	waitBlocked(opened)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; !errors.Is(err, register.ErrArchived) {
		t.Fatalf("open while the register was being archived: %v, want ErrArchived", err)
	}
}

func TestCountingAPaymentTypeTwiceIsRefused(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := register.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Front")
	if _, err := st.OpenSession(ctx, db, shop.RegisterID, decimal.Zero, "An"); err != nil {
		t.Fatal(err)
	}
	cash, err := sales.Store{}.PaymentTypeByName(ctx, db, "cash")
	if err != nil {
		t.Fatal(err)
	}
	before := dbtest.Counts(t, db)
	counts := []register.Count{{PaymentTypeID: cash.ID, Counted: decimal.NewFromInt(10)}, {PaymentTypeID: cash.ID, Counted: decimal.NewFromInt(20)}}
	if _, err := st.CloseSession(ctx, db, shop.RegisterID, counts, "An"); !errors.Is(err, register.ErrCountedTwice) {
		t.Fatalf("close with Cash counted twice: %v, want ErrCountedTwice", err)
	}
	dbtest.Unchanged(t, db, before)
	if _, err := st.CurrentSession(ctx, db, shop.RegisterID); err != nil {
		t.Fatalf("the refused close closed the session: %v", err)
	}
}
