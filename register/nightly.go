package register

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/sales"
)

// The rules a nightly report's day can break.
var (
	ErrDayNotBegun  = errors.New("the day has not begun in the outlet's time zone")
	ErrBeforeOutlet = errors.New("the day is before the outlet was created")
)

// NightlyReport is an outlet's report for one local calendar day, in the outlet's time
// zone: from local midnight to the next local midnight (23 or 25 hours around a
// daylight-saving change). Money is a string with two decimals, times are RFC 3339 in the
// outlet's time zone.
type NightlyReport struct {
	Outlet      string `json:"outlet"`
	Day         string `json:"day"`
	Timezone    string `json:"timezone"`
	Currency    string `json:"currency"`
	From        string `json:"from"`
	To          string `json:"to"`
	GeneratedAt string `json:"generated_at"`
	// Sessions are the outlet's register sessions open at any moment of the day, with
	// their closing figures, by opening time.
	Sessions []ClosingReport `json:"sessions"`
	// OpenSessions are the sessions still open at the end of the day (a warning: a
	// register was not closed).
	OpenSessions []OpenSession `json:"open_sessions"`
	// Payments totals the payments taken on the outlet's registers during the day, per
	// payment type; a payment that was voided is left out.
	Payments []TypeTotal `json:"payments"`
	// Sales totals the outlet's sales of the day per source, pos and shopify, both always
	// present.
	Sales        []SourceTotal `json:"sales"`
	ShippingFees string        `json:"shipping_fees"`
	// NegativeStock lists the products whose stock at the outlet was below zero after a
	// movement of the day.
	NegativeStock []NegativeStock `json:"negative_stock"`
	// AwaitingPayment lists the oldest MaxNightlyAwaiting of the outlet's sales sold before
	// the end of the day that still owe a balance when the report is generated, oldest
	// first; AwaitingPaymentCount and AwaitingPaymentTotal count and total them all (the
	// Sales screen's "awaiting payment" filter pages through the rest).
	AwaitingPayment      []AwaitingSale `json:"awaiting_payment"`
	AwaitingPaymentCount int            `json:"awaiting_payment_count"`
	AwaitingPaymentTotal string         `json:"awaiting_payment_total"`
	// ImportFailures lists the Shopify orders of the outlet's connections that failed to
	// import during the day.
	ImportFailures []ImportFailure `json:"import_failures"`
	// OrderChanges lists the imported Shopify orders that changed in Shopify during the
	// day: each change recorded against its sale (outcome updated) or left for staff to
	// review (needs_review), with what differs.
	OrderChanges []OrderChange `json:"order_changes"`
	// ExpiringFailures lists the Shopify orders that failed to import and leave Shopify's
	// 60-day window within 7 days of the report's end: fix them while Shopify still hands
	// them out.
	ExpiringFailures []ExpiringFailure `json:"expiring_failures"`
	// Reconciliations are the nightly reconciliations of the outlet's shops that ran during
	// the day: each compared the shop's orders of the last days with kassa and recorded what
	// differed; the report keeps its count and its first differences.
	Reconciliations []Reconciliation `json:"reconciliations"`
	// Returns totals the day's returns by where they were taken: pos (at a register) and
	// shopify (refunded in Shopify), both always present; totals are negative.
	Returns []SourceTotal `json:"returns"`
	// VoidedSalesCount and VoidedSalesTotal are the counter sales of the day that were
	// voided: they count in no other figure.
	VoidedSalesCount int    `json:"voided_sales_count"`
	VoidedSalesTotal string `json:"voided_sales_total"`
	// CashIn and CashOut total the cash paid into and taken out of the outlet's drawers.
	CashIn  string `json:"cash_in"`
	CashOut string `json:"cash_out"`
	// Taxes are the day's taxes per rate: the sales' less what returns gave back.
	Taxes []TaxFigure `json:"taxes"`
	// Hourly is the outlet's sales per hour of the day, every hour of it, zero or not.
	Hourly []HourFigure `json:"hourly"`
	// StockCorrections lists the products whose Shopify quantity the day's drift check
	// found different from the outlet's level, and set to it.
	StockCorrections []StockCorrection `json:"stock_corrections,omitempty"`
}

// ExpiringFailure is an order that failed to import and leaves Shopify's window soon.
type ExpiringFailure struct {
	OrderName      string `json:"order_name"`
	ShopifyOrderID int64  `json:"shopify_order_id"`
	Reason         string `json:"reason"`
	AgeDays        int    `json:"age_days"`
	LeavesAt       string `json:"leaves_at"`
}

// Reconciliation is a nightly reconciliation of one shop: when it ran, the window of
// orders it compared (created in [WindowFrom, WindowTo)), how many orders and
// differences it found, whether it recorded them (Fixed, with the import run that did),
// why it failed (Error, "" when it did not), and the first differences.
type Reconciliation struct {
	Shop             string                `json:"shop"`
	At               string                `json:"at"`
	WindowFrom       string                `json:"window_from"`
	WindowTo         string                `json:"window_to"`
	Orders           int                   `json:"orders"`
	Differences      int                   `json:"differences"`
	Fixed            bool                  `json:"fixed"`
	RunID            *int64                `json:"run_id"`
	Error            string                `json:"error"`
	FirstDifferences []ReconcileDifference `json:"first_differences"`
}

// ReconcileDifference is an order a reconciliation found different, with the reasons.
type ReconcileDifference struct {
	OrderName      string   `json:"order_name"`
	ShopifyOrderID int64    `json:"shopify_order_id"`
	Reasons        []string `json:"reasons"`
}

// Reconciled is a nightly reconciliation as its log tells it.
type Reconciled struct {
	Shop        string
	At          time.Time
	From, To    time.Time
	Orders      int
	Differences int
	Fixed       bool
	RunID       *int64
	Error       string
	First       []ReconciledOrder
}

// ReconciledOrder is one of the first differences a reconciliation kept.
type ReconciledOrder struct {
	OrderName string
	OrderID   int64
	Reasons   []string
}

// ExpiringImport is an order that failed to import and leaves its channel's window soon,
// as the import log tells it.
type ExpiringImport struct {
	OrderName string
	OrderID   int64
	Reason    string
	LeavesAt  time.Time
	AgeDays   int
}

// OrderChange is an imported order that changed in its channel: Outcome is "updated"
// (recorded against the sale) or "needs_review" (kassa cannot express it; Reason says
// what differs).
type OrderChange struct {
	OrderName      string `json:"order_name"`
	ShopifyOrderID int64  `json:"shopify_order_id"`
	Outcome        string `json:"outcome"`
	Reason         string `json:"reason"`
	At             string `json:"at"`
}

// ChangedImport is an imported order that changed in its channel, as its import log
// tells it.
type ChangedImport struct {
	OrderName string
	OrderID   int64
	Outcome   string
	Reason    string
	At        time.Time
}

// StockCorrection is a product whose quantity in a shop differed from the outlet's level
// and was set to it. ShopAvailable is nil when the shop did not stock it at its location.
type StockCorrection struct {
	Shop          string `json:"shop"`
	SKU           string `json:"sku"`
	Name          string `json:"name"`
	Level         int    `json:"kassa_level"`
	ShopAvailable *int   `json:"shop_available"`
	At            string `json:"at"`
}

// OpenSession is a session that was not closed by the end of the day.
type OpenSession struct {
	SessionID int64  `json:"session_id"`
	Register  string `json:"register"`
	OpenedAt  string `json:"opened_at"`
	OpenedBy  string `json:"opened_by"`
}

// TypeTotal is the money taken with one payment type.
type TypeTotal struct {
	Type   string `json:"type"`
	Count  int    `json:"count"`
	Amount string `json:"amount"`
}

// SourceTotal is the sales from one source: pos (in store) or shopify.
type SourceTotal struct {
	Source string `json:"source"`
	Count  int    `json:"count"`
	Total  string `json:"total"`
}

// NegativeStock is a product whose stock went below zero during the day.
type NegativeStock struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Lowest   int    `json:"lowest"`
	EndOfDay int    `json:"end_of_day"`
}

// MaxNightlyAwaiting is how many of the sales awaiting payment a nightly report lists one
// by one (the oldest); it counts and totals them all. It keeps the report's size and the
// time it takes bounded however many sales of the outlet's history were never paid.
const MaxNightlyAwaiting = 200

// AwaitingSale is a sale that still owes a balance. AgeDays counts calendar days from
// the day it was sold to the report's day.
type AwaitingSale struct {
	ReceiptNumber string `json:"receipt_number"`
	Source        string `json:"source"`
	SoldAt        string `json:"sold_at"`
	Total         string `json:"total"`
	Balance       string `json:"balance"`
	AgeDays       int    `json:"age_days"`
}

// ImportFailure is an order that could not be imported. Resolved is true when a later
// run of the same connection imported it after all.
type ImportFailure struct {
	OrderName      string `json:"order_name"`
	ShopifyOrderID int64  `json:"shopify_order_id"`
	Reason         string `json:"reason"`
	At             string `json:"at"`
	Resolved       bool   `json:"resolved"`
}

// FailedImport is an order another channel failed to import, as its import log tells it.
type FailedImport struct {
	OrderName string
	OrderID   int64
	Reason    string
	At        time.Time
	// Resolved is true when a later run imported the order after all.
	Resolved bool
}

// ImportLog is where the nightly report finds the import failures of an outlet's day; the
// Shopify link's run log (sync/shopify's RunLog) is the one kassa uses. It is asked inside
// the report's snapshot.
type ImportLog interface {
	// FailedImports lists the orders of the outlet's shops whose import failed in
	// [from, to), in the order they failed.
	FailedImports(ctx context.Context, q pg.Queryer, outletID int64, from, to time.Time) ([]FailedImport, error)
	// ChangedImports lists the imported orders of the outlet's shops whose change was
	// recorded or left for review in [from, to), in that order.
	ChangedImports(ctx context.Context, q pg.Queryer, outletID int64, from, to time.Time) ([]ChangedImport, error)
	// ExpiringImports lists the orders of the outlet's shops that failed to import and
	// leave the channel's window within a week of at.
	ExpiringImports(ctx context.Context, q pg.Queryer, outletID int64, at time.Time) ([]ExpiringImport, error)
	// Reconciliations lists the nightly reconciliations of the outlet's shops that started
	// in [from, to), in that order.
	Reconciliations(ctx context.Context, q pg.Queryer, outletID int64, from, to time.Time) ([]Reconciled, error)
}

// DayBounds returns the local calendar day of date (its year, month and day, whatever its
// location) in loc: [local midnight, next local midnight).
func DayBounds(date time.Time, loc *time.Location) (from, to time.Time) {
	y, m, d := date.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// GenerateNightly builds the nightly report of an outlet for the local calendar day of
// day (its year, month and day count; its location does not) and stores it, replacing a
// report stored before for the same outlet and day. A day after today in the outlet's
// time zone, or before the outlet was created, is refused (ErrDayNotBegun,
// ErrBeforeOutlet, as a *RefusedError) and nothing is stored.
func (s Service) GenerateNightly(ctx context.Context, db pg.Queryer, outletID int64, day time.Time) (NightlyReport, error) {
	var (
		out NightlyReport
		err error
	)
	if d, ok := db.(*sqlx.DB); ok {
		// One snapshot for every figure of the report.
		err = readSnapshot(ctx, d, func(tx *sqlx.Tx) error {
			var err error
			out, err = s.nightly(ctx, tx, outletID, day)
			return err
		})
	} else {
		out, err = s.nightly(ctx, db, outletID, day)
	}
	var refused *RefusedError
	if errors.As(err, &refused) {
		return NightlyReport{}, err
	}
	if err != nil {
		return NightlyReport{}, fmt.Errorf("nightly report: %w", err)
	}
	body, err := json.Marshal(out)
	if err != nil {
		return NightlyReport{}, fmt.Errorf("encode nightly report: %w", err)
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO nightly_reports (outlet_id, day, generated_at, body) VALUES ($1, $2, $3, $4)
		ON CONFLICT (outlet_id, day) DO UPDATE SET generated_at = EXCLUDED.generated_at, body = EXCLUDED.body`,
		outletID, out.Day, s.now(), body)
	if err != nil {
		return NightlyReport{}, fmt.Errorf("store nightly report of %s: %w", out.Day, err)
	}
	return out, nil
}

// readSnapshot runs fn in a read-only transaction that sees one snapshot of the database.
func readSnapshot(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin report snapshot: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to lose when rollback fails
	// The report is a dozen small reads of one day: starting parallel workers for one of
	// them costs more than the read (20 to 60 ms each on a busy machine, for a read of 3 to
	// 10 ms, measured at 1,000,000 sales).
	if _, err := tx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
		return fmt.Errorf("begin report snapshot: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("end report snapshot: %w", err)
	}
	return nil
}

// NightlyGeneratedAt returns when the nightly report stored for an outlet and day was
// generated, or ErrNotFound.
func (Service) NightlyGeneratedAt(ctx context.Context, q pg.Queryer, outletID int64, day time.Time) (time.Time, error) {
	var at time.Time
	date := day.Format(time.DateOnly)
	err := sqlx.GetContext(ctx, q, &at, `SELECT generated_at FROM nightly_reports WHERE outlet_id = $1 AND day = $2`, outletID, date)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("nightly report of %s: %w", date, ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("look for the nightly report of %s: %w", date, err)
	}
	return at, nil
}

// StoredNightly returns the nightly report stored for an outlet and day, or ErrNotFound.
func (Service) StoredNightly(ctx context.Context, q pg.Queryer, outletID int64, day time.Time) (NightlyReport, error) {
	var body []byte
	date := day.Format(time.DateOnly)
	err := sqlx.GetContext(ctx, q, &body, `SELECT body FROM nightly_reports WHERE outlet_id = $1 AND day = $2`, outletID, date)
	if errors.Is(err, sql.ErrNoRows) {
		return NightlyReport{}, fmt.Errorf("nightly report of %s: %w", date, ErrNotFound)
	}
	if err != nil {
		return NightlyReport{}, fmt.Errorf("load nightly report of %s: %w", date, err)
	}
	var out NightlyReport
	if err := json.Unmarshal(body, &out); err != nil {
		return NightlyReport{}, fmt.Errorf("decode nightly report of %s: %w", date, err)
	}
	return out, nil
}

func (s Service) nightly(ctx context.Context, q pg.Queryer, outletID int64, day time.Time) (NightlyReport, error) {
	outlet, err := inventory.Store{}.Outlet(ctx, q, outletID)
	if err != nil {
		return NightlyReport{}, err
	}
	loc, err := outlet.Location()
	if err != nil {
		return NightlyReport{}, err
	}
	if err := s.checkNightlyDay(outlet, loc, day); err != nil {
		return NightlyReport{}, err
	}
	from, to := DayBounds(day, loc)
	rfc := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	r := NightlyReport{
		Outlet: outlet.Name, Day: from.Format(time.DateOnly), Timezone: outlet.Timezone, Currency: outlet.Currency,
		From: rfc(from), To: rfc(to), GeneratedAt: rfc(s.now()),
		Sessions: []ClosingReport{}, OpenSessions: []OpenSession{}, Payments: []TypeTotal{},
		NegativeStock: []NegativeStock{}, AwaitingPayment: []AwaitingSale{}, ImportFailures: []ImportFailure{},
		OrderChanges: []OrderChange{}, ExpiringFailures: []ExpiringFailure{}, Reconciliations: []Reconciliation{},
	}

	var sessions []struct {
		ID       int64      `db:"id"`
		ClosedAt *time.Time `db:"closed_at"`
	}
	err = sqlx.SelectContext(ctx, q, &sessions, `
		SELECT s.id, s.closed_at FROM register_sessions s JOIN registers r ON r.id = s.register_id
		WHERE r.outlet_id = $1 AND s.opened_at < $3 AND (s.closed_at IS NULL OR s.closed_at >= $2)
		ORDER BY s.opened_at, s.id`, outletID, from, to)
	if err != nil {
		return NightlyReport{}, fmt.Errorf("list the day's sessions: %w", err)
	}
	for _, sess := range sessions {
		cr, err := buildClosing(ctx, q, sess.ID)
		if err != nil {
			return NightlyReport{}, fmt.Errorf("session %d: %w", sess.ID, err)
		}
		r.Sessions = append(r.Sessions, cr)
		if sess.ClosedAt == nil || !sess.ClosedAt.Before(to) {
			r.OpenSessions = append(r.OpenSessions, OpenSession{SessionID: cr.SessionID, Register: cr.Register, OpenedAt: cr.OpenedAt, OpenedBy: cr.OpenedBy})
		}
	}

	// Payments are taken on registers: those of the outlet, archived ones included.
	var registers []int64
	if err := sqlx.SelectContext(ctx, q, &registers, `SELECT id FROM registers WHERE outlet_id = $1 ORDER BY id`, outletID); err != nil {
		return NightlyReport{}, fmt.Errorf("list the outlet's registers: %w", err)
	}
	st := sales.Store{}
	types, err := st.PaymentTotals(ctx, q, registers, from, to)
	if err != nil {
		return NightlyReport{}, err
	}
	for _, t := range types {
		r.Payments = append(r.Payments, TypeTotal{Type: t.Type, Count: t.Count, Amount: money.String(t.Amount)})
	}

	totals, err := st.DayTotals(ctx, q, outletID, from, to)
	if err != nil {
		return NightlyReport{}, err
	}
	for _, b := range totals.BySource {
		r.Sales = append(r.Sales, SourceTotal{Source: b.Source, Count: b.Count, Total: money.String(b.Total)})
	}
	r.ShippingFees = money.String(totals.ShippingFees)
	r.Returns, r.Taxes = []SourceTotal{}, []TaxFigure{}
	for _, b := range totals.Returns {
		r.Returns = append(r.Returns, SourceTotal{Source: b.Source, Count: b.Count, Total: money.String(b.Total)})
	}
	r.VoidedSalesCount, r.VoidedSalesTotal = totals.VoidedCount, money.String(totals.VoidedTotal)
	for _, t := range totals.Taxes {
		r.Taxes = append(r.Taxes, TaxFigure{Rate: percent(t.Rate), Amount: money.String(t.Amount)})
	}
	cash, err := Store{}.DayCashMovements(ctx, q, registers, from, to)
	if err != nil {
		return NightlyReport{}, err
	}
	cashIn, cashOut := decimal.Zero, decimal.Zero
	for _, m := range cash {
		if m.Kind == CashOut {
			cashOut = cashOut.Add(m.Amount)
		} else {
			cashIn = cashIn.Add(m.Amount)
		}
	}
	r.CashIn, r.CashOut = money.String(cashIn), money.String(cashOut)

	if r.Hourly, err = hourly(ctx, q, sales.HourFilter{OutletID: outletID, From: from, To: to}, loc, true); err != nil {
		return NightlyReport{}, err
	}

	negative, err := inventory.Store{}.NegativeStock(ctx, q, outletID, from, to)
	if err != nil {
		return NightlyReport{}, err
	}
	for _, n := range negative {
		r.NegativeStock = append(r.NegativeStock, NegativeStock{SKU: n.SKU, Name: n.Name, Lowest: n.Lowest, EndOfDay: n.EndOfDay})
	}

	corrections, err := inventory.Store{}.StockCorrections(ctx, q, outletID, from, to)
	if err != nil {
		return NightlyReport{}, err
	}
	for _, c := range corrections {
		r.StockCorrections = append(r.StockCorrections, StockCorrection{
			Shop: c.Shop, SKU: c.SKU, Name: c.Name, Level: c.Level, ShopAvailable: c.ChannelAvailable, At: rfc(c.FoundAt),
		})
	}

	owed, err := st.AwaitingPayment(ctx, q, outletID, to, MaxNightlyAwaiting)
	if err != nil {
		return NightlyReport{}, err
	}
	owedAll, err := st.AwaitingPaymentTotals(ctx, q, outletID, to)
	if err != nil {
		return NightlyReport{}, err
	}
	for _, o := range owed {
		r.AwaitingPayment = append(r.AwaitingPayment, AwaitingSale{
			ReceiptNumber: o.Receipt, Source: o.Source, SoldAt: rfc(o.SoldAt), Total: money.String(o.Total),
			Balance: money.String(o.Balance), AgeDays: daysBetween(o.SoldAt.In(loc), from),
		})
	}
	r.AwaitingPaymentCount, r.AwaitingPaymentTotal = owedAll.Count, money.String(owedAll.Total)

	if s.ImportLog != nil {
		failures, err := s.ImportLog.FailedImports(ctx, q, outletID, from, to)
		if err != nil {
			return NightlyReport{}, err
		}
		for _, f := range failures {
			r.ImportFailures = append(r.ImportFailures, ImportFailure{
				OrderName: f.OrderName, ShopifyOrderID: f.OrderID, Reason: f.Reason, At: rfc(f.At), Resolved: f.Resolved,
			})
		}
		changes, err := s.ImportLog.ChangedImports(ctx, q, outletID, from, to)
		if err != nil {
			return NightlyReport{}, err
		}
		for _, c := range changes {
			r.OrderChanges = append(r.OrderChanges, OrderChange{
				OrderName: c.OrderName, ShopifyOrderID: c.OrderID, Outcome: c.Outcome, Reason: c.Reason, At: rfc(c.At),
			})
		}
		expiring, err := s.ImportLog.ExpiringImports(ctx, q, outletID, to)
		if err != nil {
			return NightlyReport{}, err
		}
		for _, e := range expiring {
			r.ExpiringFailures = append(r.ExpiringFailures, ExpiringFailure{
				OrderName: e.OrderName, ShopifyOrderID: e.OrderID, Reason: e.Reason, AgeDays: e.AgeDays, LeavesAt: rfc(e.LeavesAt),
			})
		}
		recs, err := s.ImportLog.Reconciliations(ctx, q, outletID, from, to)
		if err != nil {
			return NightlyReport{}, err
		}
		for _, x := range recs {
			rec := Reconciliation{
				Shop: x.Shop, At: rfc(x.At), WindowFrom: rfc(x.From), WindowTo: rfc(x.To), Orders: x.Orders,
				Differences: x.Differences, Fixed: x.Fixed, RunID: x.RunID, Error: x.Error, FirstDifferences: []ReconcileDifference{},
			}
			for _, d := range x.First {
				reasons := d.Reasons
				if reasons == nil {
					reasons = []string{}
				}
				rec.FirstDifferences = append(rec.FirstDifferences, ReconcileDifference{OrderName: d.OrderName, ShopifyOrderID: d.OrderID, Reasons: reasons})
			}
			r.Reconciliations = append(r.Reconciliations, rec)
		}
	}
	return r, nil
}

// checkNightlyDay refuses a nightly report of a day that has not begun in the outlet's
// time zone, or that ended before the outlet was created: there is nothing to report yet,
// or ever, and a stored report of such a day would only mislead.
func (s Service) checkNightlyDay(outlet inventory.Outlet, loc *time.Location, day time.Time) error {
	date := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	localDate := func(t time.Time) time.Time {
		t = t.In(loc)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	today, created := localDate(s.now()), localDate(outlet.CreatedAt)
	switch {
	case date.After(today):
		return refuse(ErrDayNotBegun, "%s has not begun in outlet %q: it is %s there",
			date.Format(time.DateOnly), outlet.Name, today.Format(time.DateOnly))
	case date.Before(created):
		return refuse(ErrBeforeOutlet, "%s is before outlet %q was created (on %s): no report for it",
			date.Format(time.DateOnly), outlet.Name, created.Format(time.DateOnly))
	}
	return nil
}

// daysBetween counts calendar days from t's date to day's date, both in day's location.
func daysBetween(t, day time.Time) int {
	ty, tm, td := t.Date()
	dy, dm, dd := day.Date()
	a := time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)
	b := time.Date(dy, dm, dd, 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}
