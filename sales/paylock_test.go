package sales_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
)

// A sale recorded with its payments in one statement (as an import records an order) is
// not locked by its payments' trigger, and its balance is right; a sale recorded earlier in the same transaction and paid by a later statement
// still has its balance summed again; a sale another transaction recorded is locked by
// the transaction that pays it, so that a concurrent payment waits and then counts it.
func TestPaymentsLockOnlySalesOtherTransactionsRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	var cash int64
	if err := db.Get(&cash, `SELECT id FROM payment_types WHERE name = 'Cash'`); err != nil {
		t.Fatal(err)
	}
	newSale := func(q sqlx.ExtContext, receipt string, balance string) int64 {
		t.Helper()
		var id int64
		err := sqlx.GetContext(ctx, q, &id, `INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at,
			currency, subtotal, tax_total, total, balance) VALUES ($1, $2, $3, 'shopify', now(), 'EUR', 10, 0, 10, $4) RETURNING id`,
			ids.OutletID, ids.RegisterID, receipt, balance)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	pay := func(q sqlx.ExtContext, sale int64, amount string) {
		t.Helper()
		if _, err := q.ExecContext(ctx, `INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id)
			VALUES ($1, $2, $3, now(), $4)`, sale, cash, amount, ids.RegisterID); err != nil {
			t.Fatal(err)
		}
	}
	state := func(sale int64) (balance string) {
		t.Helper()
		if err := db.Get(&balance, `SELECT balance::text FROM sales WHERE id = $1`, sale); err != nil {
			t.Fatal(err)
		}
		return balance
	}

	// Recorded with its payment in one statement: inside the transaction, the sale's row
	// is locked only by the payment's foreign key check (FOR KEY SHARE), not by the trigger
	// (FOR NO KEY UPDATE). pgrowlocks reads the row locks of running transactions.
	if _, err := db.Exec(`CREATE EXTENSION IF NOT EXISTS pgrowlocks`); err != nil {
		t.Skipf("pgrowlocks (PostgreSQL's contrib) is needed to see row locks: %v", err)
	}
	tx0 := db.MustBegin()
	var imported int64
	err := tx0.Get(&imported, `WITH s AS (
			INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency, subtotal, tax_total, total, balance)
			VALUES ($1, $2, '#IMPORTED', 'shopify', now(), 'EUR', 10, 0, 10, 6) RETURNING id),
		p AS (INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id)
			SELECT id, $3, 4, now(), $2 FROM s)
		SELECT id FROM s`, ids.OutletID, ids.RegisterID, cash)
	if err != nil {
		t.Fatal(err)
	}
	var modes []string
	if err := tx0.Select(&modes, `SELECT unnest(l.modes) FROM pgrowlocks('sales') l
		JOIN sales s ON s.ctid = l.locked_row WHERE s.id = $1`, imported); err != nil {
		t.Fatal(err)
	}
	if err := tx0.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, m := range modes {
		if m != "For Key Share" {
			t.Fatalf("a sale recorded with its payments is locked %v by its own transaction, want only the foreign key's For Key Share", modes)
		}
	}
	if bal := state(imported); bal != "6.00" {
		t.Fatalf("sale recorded with its payment: balance %s, want 6.00", bal)
	}

	// Recorded, then paid by a later statement of the same transaction: summed again.
	tx := db.MustBegin()
	later := newSale(tx, "#LATER", "10")
	pay(tx, later, "3")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if bal := state(later); bal != "7.00" {
		t.Fatalf("sale paid by a later statement of its transaction: balance %s, want 7.00", bal)
	}

	// Recorded by another transaction: the paying one locks it, a second payer waits.
	older := newSale(db, "#OLDER", "10")
	first := db.MustBegin()
	pay(first, older, "2")
	var firstPID int
	if err := first.Get(&firstPID, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(ctx, `INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id)
			VALUES ($1, $2, 5, now(), $3)`, older, cash, ids.RegisterID)
		done <- err
	}()
	for {
		var waiting int
		if err := db.Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
			AND $1 = ANY (pg_blocking_pids(pid))`, firstPID); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the second payment did not wait for the first: %v", err)
		default:
		}
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if bal := state(older); bal != "3.00" {
		t.Fatalf("sale paid by two transactions at once: balance %s, want 3.00", bal)
	}
}
