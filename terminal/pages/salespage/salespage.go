// Package salespage is the terminal's Sales screen: the sales history newest first, paged,
// searched by receipt number or customer and filtered (awaiting payment, Shopify, today);
// a sale's detail; and applying a payment to a sale awaiting payment.
//
// Keys come faster than the daemon answers (a barcode scanner types "/ #1111 enter enter
// p" at once), so the screen never acts on what it is not showing:
//   - every list request carries a number and the query it asks; an answer to an older
//     query, or older than the rows shown, is dropped;
//   - while the answer to the current query has not arrived the list shows "Loading…"
//     and takes no action on a row (enter, paging): the old rows are gone from the screen;
//   - the sale on screen is known by its id: its detail is the answer for that id, and
//     apply payment is offered only once that answer is in, bound to that id (the form's
//     title shows its receipt), and sent with it, so the daemon pays exactly that sale.
package salespage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/terminal/common"
	"github.com/kassa-pos/kassa/terminal/components/form"
)

type mode int

const (
	listing mode = iota
	searching
	detail
	paying
	voiding
	confirmingVoid
)

// timeLayout is how staff read and type a payment's date and time.
const timeLayout = "2006-01-02 15:04"

// preferredType comes first among the payment types offered, because settling
// bank-deposit orders is what staff apply payments for.
const preferredType = "Bank deposit"

// fallbackPaymentTypes are offered until the daemon's list arrives, and instead of it when
// it cannot be loaded: the ones every kassa database starts with. Staff may type any other
// name; the daemon's refusal of an unknown one lists the known ones.
func fallbackPaymentTypes() []string { return []string{preferredType, "Cash", "Card"} }

// hintWidth is how much of the line the list of payment types may take beside its field,
// so the form stays within 80 columns.
const hintWidth = 42

// Page is the Sales screen.
type Page struct {
	common.Common
	mode mode

	search                   string
	awaiting, shopify, today bool
	offset                   int

	// The list: want is the query of the latest request (number seq); rows answer the
	// query have, from request number haveSeq. Rows act only while have is want.
	seq, haveSeq int
	want, have   client.SalesQuery
	rows         []client.Sale
	more         bool
	cursor       int
	loaded       bool
	err          string
	notYet       string // why a key did nothing: the list is still loading

	searchForm *form.Form

	// The sale on screen, by its id: first the list's row, then the daemon's answer for
	// that id (saleLoaded), the latest of request number saleSeq.
	sale                 client.Sale
	saleSeq, haveSaleSeq int
	saleLoaded           bool
	saleErr              string
	info                 string

	payForm  *form.Form
	payFor   client.Sale // the sale the payment form pays
	types    []string
	typeIdx  int
	nowShown string
	busy     bool

	void *voidState
}

type listMsg struct {
	seq  int
	q    client.SalesQuery
	rows []client.Sale
	err  error
}

func (m listMsg) CallErr() error { return m.err }

type saleMsg struct {
	seq  int
	id   int64
	sale client.Sale
	err  error
}

func (m saleMsg) CallErr() error { return m.err }

// typesMsg carries the daemon's payment types. It is no common.Result: the list is a
// convenience, and its failing to load says nothing about the daemon that the payment's
// own call will not say.
type typesMsg struct {
	types []client.PaymentType
}

type paidMsg struct {
	saleID  int64
	pay     client.Payment
	sale    client.Sale
	saleErr error // the payment is recorded; the sale could not be read after it
	err     error
}

func (m paidMsg) CallErr() error { return m.err }

// New returns the Sales screen.
func New(c common.Common) *Page { return &Page{Common: c} }

// Init loads nothing until the terminal is ready.
func (p *Page) Init() tea.Cmd { return nil }

// Editing reports whether a field has the focus.
func (p *Page) Editing() bool { return p.mode == searching || p.mode == paying || p.mode == voiding }

// pageSize is how many sales fit on the screen.
func (p *Page) pageSize() int { return max(p.Height-6, 3) }

func (p *Page) query() client.SalesQuery {
	q := client.SalesQuery{Outlet: p.Env.Outlet, Search: p.search, AwaitingPayment: p.awaiting, Offset: p.offset,
		Limit: p.pageSize() + 1}
	if p.shopify {
		q.Source = "shopify"
	}
	if p.today {
		d := p.Now().Format(time.DateOnly)
		q.From, q.To = d, d
	}
	return q
}

// loadList asks for the list of the current query. Until its answer is in, rows of
// another query are not shown and take no action.
func (p *Page) loadList() tea.Cmd {
	p.seq++
	q, seq := p.query(), p.seq
	p.want, p.notYet = q, ""
	return common.Call(p.Common, func(ctx context.Context, api common.API) ([]client.Sale, error) {
		return api.Sales(ctx, q)
	}, func(rows []client.Sale, err error) tea.Msg { return listMsg{seq: seq, q: q, rows: rows, err: err} })
}

// listReady reports whether the rows on screen are the answer to the current query, so
// that a key may act on them.
func (p *Page) listReady() bool { return p.loaded && p.have == p.want }

// loadSale asks for the sale on screen, by its receipt, and checks that the answer is
// that sale (its id).
func (p *Page) loadSale() tea.Cmd {
	p.saleSeq++
	seq, id, receipt, outlet := p.saleSeq, p.sale.ID, p.sale.ReceiptNumber, p.Env.Outlet
	return common.Call(p.Common, func(ctx context.Context, api common.API) (client.Sale, error) {
		s, err := api.Sale(ctx, receipt, outlet)
		if err == nil && s.ID != id {
			err = fmt.Errorf("receipt %s is now another sale: go back to the list and look it up again", receipt)
		}
		return s, err
	}, func(s client.Sale, err error) tea.Msg { return saleMsg{seq: seq, id: id, sale: s, err: err} })
}

// showSale puts sale s on screen and asks for all of it.
func (p *Page) showSale(s client.Sale) tea.Cmd {
	p.mode, p.info, p.saleErr = detail, "", ""
	p.sale, p.saleLoaded = s, false
	return p.loadSale()
}

// Update handles messages.
func (p *Page) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ReadyMsg:
		return p, p.loadList()
	case common.RefreshMsg:
		switch p.mode {
		case listing:
			return p, p.loadList()
		case detail:
			return p, p.loadSale()
		}
	case common.HomeMsg:
		if p.mode == detail {
			p.mode, p.info = listing, ""
			return p, p.loadList()
		}
	case listMsg:
		p.takeList(msg)
	case saleMsg:
		// An answer for another sale than the one on screen, or older than the one shown,
		// is dropped.
		if msg.id != p.sale.ID || msg.seq <= p.haveSaleSeq {
			return p, nil
		}
		if msg.err != nil {
			if msg.seq == p.saleSeq {
				p.saleErr = common.LoadError(msg.err)
			}
			return p, nil
		}
		p.haveSaleSeq = msg.seq
		p.saleErr, p.sale, p.saleLoaded = "", msg.sale, true
	case typesMsg:
		if p.mode == paying && len(msg.types) > 0 {
			p.offerTypes(msg.types)
		}
	case paidMsg:
		p.busy = false
		if msg.err != nil {
			if p.payForm != nil {
				p.payForm.Err = common.Describe(msg.err)
			}
			return p, nil
		}
		p.mode, p.payForm = detail, nil
		p.haveSaleSeq = p.saleSeq // what is in flight was asked before the payment
		pay := msg.pay
		p.info = fmt.Sprintf("Recorded %s (%s) at %s; balance now %s (%s).", pay.Amount, pay.Type,
			common.ShortTime(pay.PaidAt), pay.Balance, statusWords(pay.Status))
		if msg.saleErr != nil {
			// Recorded all the same: show the sale paid as it is once it can be read.
			p.sale, p.saleLoaded = p.payFor, false
			return p, tea.Batch(p.loadSale(), p.loadList())
		}
		p.sale, p.saleLoaded, p.saleErr = msg.sale, true, ""
		return p, p.loadList()
	case voidedMsg:
		return p, p.voided(msg)
	case tea.KeyMsg:
		return p, p.key(msg)
	}
	return p, nil
}

// takeList shows the rows of an answer, unless it answers another query than the current
// one or is older than the rows shown. The cursor stays on the sale it was on.
func (p *Page) takeList(msg listMsg) {
	if msg.q != p.want || msg.seq <= p.haveSeq {
		p.Log.Debug().Int("seq", msg.seq).Int("latest", p.seq).Msg("dropped a late list of sales")
		return
	}
	if msg.err != nil {
		if msg.seq == p.seq {
			p.err = common.LoadError(msg.err)
		}
		return
	}
	var on int64
	if p.have == msg.q && p.cursor < len(p.rows) {
		on = p.rows[p.cursor].ID
	}
	p.haveSeq, p.have = msg.seq, msg.q
	p.err, p.loaded, p.notYet = "", true, ""
	p.more = len(msg.rows) > p.pageSize()
	if p.more {
		msg.rows = msg.rows[:p.pageSize()]
	}
	p.rows = msg.rows
	p.cursor = min(p.cursor, max(len(p.rows)-1, 0))
	for i, r := range p.rows {
		if on != 0 && r.ID == on {
			p.cursor = i
		}
	}
}

func (p *Page) key(msg tea.KeyMsg) tea.Cmd {
	k := p.Keys
	switch p.mode {
	case listing:
		ready := p.listReady()
		if !ready && key.Matches(msg, k.Select, k.Pay, k.NextPage, k.PrevPage) {
			p.notYet = "Not yet: the sales are still loading. Press the key again once they are shown."
			return nil
		}
		switch {
		case key.Matches(msg, k.Up):
			p.cursor = max(p.cursor-1, 0)
		case key.Matches(msg, k.Down):
			p.cursor = min(p.cursor+1, max(len(p.rows)-1, 0))
		case key.Matches(msg, k.NextPage):
			if ready && p.more {
				p.offset += p.pageSize()
				p.cursor = 0
				return p.loadList()
			}
		case key.Matches(msg, k.PrevPage):
			if ready && p.offset > 0 {
				p.offset = max(p.offset-p.pageSize(), 0)
				p.cursor = 0
				return p.loadList()
			}
		case key.Matches(msg, k.Search):
			p.mode = searching
			p.searchForm = form.New(p.Common, "Search sales", "Receipt or customer", p.search)
			p.searchForm.Note = "A receipt number (#1002) or part of a customer's name or e-mail; empty shows all."
		case key.Matches(msg, k.Awaiting):
			p.awaiting = !p.awaiting
			return p.reset()
		case key.Matches(msg, k.FromShopify):
			p.shopify = !p.shopify
			return p.reset()
		case key.Matches(msg, k.Today):
			p.today = !p.today
			return p.reset()
		case key.Matches(msg, k.Refresh):
			return p.loadList()
		case key.Matches(msg, k.Select):
			// Only a row of the current query's answer, as the screen shows it.
			if ready && p.cursor < len(p.rows) {
				return p.showSale(p.rows[p.cursor])
			}
		}
	case searching:
		act, cmd := p.searchForm.Update(msg)
		switch act {
		case form.Cancel:
			p.mode, p.searchForm = listing, nil
		case form.Submit:
			p.search = p.searchForm.Value(0)
			p.mode, p.searchForm = listing, nil
			return p.reset()
		}
		return cmd
	case detail:
		switch {
		case key.Matches(msg, k.Back):
			p.mode, p.info = listing, ""
			return p.loadList()
		case key.Matches(msg, k.Pay) && p.canPay():
			return p.startPay()
		case key.Matches(msg, k.Void):
			p.startVoid()
		case key.Matches(msg, k.Refresh):
			return p.loadSale()
		}
	case paying:
		if p.busy {
			return nil
		}
		if p.payForm.Focused() == 0 && (msg.Type == tea.KeyLeft || msg.Type == tea.KeyRight) && len(p.types) > 0 {
			step := 1
			if msg.Type == tea.KeyLeft {
				step = -1
			}
			p.typeIdx = (p.typeIdx + step + len(p.types)) % len(p.types)
			p.payForm.SetValue(0, p.types[p.typeIdx])
			return nil
		}
		act, cmd := p.payForm.Update(msg)
		switch act {
		case form.Cancel:
			p.mode, p.payForm = detail, nil
		case form.Submit:
			return p.submitPay()
		}
		return cmd
	case voiding, confirmingVoid:
		return p.voidKey(msg)
	}
	return nil
}

func (p *Page) reset() tea.Cmd {
	p.offset, p.cursor = 0, 0
	return p.loadList()
}

// offerTypes replaces the fallback types with the daemon's, the preferred one first, and
// keeps the type the field holds chosen.
func (p *Page) offerTypes(types []client.PaymentType) {
	p.types = p.types[:0]
	for _, t := range types {
		if strings.EqualFold(t.Name, preferredType) {
			p.types = append([]string{t.Name}, p.types...)
		} else {
			p.types = append(p.types, t.Name)
		}
	}
	p.typeIdx = 0
	for i, t := range p.types {
		if strings.EqualFold(t, p.payForm.Value(0)) {
			p.typeIdx = i
		}
	}
}

// typesHint lists the payment types offered, as many whole names as fit beside the field
// and "…" for the rest, which ←/→ still reach.
func (p *Page) typesHint(*form.Form) string {
	h := "←/→"
	for i, t := range p.types {
		next := h + " " + t
		if i > 0 {
			next = h + " · " + t
		}
		room := hintWidth
		if i < len(p.types)-1 {
			room -= len([]rune(" · …"))
		}
		if len([]rune(next)) > room {
			if i == 0 {
				return h + " …"
			}
			return h + " · …"
		}
		h = next
	}
	return h
}

// canPay reports whether the sale on screen may be paid: the daemon's answer for it is in
// (not only the list's row) and it owes a balance.
func (p *Page) canPay() bool {
	return p.saleLoaded && p.sale.ID != 0 && p.sale.Status == "awaiting_payment"
}

// startPay opens the payment form for the sale on screen, bound to its id.
func (p *Page) startPay() tea.Cmd {
	p.mode, p.info = paying, ""
	p.payFor = p.sale
	p.types = fallbackPaymentTypes()
	p.typeIdx = 0
	p.nowShown = p.Now().Format(timeLayout)
	p.payForm = form.New(p.Common, "Apply payment to "+p.payFor.ReceiptNumber)
	p.payForm.Note = fmt.Sprintf("Balance %s. Leave the time as it is for now.", p.payFor.Balance)
	p.payForm.Add("Payment type", p.types[0], p.typesHint)
	p.payForm.Add("Amount", p.payFor.Balance, nil)
	p.payForm.Add("Date and time", p.nowShown, func(*form.Form) string { return "YYYY-MM-DD HH:MM" })
	return common.Call(p.Common, func(ctx context.Context, api common.API) ([]client.PaymentType, error) {
		return api.PaymentTypes(ctx)
	}, func(types []client.PaymentType, _ error) tea.Msg { return typesMsg{types: types} })
}

func (p *Page) submitPay() tea.Cmd {
	f := p.payForm
	// The sale is named by its id (and its receipt, which the daemon checks is that sale's).
	req := client.PaymentRequest{Register: p.Env.Register, SaleID: p.payFor.ID, Receipt: p.payFor.ReceiptNumber,
		PaymentType: f.Value(0), Amount: f.Value(1), By: p.Env.User}
	if req.PaymentType == "" {
		f.Err = "choose a payment type"
		return nil
	}
	// An untouched time means "now": the daemon's clock, to the second, decides then.
	if at := f.Value(2); at != p.nowShown {
		loc := time.Local
		if p.Env.Location != nil {
			loc = p.Env.Location
		}
		t, err := time.ParseInLocation(timeLayout, at, loc)
		if err != nil {
			f.Err = fmt.Sprintf("%q is not a date and time such as %s", at, p.nowShown)
			return nil
		}
		req.PaidAt = t.Format(time.RFC3339)
	}
	p.busy, f.Err = true, ""
	outlet := p.Env.Outlet
	return common.Call(p.Common, func(ctx context.Context, api common.API) (paidMsg, error) {
		pay, err := api.ApplyPayment(ctx, req)
		if err != nil {
			return paidMsg{}, err
		}
		s, err := api.Sale(ctx, req.Receipt, outlet)
		if err == nil && s.ID != req.SaleID {
			err = fmt.Errorf("receipt %s is now another sale", req.Receipt)
		}
		return paidMsg{pay: pay, sale: s, saleErr: err}, nil
	}, func(m paidMsg, err error) tea.Msg { m.saleID, m.err = req.SaleID, err; return m })
}

func statusWords(s string) string {
	if s == "awaiting_payment" {
		return "awaiting payment"
	}
	return s
}

// View draws the screen.
func (p *Page) View() string {
	switch p.mode {
	case searching:
		return p.searchForm.View()
	case detail:
		return p.detailView()
	case paying:
		return p.detailHead() + "\n" + p.payForm.View()
	case voiding, confirmingVoid:
		return p.voidView()
	}
	return p.listView()
}

func (p *Page) filters() string {
	var on []string
	if p.search != "" {
		on = append(on, fmt.Sprintf("search %q", p.search))
	}
	if p.awaiting {
		on = append(on, "awaiting payment")
	}
	if p.shopify {
		on = append(on, "Shopify")
	}
	if p.today {
		on = append(on, "today")
	}
	if len(on) == 0 {
		return "all sales"
	}
	return strings.Join(on, ", ")
}

func (p *Page) listView() string {
	st := p.Styles
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	page := p.offset/p.pageSize() + 1
	line(st.Heading.Render("Sales history") + st.Muted.Render(fmt.Sprintf("   %s · page %d", p.filters(), page)))
	line("")
	line(st.Heading.Render("  " + common.Pad("Receipt", 9) + common.Pad("Sold at", 17) + common.Pad("Customer", 18) +
		common.Money("Total", 9) + common.Money("Balance", 9) + "  " + common.Pad("Status", 9) + common.Pad("Src", 4)))
	if !p.listReady() {
		// Rows of another query are not shown: enter would pick from them.
		if p.err != "" {
			line(st.Error.Render(p.err))
		} else {
			line(st.Muted.Render("  Loading…"))
		}
		if p.notYet != "" {
			line("")
			line(st.Warn.Render(p.notYet))
		}
		return b.String()
	}
	if p.loaded && len(p.rows) == 0 {
		line(st.Muted.Render("  No sales match."))
	}
	for i, s := range p.rows {
		cust := ""
		if s.Customer != nil {
			cust = s.Customer.Name
			if cust == "" {
				cust = s.Customer.Email
			}
		}
		status := "paid"
		if s.Status == "awaiting_payment" {
			status = "awaiting"
		}
		src := "POS"
		if s.Source == "shopify" {
			src = "Shop"
		}
		row := common.Pad(s.ReceiptNumber, 9) + common.Pad(common.ShortTime(s.SoldAt), 17) + common.Pad(cust, 18) +
			common.Money(s.Total, 9) + common.Money(s.Balance, 9) + "  " + common.Pad(status, 9) + common.Pad(src, 4)
		if i == p.cursor {
			line(st.Key.Render("> ") + st.Selected.Render(row))
		} else if s.Status == "awaiting_payment" {
			line("  " + st.Warn.Render(row))
		} else {
			line("  " + row)
		}
	}
	if p.more {
		line(st.Muted.Render("  … more on the next page"))
	}
	if p.err != "" {
		line(st.Error.Render(p.err))
	}
	return b.String()
}

func (p *Page) detailHead() string {
	st := p.Styles
	s := p.sale
	src := "in store"
	if s.Source == "shopify" {
		src = "Shopify"
	}
	head := st.Heading.Render("Sale "+s.ReceiptNumber) + st.Muted.Render("  "+src+" · "+common.ShortTime(s.SoldAt)+" · "+s.Outlet+"/"+s.Register)
	if s.Customer != nil {
		head += "\n" + st.Label.Render("Customer ") + s.Customer.Name + " <" + s.Customer.Email + ">"
	}
	return head + "\n"
}

func (p *Page) detailView() string {
	st := p.Styles
	s := p.sale
	var b strings.Builder
	line := func(v string) { b.WriteString(v + "\n") }
	b.WriteString(p.detailHead())
	line("")
	if !p.saleLoaded {
		if p.saleErr != "" {
			line(st.Error.Render(p.saleErr))
		} else {
			line(st.Muted.Render("Loading the sale…"))
		}
		return b.String()
	}
	line(st.Heading.Render(common.Pad("Item", 34) + common.Money("Qty", 4) + common.Money("Price", 9) + common.Money("Disc.", 8) +
		common.Money("Tax", 8) + common.Money("Total", 9)))
	for _, l := range s.Lines {
		name := l.Name
		if l.ShippingFee {
			name = "[shipping] " + name
		}
		line(common.Pad(name, 34) + common.Money(fmt.Sprint(l.Quantity), 4) + common.Money(l.UnitPrice, 9) +
			common.Money(l.Discount, 8) + common.Money(l.Tax, 8) + common.Money(l.Total, 9))
	}
	line(common.Pad("", 55) + st.Label.Render(common.Pad("Total", 8)) + common.Money(s.Total, 9))
	line("")
	line(st.Heading.Render("Payments"))
	p.paymentLines(line)
	line("")
	bal := st.Label.Render("Paid ") + s.Paid + st.Label.Render("   Balance ") + s.Balance + "   "
	if s.Status == "awaiting_payment" {
		bal += st.Warn.Render("AWAITING PAYMENT")
	} else {
		bal += st.Good.Render("PAID")
	}
	line(bal)
	if p.info != "" {
		line(st.Good.Render(p.info))
	}
	if p.saleErr != "" {
		line(st.Error.Render(p.saleErr))
	}
	return b.String()
}

// ShortHelp lists the keys that work now.
func (p *Page) ShortHelp() []key.Binding {
	k := p.Keys
	switch p.mode {
	case searching:
		return p.searchForm.ShortHelp()
	case paying:
		return p.payForm.ShortHelp()
	case voiding:
		return p.void.form.ShortHelp()
	case confirmingVoid:
		return []key.Binding{k.Confirm, k.Deny}
	case detail:
		var out []key.Binding
		if p.canPay() {
			out = append(out, k.Pay)
		}
		if len(voidable(p.sale)) > 0 {
			out = append(out, k.Void)
		}
		return append(out, k.Back, k.Refresh)
	}
	if !p.listReady() {
		return []key.Binding{k.Search, k.Awaiting, k.FromShopify, k.Today, k.Refresh}
	}
	return []key.Binding{k.Select, k.Search, k.Awaiting, k.FromShopify, k.Today, k.Pages}
}
