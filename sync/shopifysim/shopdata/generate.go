package shopdata

import (
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// GenerateOptions configures a generated shop.
type GenerateOptions struct {
	// Seed makes the shop reproducible: the same seed and options give byte-identical JSON.
	Seed int64
	// Orders is how many orders Orders returns, spread over the Days days before Now
	// (default 30 days).
	Orders int
	Days   int
	// Now is the shop's clock (required). Nothing generated happens after it: orders placed
	// close to Now are still unfulfilled, open and uncaptured.
	Now time.Time
	// Location is the shop's time zone for rendered timestamps (default Europe/Brussels).
	Location *time.Location
	// Currency is the shop's currency (default "EUR").
	Currency string
	// FirstOrderNumber is the order_number of the first order (default 1001).
	FirstOrderNumber int
	// Shop is the shop's domain (default "demo.myshopify.com").
	Shop string
}

// Generator produces the orders of one generated shop. Every order is derived from the seed
// and its position in the shop's order sequence only, so Orders and NewOrder may be called in
// any order and from several goroutines.
type Generator struct {
	opt       GenerateOptions
	loc       *time.Location
	catalog   []catalogProduct
	vocab     vocab
	customers []poolCustomer
	start     time.Time // the oldest moment an order of Orders may have

	ordersOnce sync.Once
	orders     []Order

	mu   sync.Mutex
	next int // sequence index of the next NewOrder
}

// Random streams: each purpose draws from its own PCG stream so that, for instance, adding a
// customer never shifts the orders' timestamps.
const (
	streamCustomers uint64 = 1
	streamTimes     uint64 = 2
	streamOrders    uint64 = 1 << 32
)

// Id bases and strides for orders. Order ids grow with the sequence index and therefore with
// created_at; ids of an order's parts are derived from the order id (see partID).
const (
	orderIDBase   int64 = 5_900_000_000_000
	orderIDStride int64 = 1_000
)

// NewGenerator returns a generator for the shop described by opt. It panics when opt.Now is
// zero: a generated shop without a clock would silently depend on the machine's time.
func NewGenerator(opt GenerateOptions) *Generator {
	if opt.Now.IsZero() {
		panic("shopdata: GenerateOptions.Now is required")
	}
	if opt.Location == nil {
		loc, err := time.LoadLocation("Europe/Brussels")
		if err != nil {
			// time/tzdata is embedded (see tzdata.go), so this cannot happen in practice.
			loc = time.UTC
		}
		opt.Location = loc
	}
	if opt.Currency == "" {
		opt.Currency = "EUR"
	}
	if opt.FirstOrderNumber == 0 {
		opt.FirstOrderNumber = 1001
	}
	if opt.Shop == "" {
		opt.Shop = "demo.myshopify.com"
	}
	if opt.Days <= 0 {
		opt.Days = 30
	}
	if opt.Orders < 0 {
		opt.Orders = 0
	}
	g := &Generator{
		opt:     opt,
		loc:     opt.Location,
		catalog: buildCatalog(),
		vocab:   newVocab(),
		start:   opt.Now.Add(-time.Duration(opt.Days) * 24 * time.Hour),
		next:    opt.Orders,
	}
	poolSize := min(max(opt.Orders/3, 12), 20_000)
	rng := rand.New(rand.NewPCG(uint64(opt.Seed), streamCustomers))
	g.customers = buildCustomers(rng, &g.vocab, poolSize, g.start)
	return g
}

// Orders returns the shop's orders, oldest first; ids grow strictly with created_at. The
// slice is computed once and shared: callers must not modify the orders in place.
func (g *Generator) Orders() []Order {
	g.ordersOnce.Do(func() {
		times := g.orderTimes()
		g.orders = make([]Order, len(times))
		// Each order depends only on its index, so the work splits across cores without
		// changing a byte of the result.
		workers := min(runtime.GOMAXPROCS(0), max(1, len(times)/1000))
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(times); i += workers {
					g.orders[i] = g.buildOrder(i, times[i])
				}
			})
		}
		wg.Wait()
	})
	return g.orders
}

// NewOrder returns one more order placed at at, continuing the shop's order numbers and ids
// after those of Orders (and of earlier NewOrder calls). The k-th call returns the same
// order for the same options and at, whether or not Orders was called.
func (g *Generator) NewOrder(at time.Time) Order {
	g.mu.Lock()
	idx := g.next
	g.next++
	g.mu.Unlock()
	return g.buildOrder(idx, at)
}

// Catalog returns every product variant of the shop, including the gift card variants; the
// generated orders reference no others.
func (g *Generator) Catalog() []CatalogItem {
	var out []CatalogItem
	for _, p := range g.catalog {
		out = append(out, p.variants...)
	}
	return out
}

// Transactions returns the payment transactions consistent with o's payment gateways,
// financial status and totals (see transactionsFor).
func (g *Generator) Transactions(o Order) []Transaction {
	return transactionsFor(o, g.loc)
}

// orderTimes spreads the orders over the window, favouring daytime in the shop's zone, and
// returns them sorted and strictly increasing (to the second).
func (g *Generator) orderTimes() []time.Time {
	rng := rand.New(rand.NewPCG(uint64(g.opt.Seed), streamTimes))
	span := int64(g.opt.Now.Sub(g.start) / time.Second)
	out := make([]time.Time, g.opt.Orders)
	for i := range out {
		var t time.Time
		for try := 0; ; try++ {
			t = g.start.Add(time.Duration(rng.Int64N(span)) * time.Second)
			// Few people shop between midnight and seven; keep a night order now and then.
			if h := t.In(g.loc).Hour(); h >= 7 || try >= 3 || rng.IntN(100) < 15 {
				break
			}
		}
		out[i] = t
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(out); i++ {
		if !out[i].After(out[i-1]) {
			out[i] = out[i-1].Add(time.Second)
		}
	}
	return out
}

// payKind is how the buyer paid (or will pay).
type payKind int

const (
	payCard payKind = iota
	payPayPal
	payBankPending
	payPartial
	payAuthorized
	payGiftCard
	payGiftCardAndCard
	payManual
	payTest
)

// lineDraft is a line item while its discounts and taxes are worked out.
type lineDraft struct {
	item     *CatalogItem // nil for a custom item
	class    taxClass
	title    string
	variant  string // "" for single-variant products and custom items
	price    decimal.Decimal
	qty      int
	grams    int
	giftCard bool
	taxable  bool
	shipping bool
	props    []Property
	allocs   []DiscountAllocation
	discount decimal.Decimal
	taxes    []TaxLine
}

func (l *lineDraft) gross() decimal.Decimal { return l.price.Mul(decimal.NewFromInt(int64(l.qty))) }

// base is what is left of the line after the discounts allocated so far.
func (l *lineDraft) base() decimal.Decimal { return l.gross().Sub(l.discount) }

type shippingRate struct {
	title, code string
	price       int64 // cents
}

// buildOrder generates the order at sequence index idx, placed at at. Every random choice
// comes from a stream keyed by (seed, idx).
func (g *Generator) buildOrder(idx int, at time.Time) Order {
	rng := rand.New(rand.NewPCG(uint64(g.opt.Seed), streamOrders+uint64(idx)))
	at = at.Truncate(time.Second)
	cur := g.opt.Currency
	id := orderIDBase + int64(idx)*orderIDStride + rng.Int64N(orderIDStride)
	num := g.opt.FirstOrderNumber + idx

	o := Order{
		ID:                   id,
		AdminGraphqlAPIID:    "gid://shopify/Order/" + strconv.FormatInt(id, 10),
		Confirmed:            true,
		Currency:             cur,
		PresentmentCurrency:  cur,
		Name:                 "#" + strconv.Itoa(num),
		OrderNumber:          num,
		Number:               num - 1000,
		CreatedAt:            g.ts(at),
		DiscountCodes:        []DiscountCode{},
		NoteAttributes:       []NoteAttribute{},
		TaxLines:             []TaxLine{},
		DiscountApplications: []DiscountApplication{},
		Fulfillments:         []json.RawMessage{},
		Refunds:              []Refund{},
		ShippingLines:        []ShippingLine{},
		SourceName:           "web",
	}

	// Buyer: most orders come from the customer pool, skewed so that some customers order
	// often; the rest are guest checkouts without a customer record.
	var buyer person
	var cust *poolCustomer
	if rng.IntN(100) < 12 {
		buyer = newPerson(rng, &g.vocab)
	} else {
		u := rng.Float64()
		cust = &g.customers[int(float64(len(g.customers))*u*u)]
		buyer = cust.person
	}
	email := buyer.email
	if cust != nil && rng.IntN(100) < 25 {
		email = emailVariant(rng, email)
	}
	if cust == nil && rng.IntN(2) == 0 {
		email = ""
	}
	o.Email = email
	if email != "" {
		o.ContactEmail = &email
	}
	o.Phone = buyer.phone
	locale := "nl-BE"
	if buyer.region == regionUS {
		locale = "en-US"
	} else if buyer.address.CountryCode == "FR" || buyer.address.City == "Liège" || buyer.address.City == "Namur" {
		locale = "fr-BE"
	}
	o.CustomerLocale = &locale
	o.TaxesIncluded = buyer.region == regionEU

	test := rng.IntN(100) < 2
	pay := payTest
	if !test {
		pay = payKind(pickWeighted(rng, []int{57, 15, 9, 3, 5, 3, 4, 4}))
	}
	if pay == payManual {
		o.SourceName = "shopify_draft_order"
	} else {
		ip := "192.0.2." + strconv.Itoa(1+rng.IntN(254))
		o.BrowserIP = &ip
	}

	lines := g.draftLines(rng)
	needsShipping := false
	for _, l := range lines {
		needsShipping = needsShipping || l.shipping
	}

	// Shipping: physical goods are shipped, unless collected in store; digital goods and
	// gift cards never have a shipping line.
	var ship *ShippingLine
	pickup := needsShipping && rng.IntN(100) < 12
	if needsShipping && !pickup {
		rates := []shippingRate{{"Standard", "bpost-standard", 495}, {"Express", "dhl-express", 995}, {"Pick-up point", "bpost-pickup-point", 395}}
		if buyer.region == regionUS {
			rates = []shippingRate{{"International Shipping", "INTL-STANDARD", 1995}, {"International Express", "INTL-EXPRESS", 3495}}
		}
		r := rates[pickWeighted(rng, []int{70, 15, 15}[:len(rates)])]
		ship = &ShippingLine{
			ID:                  partID(id, 4, 0),
			Code:                r.code,
			Title:               r.title,
			Source:              "shopify",
			Price:               NewMoney(decimal.New(r.price, -2)),
			TaxLines:            []TaxLine{},
			DiscountAllocations: []DiscountAllocation{},
		}
	}
	if pickup {
		o.Tags = "local-pickup"
	}

	// Discounts: an automatic sale on one product, and at most one code.
	if i := eligibleLine(rng, lines, true); i >= 0 && rng.IntN(100) < 10 {
		app := DiscountApplication{TargetType: "line_item", Type: "automatic", Value: "20.0", ValueType: "percentage",
			AllocationMethod: "across", TargetSelection: "entitled", Title: "Spring Sale", Description: "20% off selected items"}
		allocatePercent(lines[i:i+1], len(o.DiscountApplications), decimal.New(20, -2))
		o.DiscountApplications = append(o.DiscountApplications, app)
	}
	switch c := rng.IntN(100); {
	case c < 8 && eligibleLine(rng, lines, false) >= 0:
		n := len(o.DiscountApplications)
		amount := allocatePercent(lines, n, decimal.New(10, -2))
		o.DiscountApplications = append(o.DiscountApplications, DiscountApplication{TargetType: "line_item", Type: "discount_code",
			Value: "10.0", ValueType: "percentage", AllocationMethod: "across", TargetSelection: "all", Code: "WELCOME10"})
		o.DiscountCodes = append(o.DiscountCodes, DiscountCode{Code: "WELCOME10", Amount: NewMoney(amount), Type: "percentage"})
	case c < 13 && discountableBase(lines).GreaterThanOrEqual(decimal.NewFromInt(25)):
		n := len(o.DiscountApplications)
		amount := decimal.NewFromInt(5)
		allocateFixed(lines, n, amount)
		o.DiscountApplications = append(o.DiscountApplications, DiscountApplication{TargetType: "line_item", Type: "discount_code",
			Value: "5.0", ValueType: "fixed_amount", AllocationMethod: "across", TargetSelection: "all", Code: "SAVE5"})
		o.DiscountCodes = append(o.DiscountCodes, DiscountCode{Code: "SAVE5", Amount: NewMoney(amount), Type: "fixed_amount"})
	case c < 21 && ship != nil:
		n := len(o.DiscountApplications)
		ship.DiscountAllocations = append(ship.DiscountAllocations, DiscountAllocation{Amount: ship.Price, DiscountApplicationIndex: n})
		o.DiscountApplications = append(o.DiscountApplications, DiscountApplication{TargetType: "shipping_line", Type: "discount_code",
			Value: "100.0", ValueType: "percentage", AllocationMethod: "each", TargetSelection: "all", Code: "FREESHIP"})
		o.DiscountCodes = append(o.DiscountCodes, DiscountCode{Code: "FREESHIP", Amount: ship.Price, Type: "shipping"})
	}

	// Taxes, per line and on shipping, on what is left after discounts.
	var state usState
	if buyer.region == regionUS {
		state = g.vocab.states[buyer.state]
	}
	for i := range lines {
		l := &lines[i]
		if !l.taxable {
			continue
		}
		if buyer.region == regionEU {
			l.taxes = append(l.taxes, taxLine("BTW", l.class.vatRate(), l.base(), true))
		} else {
			for _, st := range state.taxes {
				l.taxes = append(l.taxes, taxLine(st.title, st.rate, l.base(), false))
			}
		}
	}
	shipping := decimal.Zero
	shippingDiscount := decimal.Zero
	if ship != nil {
		for _, a := range ship.DiscountAllocations {
			shippingDiscount = shippingDiscount.Add(a.Amount.Decimal)
		}
		ship.DiscountedPrice = NewMoney(ship.Price.Sub(shippingDiscount))
		shipping = ship.DiscountedPrice.Decimal
		if shipping.IsPositive() {
			if buyer.region == regionEU {
				ship.TaxLines = append(ship.TaxLines, taxLine("BTW", taxStandard.vatRate(), shipping, true))
			} else if state.taxShipping {
				for _, st := range state.taxes {
					ship.TaxLines = append(ship.TaxLines, taxLine(st.title, st.rate, shipping, false))
				}
			}
		}
		o.ShippingLines = append(o.ShippingLines, *ship)
	}
	if pickup {
		// Shopify's REST shape of a local pickup: a free shipping line named after the
		// pickup location, and no shipping address.
		o.ShippingLines = append(o.ShippingLines, ShippingLine{
			ID: partID(id, 4, 0), Code: PickupLocation, Title: PickupLocation, Source: "shopify",
			Price: NewMoney(decimal.Zero), DiscountedPrice: NewMoney(decimal.Zero),
			TaxLines: []TaxLine{}, DiscountAllocations: []DiscountAllocation{},
		})
	}

	// Totals, by the rules in the package documentation.
	lineItemsPrice, lineDiscounts, tax := decimal.Zero, decimal.Zero, decimal.Zero
	weight := 0
	var orderTaxes []TaxLine
	addTax := func(t TaxLine) {
		tax = tax.Add(t.Price.Decimal)
		for i := range orderTaxes {
			if orderTaxes[i].Title == t.Title && orderTaxes[i].Rate.Equal(t.Rate.Decimal) {
				orderTaxes[i].Price = NewMoney(orderTaxes[i].Price.Add(t.Price.Decimal))
				return
			}
		}
		orderTaxes = append(orderTaxes, t)
	}
	for i := range lines {
		l := &lines[i]
		lineItemsPrice = lineItemsPrice.Add(l.gross())
		lineDiscounts = lineDiscounts.Add(l.discount)
		weight += l.grams * l.qty
		for _, t := range l.taxes {
			addTax(t)
		}
	}
	for _, t := range o.shippingTaxes() {
		addTax(t)
	}
	if orderTaxes != nil {
		o.TaxLines = orderTaxes
	}
	subtotal := lineItemsPrice.Sub(lineDiscounts)

	// Cancellation happens before tips are decided: a cancelled order keeps no tip to refund.
	// Unpaid bank deposit orders are often cancelled once the payment term (a few days to two
	// weeks) has passed; other orders now and then, soon after they were placed.
	cancelAt := at.Add(time.Duration(30+rng.IntN(3*24*60)) * time.Minute)
	cancelChance := 3
	if pay == payBankPending {
		cancelAt = at.Add(time.Duration(3*24+rng.IntN(11*24)) * time.Hour)
		cancelChance = 15
	}
	cancelled := pay != payPartial && rng.IntN(100) < cancelChance && !cancelAt.After(g.opt.Now)

	tip := decimal.Zero
	if !cancelled && (pay == payCard || pay == payPayPal) && rng.IntN(100) < 5 {
		switch rng.IntN(4) {
		case 0:
			tip = decimal.NewFromInt(1)
		case 1:
			tip = decimal.NewFromInt(2)
		case 2:
			tip = decimal.NewFromInt(5)
		default:
			tip = subtotal.Mul(decimal.New(10, -2)).Round(2)
		}
	}
	total := subtotal.Add(shipping).Add(tip)
	if !o.TaxesIncluded {
		total = total.Add(tax)
	}
	if pay == payPartial && total.LessThan(decimal.NewFromInt(10)) {
		pay = payBankPending
	}

	o.TotalLineItemsPrice = NewMoney(lineItemsPrice)
	o.SubtotalPrice = NewMoney(subtotal)
	o.TotalDiscounts = NewMoney(lineDiscounts.Add(shippingDiscount))
	o.TotalTax = NewMoney(tax)
	o.TotalTipReceived = NewMoney(tip)
	o.TotalPrice = NewMoney(total)
	o.TotalShippingPriceSet = NewPriceSet(NewMoney(shipping), cur)
	o.TotalWeight = weight
	o.CurrentSubtotalPrice = o.SubtotalPrice
	o.CurrentTotalDiscounts = o.TotalDiscounts
	o.CurrentTotalPrice = o.TotalPrice
	o.CurrentTotalTax = o.TotalTax

	// Payment.
	o.Test = test
	outstanding := decimal.Zero
	switch pay {
	case payCard:
		o.PaymentGatewayNames, o.ProcessingMethod, o.FinancialStatus = []string{"shopify_payments"}, "direct", "paid"
		if usesAuthCapture(id) && captureTime(at, id).After(g.opt.Now) {
			o.FinancialStatus = "authorized"
			outstanding = total
		}
	case payPayPal:
		o.PaymentGatewayNames, o.ProcessingMethod, o.FinancialStatus = []string{"paypal"}, "express", "paid"
	case payBankPending:
		o.PaymentGatewayNames, o.ProcessingMethod, o.FinancialStatus = []string{"Bank Deposit"}, "manual", "pending"
		outstanding = total
	case payPartial:
		o.PaymentGatewayNames, o.ProcessingMethod, o.FinancialStatus = []string{"gift_card", "Bank Deposit"}, "manual", "partially_paid"
		// A gift card covered part (5, 15 or 25, at most half); the rest is owed by bank deposit.
		collected := decimal.Min(decimal.New(int64(5+rng.IntN(3)*10), 0), total.Div(decimal.NewFromInt(2)).Round(2))
		outstanding = total.Sub(collected)
	case payAuthorized:
		o.PaymentGatewayNames, o.ProcessingMethod, o.FinancialStatus = []string{"shopify_payments"}, "direct", "authorized"
		outstanding = total
	case payGiftCard:
		o.PaymentGatewayNames, o.ProcessingMethod, o.FinancialStatus = []string{"gift_card"}, "direct", "paid"
	case payGiftCardAndCard:
		o.PaymentGatewayNames, o.ProcessingMethod, o.FinancialStatus = []string{"gift_card", "shopify_payments"}, "direct", "paid"
	case payManual:
		o.PaymentGatewayNames, o.ProcessingMethod, o.FinancialStatus = []string{"manual"}, "manual", "paid"
	case payTest:
		o.PaymentGatewayNames, o.ProcessingMethod, o.FinancialStatus = []string{"bogus"}, "direct", "paid"
	}
	o.TotalOutstanding = NewMoney(outstanding)

	processed := at
	if rng.IntN(100) < 5 {
		processed = at.Add(-time.Duration(1+rng.IntN(180)) * time.Minute)
	}
	o.ProcessedAt = g.ts(processed)
	updated := at
	if o.FinancialStatus == "paid" && usesAuthCapture(id) && pay == payCard {
		updated = latest(updated, captureTime(at, id))
	}

	// Lifecycle: cancellation, fulfilment and archiving, each only if it happened by Now.
	fulfilledLines := 0
	if cancelled {
		reasons := []string{"customer", "customer", "customer", "inventory", "inventory", "fraud", "declined", "other"}
		reason := pick(rng, reasons)
		c := g.ts(cancelAt)
		o.CancelReason, o.CancelledAt, o.ClosedAt = &reason, &c, &c
		switch o.FinancialStatus {
		case "paid":
			o.FinancialStatus = "refunded"
		default:
			o.FinancialStatus = "voided"
		}
		o.TotalOutstanding = NewMoney(decimal.Zero)
		o.CurrentSubtotalPrice, o.CurrentTotalDiscounts = NewMoney(decimal.Zero), NewMoney(decimal.Zero)
		o.CurrentTotalPrice, o.CurrentTotalTax = NewMoney(decimal.Zero), NewMoney(decimal.Zero)
		updated = latest(updated, cancelAt)
	} else if o.FinancialStatus == "paid" {
		delay := time.Duration(4*60+rng.IntN(4*24*60)) * time.Minute
		if !needsShipping {
			delay = 0 // digital goods and gift cards are delivered at once
		} else if pickup {
			delay = time.Duration(60+rng.IntN(2*24*60)) * time.Minute
		}
		fulfillAt := at.Add(delay)
		if !fulfillAt.After(g.opt.Now) {
			fulfilledLines = len(lines)
			if len(lines) > 1 && rng.IntN(100) < 5 {
				fulfilledLines = 1
			}
			updated = latest(updated, fulfillAt)
			closeAt := fulfillAt.Add(time.Duration(1+rng.IntN(14*24)) * time.Hour)
			if fulfilledLines == len(lines) && rng.IntN(100) < 40 && !closeAt.After(g.opt.Now) {
				c := g.ts(closeAt)
				o.ClosedAt = &c
				updated = latest(updated, closeAt)
			}
		}
	}
	switch {
	case fulfilledLines == len(lines) && fulfilledLines > 0:
		s := "fulfilled"
		o.FulfillmentStatus = &s
	case fulfilledLines > 0:
		s := "partial"
		o.FulfillmentStatus = &s
	}
	o.UpdatedAt = g.ts(updated)

	// Line items.
	o.LineItems = make([]LineItem, len(lines))
	for i := range lines {
		o.LineItems[i] = g.lineItem(id, i, &lines[i], i < fulfilledLines, cancelled)
	}

	// Addresses and customer.
	billing := buyer.address
	o.BillingAddress = &billing
	if ship != nil {
		shipTo := buyer.address
		o.ShippingAddress = &shipTo
	}
	if cust != nil {
		o.Customer = g.customer(cust, email, at)
		o.BuyerAcceptsMarketing = cust.marketing
	}
	if rng.IntN(100) < 5 {
		note := pick(rng, []string{"Please gift wrap, it's a present.", "Leave the parcel with the neighbours if I'm out.", "Kan ik dit ophalen op zaterdag?"})
		o.Note = &note
	}
	if rng.IntN(100) < 4 {
		o.NoteAttributes = append(o.NoteAttributes, NoteAttribute{Name: "gift_message", Value: "Happy birthday!"})
	}
	if o.Test {
		o.Tags = joinTags(o.Tags, "test")
	}

	if o.FinancialStatus == "refunded" {
		o.Refunds = []Refund{g.refund(o, cancelAt)}
	}
	return o
}

// PickupLocation is the location local-pickup orders are collected at: the simulated
// shop's one location.
const PickupLocation = "Main store"

// shippingTaxes lists the tax lines of the order's shipping lines.
func (o *Order) shippingTaxes() []TaxLine {
	var out []TaxLine
	for _, s := range o.ShippingLines {
		out = append(out, s.TaxLines...)
	}
	return out
}

// draftLines picks the order's lines: one to four products (1–6 units each), now and then a
// gift card purchase or a custom item.
func (g *Generator) draftLines(rng *rand.Rand) []lineDraft {
	giftProduct := len(g.catalog) - 1 // the gift card is the last product
	n := 1 + pickWeighted(rng, []int{50, 30, 14, 6})
	lines := make([]lineDraft, 0, n+2)
	for range n {
		p := &g.catalog[rng.IntN(giftProduct)]
		v := &p.variants[rng.IntN(len(p.variants))]
		qty := 1 + pickWeighted(rng, []int{72, 18, 6, 2, 1, 1})
		if j := slices.IndexFunc(lines, func(l lineDraft) bool { return l.item == v }); j >= 0 {
			lines[j].qty += qty // Shopify merges a variant added twice into one line
			continue
		}
		variant := ""
		if len(p.variants) > 1 {
			variant = v.VariantTitle
		}
		l := lineDraft{item: v, class: p.tmpl.class, title: p.tmpl.title, variant: variant, price: v.Price, qty: qty,
			grams: v.Grams, taxable: v.Taxable, shipping: v.RequiresShipping}
		if p.tmpl.code == "MUG" && rng.IntN(100) < 20 {
			l.props = []Property{{Name: "Engraving", Value: pick(rng, []string{"Anna", "Papa", "Best Mum", "Koffie!"})}}
		}
		lines = append(lines, l)
	}
	if rng.IntN(100) < 4 {
		p := &g.catalog[giftProduct]
		v := &p.variants[rng.IntN(len(p.variants))]
		lines = append(lines, lineDraft{item: v, class: taxNone, title: p.tmpl.title, variant: v.VariantTitle, price: v.Price,
			qty: 1, giftCard: true})
	}
	if rng.IntN(100) < 4 {
		custom := []struct {
			title      string
			from, upTo int64 // whole euros
			shipping   bool
		}{{"Gift wrapping", 3, 6, true}, {"Custom framing", 25, 60, true}, {"Repair service", 15, 45, false}, {"Personal shopping session", 40, 80, false}}
		c := pick(rng, custom)
		price := (c.from+rng.Int64N(c.upTo-c.from+1))*100 - 5 // x.95
		lines = append(lines, lineDraft{class: taxStandard, title: c.title, price: decimal.New(price, -2),
			qty: 1, taxable: true, shipping: c.shipping})
	}
	return lines
}

// eligibleLine returns the index of a random line a discount may apply to (not a gift card;
// a catalog product when productOnly), or -1.
func eligibleLine(rng *rand.Rand, lines []lineDraft, productOnly bool) int {
	var idx []int
	for i, l := range lines {
		if !l.giftCard && (l.item != nil || !productOnly) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1
	}
	return idx[rng.IntN(len(idx))]
}

// discountableBase is the sum of what is left of the lines a code may discount.
func discountableBase(lines []lineDraft) decimal.Decimal {
	sum := decimal.Zero
	for i := range lines {
		if !lines[i].giftCard {
			sum = sum.Add(lines[i].base())
		}
	}
	return sum
}

// allocatePercent takes pct off every discountable line (rounded per line) for discount
// application app and returns the total taken off.
func allocatePercent(lines []lineDraft, app int, pct decimal.Decimal) decimal.Decimal {
	sum := decimal.Zero
	for i := range lines {
		l := &lines[i]
		if l.giftCard {
			continue
		}
		a := l.base().Mul(pct).Round(2)
		if !a.IsPositive() {
			continue
		}
		l.allocs = append(l.allocs, DiscountAllocation{Amount: NewMoney(a), DiscountApplicationIndex: app})
		l.discount = l.discount.Add(a)
		sum = sum.Add(a)
	}
	return sum
}

// allocateFixed spreads amount over the discountable lines in proportion to what is left of
// them; the last line takes the rounding remainder so that the parts add up exactly. The
// caller ensures amount is at most half the discountable base, so no part goes negative.
func allocateFixed(lines []lineDraft, app int, amount decimal.Decimal) {
	total := discountableBase(lines)
	last := -1
	for i := range lines {
		if !lines[i].giftCard {
			last = i
		}
	}
	left := amount
	for i := range lines {
		l := &lines[i]
		if l.giftCard {
			continue
		}
		a := left
		if i != last {
			a = amount.Mul(l.base()).Div(total).Round(2)
		}
		left = left.Sub(a)
		l.allocs = append(l.allocs, DiscountAllocation{Amount: NewMoney(a), DiscountApplicationIndex: app})
		l.discount = l.discount.Add(a)
	}
}

// taxLine computes one tax on base, rounded half-up to cents: the part of base that is tax
// when taxes are included, or the tax on top of base otherwise.
func taxLine(title string, rate, base decimal.Decimal, included bool) TaxLine {
	return TaxLine{Title: title, Rate: Rate{rate}, Price: NewMoney(taxAmount(rate, base, included))}
}

func taxAmount(rate, base decimal.Decimal, included bool) decimal.Decimal {
	if included {
		return base.Mul(rate).Div(decimal.NewFromInt(1).Add(rate)).Round(2)
	}
	return base.Mul(rate).Round(2)
}

func (g *Generator) lineItem(orderID int64, i int, l *lineDraft, fulfilled, cancelled bool) LineItem {
	li := LineItem{
		ID:                  partID(orderID, 16, i),
		CurrentQuantity:     l.qty,
		FulfillableQuantity: l.qty,
		FulfillmentService:  "manual",
		GiftCard:            l.giftCard,
		Grams:               l.grams,
		Name:                l.title,
		Price:               NewMoney(l.price),
		Properties:          l.props,
		Quantity:            l.qty,
		RequiresShipping:    l.shipping,
		Taxable:             l.taxable,
		Title:               l.title,
		TotalDiscount:       NewMoney(l.discount),
		TaxLines:            l.taxes,
		DiscountAllocations: l.allocs,
	}
	li.AdminGraphqlAPIID = "gid://shopify/LineItem/" + strconv.FormatInt(li.ID, 10)
	if li.Properties == nil {
		li.Properties = []Property{}
	}
	if li.TaxLines == nil {
		li.TaxLines = []TaxLine{}
	}
	if li.DiscountAllocations == nil {
		li.DiscountAllocations = []DiscountAllocation{}
	}
	if l.variant != "" {
		v := l.variant
		li.VariantTitle = &v
		li.Name = l.title + " - " + v
	}
	if l.giftCard {
		li.FulfillmentService = "gift_card"
	}
	if it := l.item; it != nil {
		pid, vid, sku, vendor := it.ProductID, it.VariantID, it.SKU, it.Vendor
		li.ProductID, li.VariantID, li.SKU, li.Vendor = &pid, &vid, &sku, &vendor
		li.ProductExists = true
		if it.Tracked {
			m := "shopify"
			li.VariantInventoryManagement = &m
		}
	}
	switch {
	case cancelled:
		li.CurrentQuantity, li.FulfillableQuantity = 0, 0
	case fulfilled:
		s := "fulfilled"
		li.FulfillmentStatus = &s
		li.FulfillableQuantity = 0
	}
	return li
}

func (g *Generator) customer(c *poolCustomer, email string, at time.Time) *Customer {
	created := g.ts(c.createdAt)
	updated := g.ts(at)
	addr := c.address
	consent := "not_subscribed"
	if c.marketing {
		consent = "subscribed"
	}
	return &Customer{
		ID:                c.id,
		AdminGraphqlAPIID: "gid://shopify/Customer/" + strconv.FormatInt(c.id, 10),
		Email:             email,
		CreatedAt:         created,
		UpdatedAt:         updated,
		FirstName:         c.firstName,
		LastName:          c.lastName,
		State:             "enabled",
		VerifiedEmail:     true,
		Phone:             c.phone,
		Currency:          g.opt.Currency,
		EmailMarketingConsent: &MarketingConsent{
			State:            consent,
			ConsentUpdatedAt: &created,
		},
		DefaultAddress: &CustomerAddress{
			ID:          c.id + 1_000_000_000_000,
			CustomerID:  c.id,
			Address:     addr,
			CountryName: addr.Country,
			Default:     true,
		},
	}
}

// refund builds the refund Shopify records when a paid order is cancelled with a full refund:
// every line back with restock type "cancel", shipping refunded as an order adjustment, and
// the refund transactions Transactions also returns.
func (g *Generator) refund(o Order, at time.Time) Refund {
	rid := partID(o.ID, 4, 1)
	ts := g.ts(at)
	r := Refund{
		ID:                rid,
		AdminGraphqlAPIID: "gid://shopify/Refund/" + strconv.FormatInt(rid, 10),
		OrderID:           o.ID,
		CreatedAt:         ts,
		ProcessedAt:       ts,
		Restock:           true,
		RefundLineItems:   make([]RefundLineItem, 0, len(o.LineItems)),
		OrderAdjustments:  []OrderAdjustment{},
	}
	for i, li := range o.LineItems {
		tax := decimal.Zero
		for _, t := range li.TaxLines {
			tax = tax.Add(t.Price.Decimal)
		}
		sub := li.Price.Mul(decimal.NewFromInt(int64(li.Quantity))).Sub(li.TotalDiscount.Decimal)
		r.RefundLineItems = append(r.RefundLineItems, RefundLineItem{
			ID: partID(o.ID, 16, 8+i), LineItemID: li.ID, Quantity: li.Quantity, RestockType: "cancel",
			Subtotal: Number{sub}, TotalTax: Number{tax},
		})
	}
	for i, s := range o.ShippingLines {
		tax := decimal.Zero
		for _, t := range s.TaxLines {
			tax = tax.Add(t.Price.Decimal)
		}
		if s.DiscountedPrice.IsZero() {
			continue
		}
		r.OrderAdjustments = append(r.OrderAdjustments, OrderAdjustment{
			ID: partID(o.ID, 4, 2+i), OrderID: o.ID, RefundID: rid, Kind: "shipping_refund", Reason: "Shipping refund",
			Amount: NewMoney(s.DiscountedPrice.Neg()), TaxAmount: NewMoney(tax.Neg()),
		})
	}
	for _, t := range transactionsFor(o, g.loc) {
		if t.Kind == "refund" {
			r.Transactions = append(r.Transactions, t)
		}
	}
	if r.Transactions == nil {
		r.Transactions = []Transaction{}
	}
	return r
}

// ts renders t in the shop's time zone.
func (g *Generator) ts(t time.Time) string { return FormatTime(t, g.loc) }

// partID derives the id of part k (0 ≤ k < slots) of order orderID, so ids are unique per
// kind of object and reproducible from the order alone (Transactions needs that).
func partID(orderID int64, slots, k int) int64 { return orderID*int64(slots) + int64(k) }

// usesAuthCapture reports whether a card order is authorized first and captured later
// (three in ten) rather than charged at once.
func usesAuthCapture(orderID int64) bool { return byID(orderID, 10) < 3 }

// captureTime is when an authorize-then-capture card order is captured.
func captureTime(created time.Time, orderID int64) time.Time {
	return created.Add(time.Duration(1+byID(orderID, 120)) * time.Minute)
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func joinTags(tags, tag string) string {
	if tags == "" {
		return tag
	}
	return tags + ", " + tag
}

// pickWeighted returns an index into weights, chosen with probability proportional to its
// weight.
func pickWeighted(rng *rand.Rand, weights []int) int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	r := rng.IntN(sum)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}
