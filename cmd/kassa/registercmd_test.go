package main

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
)

// seedAwaitingOrder records a Shopify order sold the day before, with no payment yet:
// one custom line of total, so its whole total is its balance.
func seedAwaitingOrder(t *testing.T, db *sqlx.DB, shop dbtest.Shop, receipt, total string) {
	t.Helper()
	_, err := db.Exec(`
		WITH s AS (
			INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency, subtotal, tax_total, total, balance)
			VALUES ($1, $2, $3, 'shopify', now() - interval '1 day', 'EUR', $4, 0, $4, $4) RETURNING id)
		INSERT INTO sale_lines (sale_id, line_no, kind, title, quantity, unit_price, tax, total)
		SELECT id, 1, 'custom', 'Mug', 1, $4, 0, $4 FROM s`, shop.OutletID, shop.RegisterID, receipt, total)
	if err != nil {
		t.Fatal(err)
	}
}

func assertPrinterWidth(t *testing.T, what, text string) {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if utf8.RuneCountInString(l) > register.Width {
			t.Errorf("%s: line wider than %d columns: %q", what, register.Width, l)
		}
	}
}

// TestRegisterDayThroughTheCLI runs a register's day: open, settle a bank deposit in two
// parts, close with counted amounts, print the closing report again.
func TestRegisterDayThroughTheCLI(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	seedAwaitingOrder(t, db, shop, "#1002", "15.50")

	if out := ok(t, url, "register", "status"); !strings.Contains(out, `register "Till" is closed`) {
		t.Errorf("status of a closed register: %q", out)
	}
	fails(t, db, url, "register open needs --float", "register", "open")
	fails(t, db, url, `"1,50" is not a valid amount`, "register", "open", "--float", "1,50")

	var opened map[string]any
	mustJSON(t, ok(t, url, "register", "open", "--float", "150.00", "--by", "anna", "--json"), &opened)
	if opened["register"] != "Till" || opened["opening_float"] != "150.00" || opened["opened_by"] != "anna" {
		t.Errorf("register open --json = %v", opened)
	}
	fails(t, db, url, `register "Till" is already open`, "register", "open", "--float", "10.00")

	var status struct {
		Open    bool
		Session register.ClosingReport
	}
	mustJSON(t, ok(t, url, "register", "status", "--register", "Till", "--json"), &status)
	if !status.Open || status.Session.Payments[0].Type != "Cash" || status.Session.Payments[0].Expected != "150.00" {
		t.Errorf("register status --json = %+v", status)
	}
	xreport := ok(t, url, "register", "status")
	if !strings.Contains(xreport, "X-REPORT") {
		t.Errorf("register status text: %q", xreport)
	}
	assertPrinterWidth(t, "register status", xreport)

	var paid map[string]any
	mustJSON(t, ok(t, url, "payments", "apply", "--receipt", "#1002", "--type", "Bank deposit", "--amount", "5.50", "--by", "bert", "--json"), &paid)
	if paid["amount"] != "5.50" || paid["balance"] != "10.00" || paid["status"] != "awaiting_payment" || paid["type"] != "Bank deposit" {
		t.Errorf("payments apply --json = %v", paid)
	}
	if out := ok(t, url, "payments", "apply", "--receipt", "#1002", "--type", "bank deposit"); !strings.Contains(out, "applied 10.00 by Bank deposit to #1002") ||
		!strings.Contains(out, "balance 0.00: paid (payment ") {
		t.Errorf("payments apply (the rest): %q", out)
	}

	fails(t, db, url, "write it as TYPE=AMOUNT", "register", "close", "--counted", "Cash:150.00")
	fails(t, db, url, `unknown payment type "Cheque"`, "register", "close", "--counted", "Cheque=1.00")
	fails(t, db, url, "Cash is counted twice", "register", "close", "--counted", "Cash=1.00", "--counted", "cash=2.00")
	fails(t, db, url, "--format must be text, json or csv", "register", "close", "--format", "pdf")
	// A close without counts is final too: it must be asked for.
	fails(t, db, url, "register close needs what was counted: give --counted 'TYPE=AMOUNT' (once per payment type), or --no-counts to close without counting",
		"register", "close")
	fails(t, db, url, "--counted and --no-counts disagree", "register", "close", "--counted", "Cash=1.00", "--no-counts")

	closedJSON := ok(t, url, "register", "close", "--counted", "Cash=149.00", "--counted", "Bank deposit=15.50", "--by", "bert", "--json")
	var closed register.ClosingReport
	mustJSON(t, closedJSON, &closed)
	if closed.ClosedBy == nil || *closed.ClosedBy != "bert" || closed.OpenedBy != "anna" || closed.Register != "Till" || closed.Outlet != "Gent" {
		t.Errorf("closing report head = %+v", closed)
	}
	if len(closed.Payments) != 2 || *closed.Payments[0].Difference != "-1.00" ||
		closed.Payments[1].Type != "Bank deposit" || closed.Payments[1].Expected != "15.50" || *closed.Payments[1].Difference != "0.00" {
		t.Errorf("closing report payments = %+v", closed.Payments)
	}
	if len(closed.AppliedPayments) != 2 || closed.AppliedPayments[0].ReceiptNumber != "#1002" || closed.AwaitingPaymentTotal != "0.00" || closed.SalesCount != 0 {
		t.Errorf("closing report = %+v", closed)
	}
	if closed.ZNumber == nil || *closed.ZNumber != 1 || closed.OpenedToken != nil || closed.ClosedToken != nil {
		t.Errorf("closing report: Z %v, tokens %v %v; want Z 1 and the command line", closed.ZNumber, closed.OpenedToken, closed.ClosedToken)
	}
	fails(t, db, url, `register "Till" has no open session: there is nothing to close`, "register", "close", "--no-counts")

	if again := ok(t, url, "report", "closing", "--register", "Till", "--last", "--json"); again != closedJSON {
		t.Errorf("re-printed closing report differs:\n%s\nwas:\n%s", again, closedJSON)
	}
	csv := ok(t, url, "report", "closing", "--session", strconv.FormatInt(closed.SessionID, 10), "--format", "csv")
	if !strings.HasPrefix(csv, "section,item,figure,value\n") || !strings.Contains(csv, "payments,Cash,difference,-1.00\n") {
		t.Errorf("closing report csv:\n%s", csv)
	}
	text := ok(t, url, "report", "closing", "--last")
	if !strings.Contains(text, "CLOSING REPORT") || !strings.Contains(text, "-1.00") {
		t.Errorf("closing report text:\n%s", text)
	}
	assertPrinterWidth(t, "report closing", text)
	if !strings.Contains(text, "Z 1\n") || !strings.Contains(text, "via command line\n") {
		t.Errorf("closing report text without its Z number or where it was closed from:\n%s", text)
	}

	// Closed on purpose without counting: the second close of the till.
	ok(t, url, "register", "open", "--float", "0")
	var second register.ClosingReport
	mustJSON(t, ok(t, url, "register", "close", "--no-counts", "--json"), &second)
	if second.ZNumber == nil || *second.ZNumber != 2 || second.Payments[0].Counted != nil {
		t.Errorf("close --no-counts: Z %v, payments %+v", second.ZNumber, second.Payments)
	}
}

func TestPaymentRefusalsThroughTheCLI(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	seedAwaitingOrder(t, db, shop, "#1002", "12.00")
	apply := func(extra ...string) []string {
		return append([]string{"payments", "apply", "--receipt", "#1002", "--type", "Bank deposit"}, extra...)
	}
	fails(t, db, url, `register "Till" has no open session: open it first`, apply()...)
	ok(t, url, "register", "open", "--float", "0")

	fails(t, db, url, "payments apply needs --receipt and --type", "payments", "apply", "--receipt", "#1002")
	fails(t, db, url, "15.50 is more than the balance of #1002 (12.00)", apply("--amount", "15.50")...)
	fails(t, db, url, `"0" is not a valid amount: it must be more than 0.00`, apply("--amount", "0")...)
	fails(t, db, url, `"-1.00" is not a valid amount`, apply("--amount", "-1.00")...)
	fails(t, db, url, `"ten" is not a valid amount`, apply("--amount", "ten")...)
	fails(t, db, url, "is before the session opened", apply("--at", "2026-01-01T08:00:00+01:00")...)
	fails(t, db, url, "is in the future", apply("--at", "2999-01-01T08:00:00+01:00")...)
	fails(t, db, url, `--at "14:05" is not a time: write it like 2026-11-25 14:05`, apply("--at", "14:05")...)
	fails(t, db, url, `unknown payment type "Cheque": use one of Cash, Card, Bank deposit, Shopify`,
		"payments", "apply", "--receipt", "#1002", "--type", "Cheque")
	fails(t, db, url, `there is no sale #9999 at outlet "Gent"`, "payments", "apply", "--receipt", "#9999", "--type", "Cash")
	fails(t, db, url, `there is no register "Front"`, apply("--register", "Front")...)

	ok(t, url, "payments", "apply", "--receipt", "#1002", "--type", "Cash")
	fails(t, db, url, "#1002 has no balance to pay: it is already paid", apply()...)

	if _, err := db.Exec(`INSERT INTO registers (outlet_id, name) VALUES ($1, 'Back')`, shop.OutletID); err != nil {
		t.Fatal(err)
	}
	fails(t, db, url, "there are several registers: name one with --register", "register", "status")
	fails(t, db, url, "there are several registers: name one with --register", apply()...)
}
