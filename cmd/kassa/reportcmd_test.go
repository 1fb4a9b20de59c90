package main

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
)

func TestNightlyReportThroughTheCLI(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	seedAwaitingOrder(t, db, shop, "#1002", "12.00")
	ok(t, url, "register", "open", "--float", "100.00")
	ok(t, url, "payments", "apply", "--receipt", "#1002", "--type", "Bank deposit", "--amount", "2.00")
	today := time.Now().In(mustLocation(t, "Europe/Brussels")).Format(time.DateOnly)

	var r register.NightlyReport
	mustJSON(t, ok(t, url, "report", "nightly", "--outlet", "Gent", "--date", today, "--json"), &r)
	if r.Day != today || r.Outlet != "Gent" || len(r.Sessions) != 1 || len(r.OpenSessions) != 1 {
		t.Errorf("nightly report of today = %+v", r)
	}
	if len(r.Payments) != 1 || r.Payments[0].Type != "Bank deposit" || r.Payments[0].Amount != "2.00" {
		t.Errorf("payments of the day = %+v", r.Payments)
	}
	if r.AwaitingPaymentTotal != "10.00" || len(r.AwaitingPayment) != 1 || r.AwaitingPayment[0].ReceiptNumber != "#1002" {
		t.Errorf("awaiting payment = %s %+v", r.AwaitingPaymentTotal, r.AwaitingPayment)
	}

	// Printed again (by default for today): still one stored report for the day.
	text := ok(t, url, "report", "nightly")
	if !strings.Contains(text, "NIGHTLY REPORT") || !strings.Contains(text, "WARNING: registers not closed") {
		t.Errorf("nightly text:\n%s", text)
	}
	assertPrinterWidth(t, "report nightly", text)
	var stored int
	if err := db.Get(&stored, `SELECT count(*) FROM nightly_reports WHERE outlet_id = $1 AND day = $2`, shop.OutletID, today); err != nil {
		t.Fatal(err)
	}
	if stored != 1 {
		t.Errorf("%d nightly reports stored for %s, want 1", stored, today)
	}
	csv := ok(t, url, "report", "nightly", "--date", today, "--format", "csv")
	if !strings.HasPrefix(csv, "section,item,figure,value\nreport,,outlet,Gent\nreport,,day,"+today+"\n") {
		t.Errorf("nightly csv:\n%s", csv)
	}

	// Not for a day that has not begun in the outlet's time zone, nor for one before the
	// outlet existed; nothing is stored.
	now := time.Now().In(mustLocation(t, "Europe/Brussels"))
	created := time.Date(now.Year(), now.Month(), now.Day()-5, 12, 0, 0, 0, now.Location())
	if _, err := db.Exec(`UPDATE outlets SET created_at = $2 WHERE id = $1`, shop.OutletID, created); err != nil {
		t.Fatal(err)
	}
	ok(t, url, "report", "nightly", "--date", created.Format(time.DateOnly))
	// Two days ahead, so that the test never straddles midnight.
	later, before := now.AddDate(0, 0, 2).Format(time.DateOnly), created.AddDate(0, 0, -1).Format(time.DateOnly)
	fails(t, db, url, later+` has not begun in outlet "Gent"`, "report", "nightly", "--date", later)
	fails(t, db, url, before+` is before outlet "Gent" was created (on `+created.Format(time.DateOnly)+`): no report for it`,
		"report", "nightly", "--date", before)

	fails(t, db, url, `--date "2026-13-01" is not a date`, "report", "nightly", "--date", "2026-13-01")
	fails(t, db, url, `outlet "Nowhere"`, "report", "nightly", "--outlet", "Nowhere")
	fails(t, db, url, "--json and --format csv disagree", "report", "nightly", "--json", "--format", "csv")
	fails(t, db, url, "say which session", "report", "closing")
	fails(t, db, url, "give either --session or --register with --last", "report", "closing", "--session", "1", "--last")
	fails(t, db, url, "there is no register session 999", "report", "closing", "--session", "999")
	fails(t, db, url, `register "Till" has not been closed yet`, "report", "closing", "--last")
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
