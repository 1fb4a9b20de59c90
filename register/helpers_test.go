package register_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// shop is an outlet with a register and a few products, for building sales by hand.
type shop struct {
	t        testing.TB
	db       *sqlx.DB
	clock    *clock
	svc      register.Service
	loc      *time.Location
	outlet   inventory.Outlet
	till     register.Register
	cup      inventory.Product // tracks stock, 21 % VAT
	book     inventory.Product // tracks stock, 6 % VAT
	shipping inventory.Product // the Shopify shipping-fee product
	types    map[string]int64
}

func newShop(t testing.TB, db *sqlx.DB, tz string, start time.Time) *shop {
	t.Helper()
	ctx := context.Background()
	s := &shop{t: t, db: db, clock: newClock(start), loc: mustLoc(t, tz), types: map[string]int64{}}
	s.svc = register.Service{Clock: s.clock.Now, ImportLog: shopify.RunLog{}}
	var err error
	inv := inventory.Store{}
	if s.outlet, err = inv.CreateOutlet(ctx, db, "Gent", tz, "EUR"); err != nil {
		t.Fatal(err)
	}
	// The outlet opened a year before the test's clock starts, so that every day a test
	// reports on lies in its life, whatever the machine's own clock says.
	s.outlet.CreatedAt = start.AddDate(-1, 0, 0)
	if _, err := db.Exec(`UPDATE outlets SET created_at = $2 WHERE id = $1`, s.outlet.ID, s.outlet.CreatedAt); err != nil {
		t.Fatal(err)
	}
	if s.till, err = (register.Store{}).Create(ctx, db, s.outlet.ID, "Till"); err != nil {
		t.Fatal(err)
	}
	if s.cup, err = inv.CreateProduct(ctx, db, inventory.Product{SKU: "CUP", Name: "Espresso cup", Price: dec("12.50"), TracksStock: true, Published: true, Source: inventory.SourcePOS}); err != nil {
		t.Fatal(err)
	}
	if s.book, err = inv.CreateProduct(ctx, db, inventory.Product{SKU: "BOOK", Name: "Coffee book", Price: dec("20.00"), TracksStock: true, Published: true, Source: inventory.SourcePOS}); err != nil {
		t.Fatal(err)
	}
	if s.shipping, err = inv.CreateProduct(ctx, db, inventory.Product{SKU: "SHOPIFY-SHIPPING", Name: "Shopify shipping", Price: dec("0"), TracksStock: false, Published: false, Source: inventory.SourceSystem}); err != nil {
		t.Fatal(err)
	}
	types, err := sales.Store{}.PaymentTypes(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range types {
		s.types[pt.Name] = pt.ID
	}
	return s
}

// at is a local time of the shop on a day of November 2026, e.g. s.at(25, 9, 0).
func (s *shop) at(day, hour, minute int) time.Time {
	return time.Date(2026, time.November, day, hour, minute, 0, 0, s.loc)
}

func (s *shop) open(reg register.Register, at time.Time, float string) register.Session {
	s.t.Helper()
	s.clock.Set(at)
	sess, err := register.Store{Clock: s.clock.Now}.OpenSession(context.Background(), s.db, reg.ID, dec(float), "anna")
	if err != nil {
		s.t.Fatalf("open %s: %v", reg.Name, err)
	}
	return sess
}

// line is a sale line: product, quantity, unit price, tax at rate.
type line struct {
	product  inventory.Product
	qty      int
	price    string
	rate     string // fraction, "0.21"
	tax      string
	shipping bool
}

// payment is a payment made with the sale: type and amount.
type payment struct {
	typ    string
	amount string
	source string
}

// sale records a sale at t on the till, in the session given (nil for none), and moves
// the stock of its stock-tracked lines at t.
func (s *shop) sale(receipt, source string, t time.Time, session *register.Session, lines []line, pays ...payment) int64 {
	s.t.Helper()
	ctx := context.Background()
	var (
		ls       []sales.Line
		total    = decimal.Zero
		taxTotal = decimal.Zero
	)
	for _, l := range lines {
		pid := l.product.ID
		kind := sales.KindProduct
		if l.shipping {
			kind = sales.KindShipping
		}
		lt := dec(l.price).Mul(decimal.NewFromInt(int64(l.qty)))
		total = total.Add(lt)
		taxTotal = taxTotal.Add(dec(l.tax))
		ls = append(ls, sales.Line{
			ProductID: &pid, Kind: kind, SKU: l.product.SKU, Title: l.product.Name, Quantity: l.qty,
			UnitPrice: dec(l.price), Discount: decimal.Zero, Tax: dec(l.tax), Total: lt,
			Taxes: []sales.LineTax{{Title: "VAT", Rate: dec(l.rate), Amount: dec(l.tax)}},
		})
	}
	var sid *int64
	if session != nil {
		id := session.ID
		sid = &id
	}
	var ps []sales.Payment
	for _, p := range pays {
		src := p.source
		if src == "" {
			src = sales.SourcePOS
		}
		ps = append(ps, sales.Payment{PaymentTypeID: s.types[p.typ], Amount: dec(p.amount), PaidAt: t, RegisterID: s.till.ID, SessionID: sid, RecordedBy: "anna", Source: src})
	}
	saleID, lineIDs, err := sales.Store{}.CreateSale(ctx, s.db, sales.NewSale{
		Sale: sales.Sale{
			OutletID: s.outlet.ID, RegisterID: s.till.ID, SessionID: sid, ReceiptNumber: receipt, Source: source,
			SoldAt: t, Currency: "EUR", TaxesIncluded: true, Subtotal: total, TaxTotal: taxTotal, Total: total,
		},
		Lines: ls, Payments: ps,
	})
	if err != nil {
		s.t.Fatalf("sale %s: %v", receipt, err)
	}
	for i, l := range lines {
		if l.product.TracksStock {
			s.move(l.product, -l.qty, t, lineIDs[i])
		}
	}
	return saleID
}

// move writes a stock movement at time t (the ledger's own time), with the sale line
// that caused it (0 for an adjustment).
func (s *shop) move(p inventory.Product, delta int, t time.Time, saleLine int64) {
	s.t.Helper()
	reason, line := "adjustment", any(nil)
	if saleLine != 0 {
		reason, line = "sale", saleLine
	}
	_, err := s.db.Exec(`INSERT INTO stock_movements (product_id, outlet_id, delta, reason, sale_line_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.ID, s.outlet.ID, delta, reason, line, t)
	if err != nil {
		s.t.Fatalf("move stock: %v", err)
	}
}

func (s *shop) balance(receipt string) (decimal.Decimal, string) {
	s.t.Helper()
	var row struct {
		Balance decimal.Decimal `db:"balance"`
		Status  string          `db:"status"`
	}
	if err := s.db.Get(&row, `SELECT balance, status FROM sales WHERE receipt_number = $1`, receipt); err != nil {
		s.t.Fatal(err)
	}
	return row.Balance, row.Status
}

func (s *shop) paymentCount() int {
	s.t.Helper()
	var n int
	if err := s.db.Get(&n, `SELECT count(*) FROM payments`); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}
