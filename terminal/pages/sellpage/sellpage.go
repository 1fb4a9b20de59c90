// Package sellpage is the terminal's Sell screen: ring up a counter sale by scanning
// barcodes (or typing barcodes and SKUs), take the money, and take returns, with a
// barcode scanner in mind: the input always has the focus, a code followed by Enter adds
// the line, and an empty Enter goes on to the payment. The total and the change are
// shown in large digits. Every figure is the daemon's: the lines are priced by its quote,
// the sale and the return are its answer, and the receipt is its text, saved for
// printing.
package sellpage

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/terminal/common"
)

type mode int

const (
	scanning      mode = iota // codes of the sale
	paying                    // the money handed over
	sold                      // the sale (or return) done: its change shown
	returnReceipt             // which sale a return is of
	returnLines               // codes given back
	refunding                 // how the money goes back
)

// Page is the Sell screen.
type Page struct {
	common.Common
	mode   mode
	input  textinput.Model
	cart   []client.SellLine
	names  map[string]string // code → the product's name, as the daemon found it
	seq    int               // the number of the latest quote asked
	quote  *client.Quote
	err    string
	busy   bool
	result *outcome
	// A return: the sale, and the codes given back.
	sale    *client.Sale
	returns []client.ReturnItem
}

// outcome is what the last sale or return came to, shown until the next one starts.
type outcome struct {
	title   string // "Sold FRONT-000001" or "Returned FRONT-000001-R1"
	lines   []string
	big     string // the amount shown large: the change, or the refund
	bigName string // "CHANGE" or "REFUND"
	saved   string // where the receipt was saved
	saveErr string
}

type productMsg struct {
	code, name string
	qty        int
	ret        bool // a line of a return
	err        error
}

func (m productMsg) CallErr() error { return m.err }

type quoteMsg struct {
	seq int
	q   client.Quote
	err error
}

func (m quoteMsg) CallErr() error { return m.err }

type soldMsg struct {
	sale    client.Sale
	ret     *client.Return
	saved   string
	saveErr error
	err     error
}

func (m soldMsg) CallErr() error { return m.err }

type saleMsg struct {
	sale client.Sale
	err  error
}

func (m saleMsg) CallErr() error { return m.err }

// New returns the Sell screen.
func New(c common.Common) *Page {
	in := textinput.New()
	in.Prompt = "> "
	in.CharLimit = 200
	// A steady cursor: a blinking one would keep a timer running for nothing.
	in.Cursor.SetMode(cursor.CursorStatic)
	in.Focus()
	p := &Page{Common: c, input: in, names: map[string]string{}}
	p.setPlaceholder()
	return p
}

// Init loads nothing: a sale starts with the first scan.
func (p *Page) Init() tea.Cmd { return nil }

// SetSize records the space.
func (p *Page) SetSize(w, h int) {
	p.Common.SetSize(w, h)
	p.input.Width = max(w-4, 10)
}

// Editing is always true: the input keeps the focus, so a scanner's digits and letters are
// never taken as commands. The function keys still switch screens.
func (p *Page) Editing() bool { return true }

func (p *Page) setPlaceholder() {
	switch p.mode {
	case paying:
		p.input.Placeholder = "cash received (empty: exact) · card · card=20, cash=50"
	case returnReceipt:
		p.input.Placeholder = "receipt number of the sale (FRONT-000123, #1001)"
	case returnLines:
		p.input.Placeholder = "scan what comes back (3*CODE for three) · empty Enter: refund"
	case refunding:
		p.input.Placeholder = "refund by (empty: cash) · card · card=10, cash"
	default:
		p.input.Placeholder = "scan or type a code (3*CODE for three) · empty Enter: pay"
	}
}

// ShortHelp lists the keys of the current step.
func (p *Page) ShortHelp() []key.Binding {
	b := func(k, h string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, h)) }
	switch p.mode {
	case paying, refunding:
		return []key.Binding{b("enter", "confirm"), b("esc", "back")}
	case returnReceipt, returnLines:
		return []key.Binding{b("enter", "add/next"), b("esc", "cancel return")}
	}
	return []key.Binding{b("enter", "add/pay"), b("ctrl+d", "remove last"), b("esc", "clear"), b("ctrl+t", "return")}
}

// parseCode reads "CODE" or "N*CODE".
func parseCode(s string) (string, int, bool) {
	s = strings.TrimSpace(s)
	qty := 1
	if n, code, ok := strings.Cut(s, "*"); ok {
		v, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || v <= 0 {
			return "", 0, false
		}
		qty, s = v, strings.TrimSpace(code)
	}
	return s, qty, s != ""
}

// parseTenders reads what staff typed at the payment: "" (the rest, in cash), "50.00"
// (cash handed over), "card" (the rest by card), or tenders separated by commas:
// "card=20, cash=50".
func parseTenders(s string) []client.Tender {
	s = strings.TrimSpace(s)
	if s == "" {
		return []client.Tender{{Type: "Cash"}}
	}
	var out []client.Tender
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		typ, amount, ok := strings.Cut(part, "=")
		if !ok {
			if _, err := strconv.ParseFloat(part, 64); err == nil {
				typ, amount = "Cash", part
			}
		}
		out = append(out, client.Tender{Type: strings.TrimSpace(typ), Amount: strings.TrimSpace(amount)})
	}
	return out
}

// Update handles messages.
func (p *Page) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case productMsg:
		// The line was added when its code was scanned, so lines keep the order they were
		// scanned in however the answers come; a code the daemon does not know is taken
		// out again.
		if msg.err != nil {
			p.err = common.Describe(msg.err)
			if msg.ret {
				p.returns = dropReturn(p.returns, msg.code, msg.qty)
				return p, nil
			}
			p.cart = dropLine(p.cart, msg.code, msg.qty)
			return p, p.requote()
		}
		p.names[msg.code] = msg.name
		if msg.ret {
			return p, nil
		}
		return p, p.requote()
	case quoteMsg:
		if msg.seq != p.seq {
			return p, nil
		}
		if msg.err != nil {
			p.err = common.Describe(msg.err)
			return p, nil
		}
		q := msg.q
		p.quote = &q
		return p, nil
	case saleMsg:
		p.busy = false
		if msg.err != nil {
			p.err = common.Describe(msg.err)
			return p, nil
		}
		s := msg.sale
		p.sale, p.err, p.mode = &s, "", returnLines
		p.setPlaceholder()
		return p, nil
	case soldMsg:
		p.busy = false
		if msg.err != nil {
			p.err = common.Describe(msg.err)
			return p, nil
		}
		p.finish(msg)
		return p, nil
	case tea.KeyMsg:
		return p, p.key(msg)
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return p, cmd
}

func (p *Page) key(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		if p.busy {
			return nil
		}
		typed := p.input.Value()
		p.input.SetValue("")
		return p.enter(typed)
	case tea.KeyEsc:
		p.input.SetValue("")
		p.err = ""
		switch p.mode {
		case paying:
			p.mode = scanning
		case returnReceipt, returnLines, refunding:
			p.mode, p.sale, p.returns = scanning, nil, nil
		default:
			p.reset()
		}
		p.setPlaceholder()
		return nil
	case tea.KeyCtrlD:
		if p.mode == scanning && len(p.cart) > 0 {
			p.cart = p.cart[:len(p.cart)-1]
			return p.requote()
		}
		if p.mode == returnLines && len(p.returns) > 0 {
			p.returns = p.returns[:len(p.returns)-1]
		}
		return nil
	case tea.KeyCtrlT:
		if p.mode == scanning || p.mode == sold {
			p.reset()
			p.mode = returnReceipt
			p.setPlaceholder()
		}
		return nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return cmd
}

// enter acts on what was typed when Enter was pressed.
func (p *Page) enter(typed string) tea.Cmd {
	typed = strings.TrimSpace(typed)
	switch p.mode {
	case sold:
		p.reset()
		if typed == "" {
			return nil
		}
		return p.enter(typed)
	case scanning:
		if typed == "" {
			if len(p.cart) == 0 {
				p.err = "scan a product first"
				return nil
			}
			p.mode, p.err = paying, ""
			p.setPlaceholder()
			return nil
		}
		return p.lookup(typed)
	case paying:
		p.busy, p.err = true, ""
		req := client.SellRequest{Lines: append([]client.SellLine{}, p.cart...), Payments: parseTenders(typed)}
		reg, dir := p.Env.Register, p.ReportDir
		return common.Call(p.Common, func(ctx context.Context, api common.API) (soldMsg, error) {
			s, err := api.Sell(ctx, reg, req)
			if err != nil {
				return soldMsg{}, err
			}
			out := soldMsg{sale: s}
			receipt, err := api.ReceiptText(ctx, s.ReceiptNumber)
			if err == nil {
				out.saved, err = common.SaveReport(dir, receipt, "receipt", s.ReceiptNumber)
			}
			out.saveErr = err
			return out, nil
		}, func(m soldMsg, err error) tea.Msg { m.err = err; return m })
	case returnReceipt:
		if typed == "" {
			return nil
		}
		p.busy, p.err = true, ""
		return common.Call(p.Common, func(ctx context.Context, api common.API) (saleMsg, error) {
			s, err := api.Sale(ctx, typed, "")
			return saleMsg{sale: s}, err
		}, func(m saleMsg, err error) tea.Msg { m.err = err; return m })
	case returnLines:
		if typed == "" {
			if len(p.returns) == 0 {
				p.err = "scan what comes back first"
				return nil
			}
			p.mode, p.err = refunding, ""
			p.setPlaceholder()
			return nil
		}
		return p.lookup(typed)
	case refunding:
		p.busy, p.err = true, ""
		req := client.ReturnRequest{Register: p.Env.Register, Lines: append([]client.ReturnItem{}, p.returns...), Refunds: parseTenders(typed)}
		receipt, dir := p.sale.ReceiptNumber, p.ReportDir
		return common.Call(p.Common, func(ctx context.Context, api common.API) (soldMsg, error) {
			r, err := api.ReturnSale(ctx, receipt, req)
			if err != nil {
				return soldMsg{}, err
			}
			out := soldMsg{ret: &r}
			text, err := api.ReceiptText(ctx, r.ReceiptNumber)
			if err == nil {
				out.saved, err = common.SaveReport(dir, text, "receipt", r.ReceiptNumber)
			}
			out.saveErr = err
			return out, nil
		}, func(m soldMsg, err error) tea.Msg { m.err = err; return m })
	}
	return nil
}

// lookup asks the daemon for the product of a code; its answer adds the line.
func (p *Page) lookup(typed string) tea.Cmd {
	code, qty, ok := parseCode(typed)
	if !ok {
		p.err = fmt.Sprintf("%q is not a code: scan it, or type CODE or N*CODE", text.Clean(typed, 40))
		return nil
	}
	ret := p.mode == returnLines
	if ret {
		p.returns = addReturn(p.returns, code, qty)
	} else {
		p.cart = addLine(p.cart, code, qty)
	}
	reg := p.Env.Register
	return common.Call(p.Common, func(ctx context.Context, api common.API) (productMsg, error) {
		q, err := api.Quote(ctx, reg, client.SellRequest{Lines: []client.SellLine{{Code: code, Quantity: qty}}})
		if err != nil {
			return productMsg{}, err
		}
		return productMsg{name: q.Lines[0].Name}, nil
	}, func(m productMsg, err error) tea.Msg { m.code, m.qty, m.ret, m.err = code, qty, ret, err; return m })
}

// requote asks the daemon to price the cart; only the answer to the latest ask is shown.
func (p *Page) requote() tea.Cmd {
	p.seq++
	if len(p.cart) == 0 {
		p.quote = nil
		return nil
	}
	seq, reg := p.seq, p.Env.Register
	req := client.SellRequest{Lines: append([]client.SellLine{}, p.cart...)}
	return common.Call(p.Common, func(ctx context.Context, api common.API) (quoteMsg, error) {
		q, err := api.Quote(ctx, reg, req)
		return quoteMsg{q: q}, err
	}, func(m quoteMsg, err error) tea.Msg { m.seq, m.err = seq, err; return m })
}

func addLine(cart []client.SellLine, code string, qty int) []client.SellLine {
	for i := range cart {
		if strings.EqualFold(cart[i].Code, code) {
			cart[i].Quantity += qty
			return cart
		}
	}
	return append(cart, client.SellLine{Code: code, Quantity: qty})
}

// dropLine takes qty of code out of the cart again.
func dropLine(cart []client.SellLine, code string, qty int) []client.SellLine {
	for i := range cart {
		if strings.EqualFold(cart[i].Code, code) {
			if cart[i].Quantity -= qty; cart[i].Quantity <= 0 {
				return append(cart[:i], cart[i+1:]...)
			}
			return cart
		}
	}
	return cart
}

// dropReturn takes qty of code out of the return again.
func dropReturn(items []client.ReturnItem, code string, qty int) []client.ReturnItem {
	for i := range items {
		if strings.EqualFold(items[i].Code, code) {
			if items[i].Quantity -= qty; items[i].Quantity <= 0 {
				return append(items[:i], items[i+1:]...)
			}
			return items
		}
	}
	return items
}

func addReturn(items []client.ReturnItem, code string, qty int) []client.ReturnItem {
	for i := range items {
		if strings.EqualFold(items[i].Code, code) {
			items[i].Quantity += qty
			return items
		}
	}
	return append(items, client.ReturnItem{Code: code, Quantity: qty, Restock: true})
}

// reset starts a new sale.
func (p *Page) reset() {
	p.mode, p.cart, p.quote, p.result, p.err, p.sale, p.returns = scanning, nil, nil, nil, "", nil, nil
	p.seq++
	p.setPlaceholder()
}

// finish shows what the sale or return came to and starts the next one.
func (p *Page) finish(m soldMsg) {
	o := &outcome{saved: m.saved}
	if m.saveErr != nil {
		o.saveErr = "the receipt was not saved: " + common.Describe(m.saveErr)
	}
	if r := m.ret; r != nil {
		o.title = "Returned " + r.ReceiptNumber + " for " + r.SaleReceipt
		for _, l := range r.Lines {
			o.lines = append(o.lines, fmt.Sprintf("%s × %d back%s", l.Name, -l.Quantity, map[bool]string{true: ", to stock"}[l.Restock]))
		}
		for _, f := range r.Refunds {
			o.lines = append(o.lines, "refund "+f.Type+" "+strings.TrimPrefix(f.Amount, "-"))
		}
		o.bigName, o.big = "REFUND", strings.TrimPrefix(r.Total, "-")
	} else {
		s := m.sale
		o.title = "Sold " + s.ReceiptNumber + " · total " + s.Total
		if s.Payments != nil {
			var paid []string
			for _, pay := range *s.Payments {
				paid = append(paid, pay.Type+" "+pay.Amount)
			}
			o.lines = append(o.lines, "paid "+strings.Join(paid, ", "))
		}
		if s.Balance != "0.00" {
			o.lines = append(o.lines, "still owing "+s.Balance)
		}
		o.bigName, o.big = "CHANGE", s.Change
	}
	p.mode, p.cart, p.quote, p.sale, p.returns, p.err = sold, nil, nil, nil, nil, ""
	p.result = o
	p.setPlaceholder()
}

// View draws the screen.
func (p *Page) View() string {
	st := p.Styles
	var b strings.Builder
	title := map[mode]string{scanning: "SELL", paying: "SELL · PAYMENT", sold: "SELL", returnReceipt: "RETURN",
		returnLines: "RETURN", refunding: "RETURN · REFUND"}[p.mode]
	b.WriteString(st.Heading.Render(title) + st.Muted.Render(" · "+p.Env.Register) + "\n")
	b.WriteString(p.input.View() + "\n")
	if p.err != "" {
		b.WriteString(st.Error.Render(text.Clip(p.err, max(p.Width, 20))) + "\n")
	} else {
		b.WriteString("\n")
	}
	switch p.mode {
	case sold:
		o := p.result
		b.WriteString(st.Good.Render(o.title) + "\n")
		for _, l := range o.lines {
			b.WriteString(l + "\n")
		}
		b.WriteString(st.Heading.Render(o.bigName+" "+o.big) + "\n")
		b.WriteString(Big(o.big) + "\n")
		if o.saveErr != "" {
			b.WriteString(st.Error.Render(o.saveErr) + "\n")
		} else if o.saved != "" {
			b.WriteString(st.Muted.Render("receipt saved: "+o.saved) + "\n")
		}
		b.WriteString(st.Muted.Render("scan the next sale's first code, or ctrl+t for a return"))
	case returnReceipt:
		b.WriteString(st.Muted.Render("Which sale comes back? Type or scan its receipt number."))
	case returnLines, refunding:
		s := p.sale
		b.WriteString(fmt.Sprintf("Return of %s (%s, total %s)\n", s.ReceiptNumber, common.ShortTime(s.SoldAt), s.Total))
		for _, l := range s.Lines {
			b.WriteString(st.Muted.Render(fmt.Sprintf("  sold %s %s × %d", common.Pad(l.SKU, 13), common.Pad(l.Name, 30), l.Quantity)) + "\n")
		}
		for _, r := range p.returns {
			name := p.names[r.Code]
			b.WriteString(fmt.Sprintf("  back %s %s × %d\n", common.Pad(r.Code, 13), common.Pad(name, 30), r.Quantity))
		}
	default:
		p.cartView(&b)
	}
	return b.String()
}

// cartView lists the sale's lines (the last ones when they do not all fit) and the total.
func (p *Page) cartView(b *strings.Builder) {
	st := p.Styles
	if len(p.cart) == 0 {
		b.WriteString(st.Muted.Render("No lines yet."))
		return
	}
	lines := []string{}
	if p.quote != nil && len(p.quote.Lines) == len(p.cart) {
		for _, l := range p.quote.Lines {
			row := fmt.Sprintf("%s %3d × %s %s", common.Pad(l.Name, 36), l.Quantity, common.Money(l.UnitPrice, 8), common.Money(l.Total, 10))
			if l.Discount != "0.00" {
				row += st.Muted.Render(" −" + l.Discount)
			}
			lines = append(lines, row)
		}
	} else {
		for _, l := range p.cart {
			lines = append(lines, fmt.Sprintf("%s %3d", common.Pad(firstNonEmpty(p.names[l.Code], l.Code), 36), l.Quantity))
		}
	}
	room := max(p.Height-10, 1)
	if len(lines) > room {
		b.WriteString(st.Muted.Render(fmt.Sprintf("… %d lines above", len(lines)-room)) + "\n")
		lines = lines[len(lines)-room:]
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if p.quote == nil {
		b.WriteString(st.Muted.Render("pricing…"))
		return
	}
	b.WriteString(st.Heading.Render("TOTAL "+p.quote.Total) + st.Muted.Render("  incl. tax "+p.quote.Tax+"  · "+strconv.Itoa(len(p.cart))+" lines") + "\n")
	b.WriteString(Big(p.quote.Total))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
