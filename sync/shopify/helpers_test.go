package shopify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/fixtures"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// testNow is the simulated shop's clock in tests.
var testNow = time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)

// fixture is a POS database with one outlet and register, connected to a simulated shop.
type fixture struct {
	t      testing.TB
	db     *sqlx.DB
	srv    *shopifysim.Server
	conn   Connection
	outlet inventory.Outlet
	reg    register.Register
	im     *Importer
}

type fixtureOptions struct {
	sim         shopifysim.Options
	importTests bool
	// importerNow is the importer's clock (default testNow).
	importerNow time.Time
	// orderAPI is the connection's OrderAPI (default GraphQL).
	orderAPI string
}

func newFixture(t testing.TB, fo fixtureOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t)
	if fo.sim.Clock == nil {
		fo.sim.Clock = func() time.Time { return testNow }
	}
	if fo.sim.Shop == "" {
		fo.sim.Shop = "demo.myshopify.com"
	}
	srv, err := shopifysim.NewServer(fo.sim)
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(srv.Close)
	f := &fixture{t: t, db: db, srv: srv}
	f.outlet, err = inventory.Store{}.CreateOutlet(ctx, db, "Gent", "Europe/Brussels", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	f.reg, err = register.Store{}.Create(ctx, db, f.outlet.ID, "Front")
	if err != nil {
		t.Fatal(err)
	}
	f.conn, err = ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, db, ConnectParams{
		Shop: srv.Shop, AccessToken: srv.Token, WebhookSecret: srv.Secret, BaseURL: srv.URL,
		OutletID: f.outlet.ID, RegisterID: f.reg.ID, ImportTestOrders: fo.importTests, AutoUpdate: true, OrderAPI: fo.orderAPI,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := fo.importerNow
	if now.IsZero() {
		now = testNow
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	f.im = &Importer{DB: db, Secrets: dbtest.Secrets(), Clock: func() time.Time { return now }, Logger: log, NewSource: f.source}
	return f
}

// source is the real client pointed at the simulator, with short retry waits.
func (f *fixture) source(c Connection) (Source, error) {
	return shopifyapi.New(shopifyapi.Config{
		Shop: c.Shop, AccessToken: c.AccessToken, APIVersion: c.APIVersion, BaseURL: c.BaseURL,
		Transport: shopifyapi.TransportOptions{BaseBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxAttempts: 10, MaxThrottled: 10,
			// The simulator has no rate limit: after an injected 429, pace as a fast shop.
			LeakRate: 1000},
	})
}

func (f *fixture) run(mode Mode) Summary {
	f.t.Helper()
	sum, err := f.im.Run(context.Background(), f.conn.ID, RunOptions{Mode: mode})
	if err != nil {
		f.t.Fatalf("import %s: %v", mode, err)
	}
	return sum
}

// shopOrders decodes every order the simulator holds, by id.
func (f *fixture) shopOrders() map[int64]shopifyapi.Order {
	f.t.Helper()
	out := map[int64]shopifyapi.Order{}
	for _, raw := range f.srv.AllOrders() {
		o, err := shopifyapi.DecodeOrder(raw)
		if err != nil {
			f.t.Fatalf("decode simulator order: %v", err)
		}
		out[o.ID] = o
	}
	return out
}

// stock returns the outlet's stock by SKU.
func (f *fixture) stock() map[string]int {
	f.t.Helper()
	rows, err := inventory.Store{}.StockLevels(context.Background(), f.db, f.outlet.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.SKU] = r.OnHand
	}
	return out
}

// salesDump describes every sale with its lines and payments, for comparing end states.
func salesDump(t testing.TB, db *sqlx.DB) string {
	t.Helper()
	var rows []string
	err := db.Select(&rows, `
		SELECT s.receipt_number || ' ' || s.total || ' ' || s.tax_total || ' ' || s.balance || ' ' || s.discount_total || ' ' ||
			coalesce(c.email, '-') || ' [' || (SELECT string_agg(l.kind || ':' || l.sku || ':' || l.quantity || 'x' || l.unit_price || '-' || l.discount || '+' || l.tax, ',' ORDER BY l.line_no) FROM sale_lines l WHERE l.sale_id = s.id)
			|| '] {' || coalesce((SELECT string_agg(t.name || '=' || p.amount, ',' ORDER BY p.id) FROM payments p JOIN payment_types t ON t.id = p.payment_type_id WHERE p.sale_id = s.id), '') || '}'
		FROM sales s LEFT JOIN customers c ON c.id = s.customer_id ORDER BY s.receipt_number`)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

func tableCount(t testing.TB, db *sqlx.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, "SELECT count(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}

// fixtureOrder reads an order from the repository's testdata/shopify, unwrapping
// {"order": ...} or the first of {"orders": [...]}.
func fixtureOrder(t testing.TB, name string) json.RawMessage {
	t.Helper()
	b := fixtures.Shopify(t, name)
	var wrapped struct {
		Order  json.RawMessage   `json:"order"`
		Orders []json.RawMessage `json:"orders"`
	}
	if json.Unmarshal(b, &wrapped) == nil {
		if len(wrapped.Order) > 0 {
			return wrapped.Order
		}
		if len(wrapped.Orders) > 0 {
			return wrapped.Orders[0]
		}
	}
	return b
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// genOrder is a consistent typed order for tests: one tracked product line (two of SKU-A
// at 10.00, taxes included at 21 %), shipping 5.00, paid by card.
func genOrder(id int64, name string, at time.Time) shopdata.Order {
	ts := shopdata.FormatTime(at, time.UTC)
	sku, vt, inv := "SKU-A", "Blue", "shopify"
	pid, vid := int64(9001), int64(9101)
	m := shopdata.MustMoney
	rate := shopdata.MustRate("0.21")
	o := shopdata.Order{
		ID: id, Name: name, OrderNumber: int(id % 100000), Email: "Ann@Example.com", CreatedAt: ts, ProcessedAt: ts, UpdatedAt: ts,
		Currency: "EUR", PresentmentCurrency: "EUR", FinancialStatus: "paid", PaymentGatewayNames: []string{"shopify_payments"},
		TaxesIncluded: true, SourceName: "web",
		LineItems: []shopdata.LineItem{{
			ID: id*10 + 1, ProductID: &pid, VariantID: &vid, SKU: &sku, Title: "Mug", VariantTitle: &vt, Name: "Mug - Blue",
			Quantity: 2, CurrentQuantity: 2, Price: m("10.00"), TotalDiscount: m("0.00"), Taxable: true, RequiresShipping: true,
			VariantInventoryManagement: &inv, ProductExists: true,
			TaxLines: []shopdata.TaxLine{{Price: m("3.47"), Rate: rate, Title: "BTW"}},
		}},
		ShippingLines: []shopdata.ShippingLine{{
			ID: id*10 + 2, Title: "Standard", Code: "standard", Price: m("5.00"), DiscountedPrice: m("5.00"), Source: "shopify",
			TaxLines: []shopdata.TaxLine{{Price: m("0.87"), Rate: rate, Title: "BTW"}},
		}},
		TaxLines:            []shopdata.TaxLine{{Price: m("4.34"), Rate: rate, Title: "BTW"}},
		TotalLineItemsPrice: m("20.00"), SubtotalPrice: m("20.00"), TotalTax: m("4.34"), TotalDiscounts: m("0.00"),
		TotalPrice: m("25.00"), CurrentTotalPrice: m("25.00"), CurrentSubtotalPrice: m("20.00"), CurrentTotalTax: m("4.34"),
		TotalShippingPriceSet: shopdata.NewPriceSet(m("5.00"), "EUR"),
		Customer:              &shopdata.Customer{ID: 7001, Email: "ann@example.com", FirstName: "Ann", LastName: "Peeters"},
	}
	return o
}

// orderJSON renders a typed order as the simulator (and Shopify) would.
func orderJSON(t testing.TB, o shopdata.Order) []byte {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var _ = sales.KindProduct
