package main

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
)

// TestReceiptWithoutItsHash: the shell drops an unquoted #1168 whole, so staff type 1168;
// kassa finds #1168 when that is the sale meant, and otherwise says to quote it.
func TestReceiptWithoutItsHash(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	seedAwaitingOrder(t, db, shop, "#1168", "20.00")
	seedAwaitingOrder(t, db, shop, "#1170", "5.00")
	seedAwaitingOrder(t, db, shop, "1170", "7.00") // a POS receipt that is just a number
	other := dbtest.NewShop(t, db, "Brugge", "Desk")
	seedAwaitingOrder(t, db, shop, "#1171", "1.00")
	seedAwaitingOrder(t, db, other, "#1171", "2.00")

	var sale map[string]any
	mustJSON(t, ok(t, url, "sales", "show", "1168", "--json"), &sale)
	if sale["receipt_number"] != "#1168" {
		t.Fatalf("sales show 1168 found %v, want #1168", sale["receipt_number"])
	}
	if out := ok(t, url, "sales", "show", "1168"); !strings.Contains(out, "Sale #1168") {
		t.Errorf("sales show 1168: %q", out)
	}
	mustJSON(t, ok(t, url, "sales", "show", "1170", "--json"), &sale)
	if sale["receipt_number"] != "1170" || sale["total"] != "7.00" {
		t.Errorf("sales show 1170 found %v (%v), want the sale 1170 itself", sale["receipt_number"], sale["total"])
	}
	fails(t, db, url, "no sale 1169; Shopify order numbers start with #: quote it, '#1169'", "sales", "show", "1169")
	fails(t, db, url, "several outlets have a sale with this receipt number: name the outlet", "sales", "show", "1171")
	mustJSON(t, ok(t, url, "sales", "show", "1171", "--outlet", "Brugge", "--json"), &sale)
	if sale["receipt_number"] != "#1171" || sale["total"] != "2.00" {
		t.Errorf("sales show 1171 --outlet Brugge: %v", sale)
	}
	// The shell ate the whole argument: say so.
	fails(t, db, url, "quote one that starts with # ('#1001'): the shell drops an unquoted #", "sales", "show")
	fails(t, db, url, "--receipt needs a receipt number; one that starts with # must be quoted ('#1001')", "payments", "apply", "--type", "Cash", "--register", "Gent/Till", "--receipt")

	ok(t, url, "register", "open", "--register", "Gent/Till", "--float", "0")
	fails(t, db, url, "no sale 1169; Shopify order numbers start with #: quote it, '#1169'",
		"payments", "apply", "--register", "Gent/Till", "--receipt", "1169", "--type", "Bank deposit")
	var paid map[string]any
	mustJSON(t, ok(t, url, "payments", "apply", "--register", "Gent/Till", "--receipt", "1168", "--type", "Bank deposit", "--json"), &paid)
	if paid["receipt_number"] != "#1168" || paid["balance"] != "0.00" {
		t.Fatalf("payments apply --receipt 1168: %v", paid)
	}
}

// TestPaymentTimeInTheOutletsZone: --at takes "2026-11-25 14:05" in the outlet's time zone,
// as the terminal does, besides RFC 3339.
func TestPaymentTimeInTheOutletsZone(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till") // Europe/Brussels
	seedAwaitingOrder(t, db, shop, "#1002", "30.00")
	ok(t, url, "register", "open", "--float", "0")
	// Opened three hours ago, so that the payments below lie inside the session.
	if _, err := db.Exec(`UPDATE register_sessions SET opened_at = now() - interval '3 hours' WHERE register_id = $1`, shop.RegisterID); err != nil {
		t.Fatal(err)
	}
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).In(brussels).Truncate(time.Minute)
	var paid map[string]any
	mustJSON(t, ok(t, url, "payments", "apply", "--receipt", "#1002", "--type", "Bank deposit", "--amount", "10.00",
		"--at", at.Format("2006-01-02 15:04"), "--json"), &paid)
	if paid["paid_at"] != at.Format(time.RFC3339) {
		t.Fatalf("--at %q recorded %v, want %s (the outlet's time)", at.Format("2006-01-02 15:04"), paid["paid_at"], at.Format(time.RFC3339))
	}
	earlier := at.Add(-30 * time.Minute)
	mustJSON(t, ok(t, url, "payments", "apply", "--receipt", "#1002", "--type", "Bank deposit", "--amount", "10.00",
		"--at", earlier.Format(time.RFC3339), "--json"), &paid)
	if paid["paid_at"] != earlier.Format(time.RFC3339) {
		t.Fatalf("--at RFC 3339 recorded %v, want %s", paid["paid_at"], earlier.Format(time.RFC3339))
	}
	fails(t, db, url, `--at "yesterday" is not a time: write it like 2026-11-25 14:05 (the outlet's time) or 2026-11-25T14:05:00+01:00`,
		"payments", "apply", "--receipt", "#1002", "--type", "Cash", "--at", "yesterday")
}
