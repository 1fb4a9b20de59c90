package shopify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// expectedOutcome is the outcome DESIGN.md gives an order that is not yet imported,
// worked out independently of the importer.
func expectedOutcome(o shopifyapi.Order, importTests bool, now time.Time) Outcome {
	switch {
	case !o.CancelledAt.IsZero():
		return Cancelled
	case o.Test && !importTests:
		return TestOrder
	case now.Sub(o.CreatedAt) > 60*24*time.Hour:
		return TooOld
	case len(o.ShippingLines) == 0:
		return NoShippingMethod
	case o.ShippingAddress == nil && freeShipping(o):
		// A local pickup (REST shape): the fixtures' connections do not import pickups.
		return NoShippingMethod
	}
	return Imported
}

// TestGetAllGeneratedShop imports a generated shop and compares every sale with its
// Shopify order, on both write paths.
func TestGetAllGeneratedShop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		perOrder bool
		writers  int
		api      string
	}{
		{"set-based pages", false, 0, ""}, {"one writer", false, 1, ""}, {"four writers", false, 4, ""},
		{"one order per transaction", true, 0, ""}, {"REST", false, 0, OrderAPIREST},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The importer's clock runs 36 hours ahead of the shop's: orders the shop still
			// shows are then too old for the importer, as happens with webhooks and files.
			importerNow := testNow.Add(36 * time.Hour)
			f := newFixture(t, fixtureOptions{
				sim:         shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 11, Orders: 300, Days: 75}},
				importerNow: importerNow, orderAPI: tc.api,
			})
			f.im.PerOrder = tc.perOrder
			f.im.PageSize = 120
			f.im.Writers = tc.writers
			ctx := context.Background()
			var progress []Progress
			sum, err := f.im.Run(ctx, f.conn.ID, RunOptions{Mode: ModeAll, Progress: func(p Progress) { progress = append(progress, p) }})
			if err != nil {
				t.Fatal(err)
			}

			all := f.shopOrders()
			want := Counts{}
			visible := 0
			for _, o := range all {
				if testNow.Sub(o.CreatedAt) > 60*24*time.Hour {
					continue // Shopify does not show it
				}
				visible++
				want.Add(expectedOutcome(o, false, importerNow))
			}
			if sum.Outcomes != want || sum.Seen != visible {
				t.Fatalf("summary %+v seen %d, want %+v seen %d", sum.Outcomes, sum.Seen, want, visible)
			}
			for _, k := range []int{want.Imported, want.Cancelled, want.TestOrder, want.TooOld, want.NoShippingMethod} {
				if k == 0 {
					t.Fatalf("the generated shop lacks an outcome: %+v", want)
				}
			}
			// Shopify prepares the export first (objects counted), then the orders are read.
			for len(progress) > 0 && progress[0].Preparing {
				progress = progress[1:]
			}
			if len(progress) < 2 || progress[len(progress)-1].Seen != visible || progress[0].Total != visible {
				t.Errorf("progress reports %+v", progress)
			}

			// Every imported order is one sale that reproduces Shopify's figures.
			outcomes := map[int64]Outcome{}
			var rows []struct {
				ID      int64  `db:"id"`
				OrderID int64  `db:"shopify_order_id"`
				Outcome string `db:"outcome"`
				SaleID  *int64 `db:"sale_id"`
			}
			if err := f.db.Select(&rows, `SELECT id, shopify_order_id, outcome, sale_id FROM import_outcomes WHERE run_id = $1`, sum.RunID); err != nil {
				t.Fatal(err)
			}
			if len(rows) != visible {
				t.Fatalf("import log has %d rows, want %d", len(rows), visible)
			}
			sold := map[string]int{}
			st := sales.Store{}
			for _, row := range rows {
				outcomes[row.OrderID] = Outcome(row.Outcome)
				// The log keeps the order as Shopify sent it: the REST order byte for byte, or the
				// GraphQL order the export held.
				if raw, err := (RunLog{}).RawOrder(ctx, f.db, row.ID); err != nil {
					t.Errorf("order %d: %v", row.OrderID, err)
				} else if tc.api == OrderAPIREST && !bytes.Equal(raw, all[row.OrderID].Raw) {
					t.Errorf("order %d: the log keeps %d bytes of JSON, not the %d Shopify sent", row.OrderID, len(raw), len(all[row.OrderID].Raw))
				} else if o, err := shopifyapi.DecodeGraphQLOrder(raw); tc.api == "" && (err != nil || o.ID != row.OrderID || o.Name != all[row.OrderID].Name) {
					t.Errorf("order %d: the log keeps %.80s (%v)", row.OrderID, raw, err)
				}
				if row.Outcome != string(Imported) {
					continue
				}
				o := all[row.OrderID]
				s, err := st.SaleByID(ctx, f.db, *row.SaleID)
				if err != nil {
					t.Fatal(err)
				}
				compareSale(t, f, o, s)
				for _, li := range o.LineItems {
					if !li.GiftCard && li.VariantInventoryManagement == "shopify" && li.SKU != "" {
						sold[li.SKU] += int(li.Quantity)
					}
				}
			}
			if tableCount(t, f.db, "sales") != want.Imported {
				t.Errorf("%d sales, want %d", tableCount(t, f.db, "sales"), want.Imported)
			}
			stock := f.stock()
			for sku, n := range sold {
				if stock[sku] != -n {
					t.Errorf("stock of %s is %d, want %d", sku, stock[sku], -n)
				}
			}
			for sku, n := range stock {
				if sold[sku] == 0 && n != 0 {
					t.Errorf("stock of %s moved to %d though none was sold", sku, n)
				}
			}

			// However many pages are written at once, a product is made once: each SKU-less
			// variant sold is one product, remembered for its variant.
			var split, made, linked int
			if err := f.db.Get(&split, `SELECT count(*) FROM (SELECT title, variant_title FROM sale_lines
				WHERE kind = 'product' AND sku = '' GROUP BY 1, 2 HAVING count(DISTINCT product_id) > 1) d`); err != nil {
				t.Fatal(err)
			}
			if err := f.db.Get(&made, `SELECT count(*) FROM products WHERE source = 'shopify' AND sku = ''`); err != nil {
				t.Fatal(err)
			}
			if err := f.db.Get(&linked, `SELECT count(*) FROM product_external_ids x JOIN products p ON p.id = x.product_id WHERE p.sku = ''`); err != nil {
				t.Fatal(err)
			}
			if split != 0 || made == 0 || made != linked {
				t.Errorf("SKU-less variants: %d sold as several products; %d products made for %d variants", split, made, linked)
			}

			// Get all again: nothing new, nothing moves.
			before, beforeStock := salesDump(t, f.db), f.stock()
			again := f.run(ModeAll)
			if again.Outcomes.Imported != 0 || again.Outcomes.AlreadyImported != want.Imported || again.Seen != visible {
				t.Errorf("second get all: %+v", again)
			}
			// An order found imported already is on record: its JSON is not logged again.
			var relogged int
			if err := f.db.Get(&relogged, `SELECT count(*) FROM import_outcomes WHERE run_id = $1 AND outcome = 'already_imported' AND json_id IS NOT NULL`,
				again.RunID); err != nil || relogged != 0 {
				t.Errorf("the second get all logged the JSON of %d orders already imported (%v)", relogged, err)
			}
			if after := salesDump(t, f.db); after != before {
				t.Error("second get all changed the sales")
			}
			if got := f.stock(); !equalStock(got, beforeStock) {
				t.Error("second get all changed the stock")
			}

			// Get new after new orders imports only those.
			var placed []shopdata.Order
			for range 3 {
				o, err := f.srv.NewOrder()
				if err != nil {
					t.Fatal(err)
				}
				placed = append(placed, o)
			}
			fresh := f.run(ModeNew)
			wantNew := Counts{}
			for _, p := range placed {
				wantNew.Add(expectedOutcome(f.shopOrders()[p.ID], false, importerNow))
			}
			if fresh.Seen != len(placed) || fresh.Outcomes != wantNew {
				t.Errorf("get new: seen %d %+v, want %d %+v", fresh.Seen, fresh.Outcomes, len(placed), wantNew)
			}
			if n := f.run(ModeNew); n.Seen != 0 {
				t.Errorf("get new without new orders saw %d", n.Seen)
			}
		})
	}
}

func equalStock(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// compareSale checks a sale against the Shopify order it came from.
func compareSale(t *testing.T, f *fixture, o shopifyapi.Order, s sales.Sale) {
	t.Helper()
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("order %s (%d): "+format, append([]any{o.Name, o.ID}, args...)...)
	}
	eq := func(what string, got, want decimal.Decimal) {
		t.Helper()
		if !got.Equal(want) {
			errorf("%s %s, Shopify %s", what, money.String(got), money.String(want))
		}
	}
	outstanding := o.TotalOutstanding
	if (o.FinancialStatus == "pending" || o.FinancialStatus == "authorized") && outstanding.IsZero() {
		outstanding = o.TotalPrice
	}
	eq("total", s.Total, o.TotalPrice)
	eq("tax", s.TaxTotal, o.TotalTax)
	eq("discounts", s.DiscountTotal, o.TotalDiscounts)
	eq("balance", s.Balance, outstanding)
	eq("paid", s.Paid(), o.TotalPrice.Sub(outstanding))
	if wantStatus := map[bool]string{true: sales.StatusPaid, false: sales.StatusAwaitingPayment}[outstanding.IsZero()]; s.Status != wantStatus {
		errorf("status %s, want %s", s.Status, wantStatus)
	}
	if s.ReceiptNumber != o.Name || s.Source != sales.SourceShopify || s.OutletID != f.outlet.ID || s.RegisterID != f.reg.ID {
		errorf("receipt %q source %q outlet %d register %d", s.ReceiptNumber, s.Source, s.OutletID, s.RegisterID)
	}
	if !s.SoldAt.Equal(o.ProcessedAt) {
		errorf("sold at %s, processed at %s", s.SoldAt, o.ProcessedAt)
	}
	email := o.Email
	if o.Customer != nil && o.Customer.Email != "" {
		email = o.Customer.Email
	}
	if email != "" && !strings.EqualFold(s.CustomerEmail, email) {
		errorf("customer %q, want %q", s.CustomerEmail, email)
	}
	var items, shipping, tips []sales.Line
	for _, l := range s.Lines {
		if !l.Total.Equal(l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Quantity))).Sub(l.Discount)) {
			errorf("line %q does not add up", l.Title)
		}
		switch l.Kind {
		case sales.KindShipping:
			shipping = append(shipping, l)
		case sales.KindTip:
			tips = append(tips, l)
		case sales.KindDuty:
		default:
			items = append(items, l)
		}
	}
	if len(items) != len(o.LineItems) {
		errorf("%d item lines, want %d", len(items), len(o.LineItems))
	} else {
		for i, li := range o.LineItems {
			l := items[i]
			if l.Quantity != int(li.Quantity) || !l.UnitPrice.Equal(li.Price) || l.SKU != li.SKU {
				errorf("line %d: %d × %s %q, Shopify %d × %s %q", i+1, l.Quantity, l.UnitPrice, l.SKU, li.Quantity, li.Price, li.SKU)
			}
			wantKind := sales.KindProduct
			switch {
			case li.GiftCard:
				wantKind = sales.KindGiftCard
			case li.VariantID == 0 && li.SKU == "":
				wantKind = sales.KindCustom
			}
			if l.Kind != wantKind || (wantKind == sales.KindProduct) != (l.ProductID != nil) {
				errorf("line %d kind %s (product %v), want %s", i+1, l.Kind, l.ProductID, wantKind)
			}
			disc := decimal.Zero
			for _, a := range li.DiscountAllocations {
				disc = disc.Add(a.Amount)
			}
			eq("line discount", l.Discount, disc)
			tax := decimal.Zero
			for _, tl := range li.TaxLines {
				tax = tax.Add(tl.Price)
			}
			eq("line tax", l.Tax, tax)
		}
	}
	if len(shipping) != len(o.ShippingLines) {
		errorf("%d shipping-fee lines, want %d", len(shipping), len(o.ShippingLines))
	} else {
		for i, sl := range o.ShippingLines {
			l := shipping[i]
			eq("shipping", l.Total, sl.DiscountedPrice)
			tax := decimal.Zero
			for _, tl := range sl.TaxLines {
				tax = tax.Add(tl.Price)
			}
			eq("shipping tax", l.Tax, tax)
			if l.Title != sl.Title || l.ProductID == nil || *l.ProductID != f.conn.ShippingProductID {
				errorf("shipping line %q product %v, want %q with the shipping-fee product", l.Title, l.ProductID, sl.Title)
			}
		}
	}
	if o.TotalTipReceived.IsPositive() != (len(tips) == 1) {
		errorf("tip %s but %d tip lines", o.TotalTipReceived, len(tips))
	} else if len(tips) == 1 {
		eq("tip", tips[0].Total, o.TotalTipReceived)
	}
	collected := o.TotalPrice.Sub(outstanding)
	if collected.IsZero() != (len(s.Payments) == 0) {
		errorf("collected %s but %d payments", collected, len(s.Payments))
	}
	for _, p := range s.Payments {
		eq("payment", p.Amount, collected)
		wantType := "Shopify"
		if len(o.PaymentGatewayNames) == 1 && strings.EqualFold(o.PaymentGatewayNames[0], "Bank Deposit") {
			wantType = "Bank deposit"
		}
		if p.TypeName != wantType || p.Source != sales.SourceShopify || p.RegisterID != f.reg.ID || !p.PaidAt.Equal(o.ProcessedAt) {
			errorf("payment %s %s on register %d at %s", p.TypeName, p.Source, p.RegisterID, p.PaidAt)
		}
	}
}

// TestImportLockOneRunPerConnection checks that a second run of a connection is refused
// while one holds the lock, and waits when asked.
func TestImportLockOneRunPerConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Orders: []shopdata.Order{genOrder(101, "#1001", testNow.Add(-time.Hour))}}})
	ctx := context.Background()
	unlock, err := f.im.lock(ctx, f.conn, false, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.im.Run(ctx, f.conn.ID, RunOptions{Mode: ModeAll})
	if !errors.Is(err, ErrImportRunning) || !strings.Contains(err.Error(), "an import is already running for demo.myshopify.com") {
		t.Fatalf("second run: %v", err)
	}
	if n := tableCount(t, f.db, "import_runs"); n != 0 {
		t.Fatalf("a refused run left %d import runs", n)
	}
	done := make(chan Summary)
	waiting := make(chan struct{})
	go func() {
		sum, err := f.im.Run(ctx, f.conn.ID, RunOptions{Mode: ModeAll, Wait: true, Waiting: func() { close(waiting) }})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	// The run says when it finds the lock taken and waits; release ours then.
	select {
	case <-waiting:
	case sum := <-done:
		t.Fatalf("the run did not wait for the lock: %+v", sum)
	}
	unlock()
	if sum := <-done; sum.Outcomes.Imported != 1 {
		t.Fatalf("waiting run: %+v", sum)
	}
}

// TestImportLockWaitFor: a run with WaitFor waits that long for the connection's running
// import, then is refused; one whose wait sees the other end imports. The wait leaves no
// lock_timeout behind on the pooled connection.
func TestImportLockWaitFor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Orders: []shopdata.Order{genOrder(101, "#1001", testNow.Add(-time.Hour))}}})
	ctx := context.Background()
	unlock, err := f.im.lock(ctx, f.conn, false, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.im.Run(ctx, f.conn.ID, RunOptions{Mode: ModeAll, WaitFor: 50 * time.Millisecond})
	if !errors.Is(err, ErrImportRunning) {
		t.Fatalf("a run that waited for a lock held throughout: %v, want ErrImportRunning", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.im.Run(ctx, f.conn.ID, RunOptions{Mode: ModeAll, WaitFor: time.Hour})
		done <- err
	}()
	// Release the lock once the run waits for it (PostgreSQL shows it not granted).
	for {
		var waiting int
		if err := f.db.Get(&waiting, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1`, f.conn.ID); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the run did not wait for the lock: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("the run whose wait saw the other end: %v", err)
	}
	var timeouts []string
	if err := f.db.Select(&timeouts, `SELECT setting FROM pg_settings WHERE name = 'lock_timeout'`); err != nil || len(timeouts) != 1 || timeouts[0] != "0" {
		t.Fatalf("lock_timeout on a pooled connection: %v %v", timeouts, err)
	}
}

// TestDisconnectedConnectionDoesNotImport checks that a disconnected shop is refused and
// that reconnecting keeps its history.
func TestDisconnectedConnectionDoesNotImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Orders: []shopdata.Order{genOrder(101, "#1001", testNow.Add(-time.Hour))}}})
	ctx := context.Background()
	if sum := f.run(ModeAll); sum.Outcomes.Imported != 1 {
		t.Fatalf("first run %+v", sum)
	}
	if err := (ConnectionStore{}).Disconnect(ctx, f.db, f.conn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.im.Run(ctx, f.conn.ID, RunOptions{Mode: ModeAll}); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("run on a disconnected shop: %v", err)
	}
	c, err := ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, f.db, ConnectParams{Shop: "DEMO", AccessToken: "new", WebhookSecret: "s2", BaseURL: f.srv.URL,
		OutletID: f.outlet.ID, RegisterID: f.reg.ID})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != f.conn.ID || !c.Enabled || c.NewestOrderID != 101 || c.ShippingProductID != f.conn.ShippingProductID {
		t.Fatalf("reconnected %+v", c)
	}
	f.srv.Close()
	srv, err := shopifysim.NewServer(shopifysim.Options{Shop: "demo", Token: "new", Clock: func() time.Time { return testNow },
		Orders: []shopdata.Order{genOrder(101, "#1001", testNow.Add(-time.Hour))}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := (ConnectionStore{Secrets: dbtest.Secrets()}).Connect(ctx, f.db, ConnectParams{Shop: "demo", AccessToken: "new", WebhookSecret: "s2", BaseURL: srv.URL,
		OutletID: f.outlet.ID, RegisterID: f.reg.ID}); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.AlreadyImported != 1 || sum.Outcomes.Imported != 0 {
		t.Fatalf("after reconnecting: %+v", sum)
	}
}

// TestSessionAndPaymentWindow checks which register session an imported sale and its
// payment are counted in.
func TestSessionAndPaymentWindow(t *testing.T) {
	t.Parallel()
	opened := testNow.Add(-2 * time.Hour)
	before := genOrder(101, "#1001", testNow.Add(-3*time.Hour)) // paid before the session opened
	inside := genOrder(102, "#1002", testNow.Add(-time.Hour))   // paid while it was open
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Orders: []shopdata.Order{before, inside}}})
	ctx := context.Background()
	sess, err := register.Store{Clock: func() time.Time { return opened }}.OpenSession(ctx, f.db, f.reg.ID, decimal.Zero, "Ann")
	if err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.Imported != 2 {
		t.Fatalf("%+v", sum)
	}
	for _, tc := range []struct {
		receipt        string
		paymentSession bool
	}{{"#1001", false}, {"#1002", true}} {
		s, err := sales.Store{}.SaleByReceipt(ctx, f.db, f.outlet.ID, tc.receipt)
		if err != nil {
			t.Fatal(err)
		}
		if s.SessionID == nil || *s.SessionID != sess.ID {
			t.Errorf("%s: sale session %v, want the open session %d", tc.receipt, s.SessionID, sess.ID)
		}
		if len(s.Payments) != 1 || (s.Payments[0].SessionID != nil) != tc.paymentSession {
			t.Errorf("%s: payment session %v, want in session: %v", tc.receipt, s.Payments[0].SessionID, tc.paymentSession)
		}
	}
}

// TestWebhookImportDoesNotHideOlderOrdersFromGetNew checks that an order imported by a
// webhook, newer than orders no run has seen yet, does not make "get new" skip those.
func TestWebhookImportDoesNotHideOlderOrdersFromGetNew(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Orders: []shopdata.Order{genOrder(101, "#1001", testNow.Add(-3*time.Hour))}}})
	if sum := f.run(ModeAll); sum.Outcomes.Imported != 1 {
		t.Fatalf("get all %+v", sum)
	}
	missed, hooked := genOrder(103, "#1003", testNow.Add(-2*time.Hour)), genOrder(105, "#1005", testNow.Add(-time.Hour))
	if err := f.srv.AddOrders(missed, hooked); err != nil {
		t.Fatal(err)
	}
	o, err := shopifyapi.DecodeOrder(orderJSON(t, hooked))
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := f.im.ImportOrders(context.Background(), f.conn.ID, []shopifyapi.Order{o}, RunOptions{}); err != nil || sum.Outcomes.Imported != 1 {
		t.Fatalf("webhook import %+v %v", sum, err)
	}
	sum := f.run(ModeNew)
	if sum.Seen != 2 || sum.Outcomes.Imported != 1 || sum.Outcomes.AlreadyImported != 1 {
		t.Fatalf("get new %+v, want #1003 imported and #1005 already imported", sum)
	}
}

func TestDealKeepsACustomersOrdersTogether(t *testing.T) {
	t.Parallel()
	at := testNow.Add(-time.Hour)
	var page []shopifyapi.Order
	for i := range 200 {
		o := shopifyapi.Order{ID: int64(1000 + i), CreatedAt: at}
		switch i % 4 {
		case 0: // a customer by e-mail, spelt in either case
			email := fmt.Sprintf("buyer%d@example.com", i%20)
			if i%8 == 0 {
				email = strings.ToUpper(email)
			}
			o.Email = email
		case 1: // a customer without e-mail, known by Shopify's id
			o.Customer = &shopifyapi.Customer{ID: int64(7000 + i%10)}
		}
		page = append(page, o)
	}
	page = append(page, page[3]) // an order listed twice
	seed := maphash.MakeSeed()
	for _, n := range []int{1, 2, 3} {
		shares := deal(page, n, seed)
		if len(shares) != n {
			t.Fatalf("%d shares, want %d", len(shares), n)
		}
		where := map[string]int{}
		seen := 0
		for k, share := range shares {
			for i, o := range share {
				seen++
				if i > 0 && o.ID < share[i-1].ID && o.ID != page[3].ID {
					t.Errorf("%d shares: share %d is out of the page's order", n, k)
				}
				key := fmt.Sprint("order ", o.ID)
				if c, x := customerOf(&o); c != nil && c.Email != "" {
					key = "e-mail " + strings.ToLower(c.Email)
				} else if x != 0 {
					key = fmt.Sprint("customer ", x)
				}
				if prev, ok := where[key]; ok && prev != k {
					t.Errorf("%d shares: %s is in shares %d and %d", n, key, prev, k)
				}
				where[key] = k
			}
		}
		if seen != len(page) {
			t.Errorf("%d shares hold %d orders, want %d", n, seen, len(page))
		}
	}
}

// freeShipping reports whether every shipping line of the order is free.
func freeShipping(o shopifyapi.Order) bool {
	for _, s := range o.ShippingLines {
		if !s.Price.IsZero() || !s.DiscountedPrice.IsZero() {
			return false
		}
	}
	return true
}
