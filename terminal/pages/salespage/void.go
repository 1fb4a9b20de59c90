package salespage

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/terminal/common"
	"github.com/kassa-pos/kassa/terminal/components/form"
)

// Voiding a payment of the sale on screen: v asks which payment (←/→ goes through the
// sale's payments not voided yet, the newest taken at the register first) and why, the
// screen then names the payment and its sale and asks to confirm, and y voids it. The
// daemon decides: a payment is voided only while the session that took it is open, once,
// and never one Shopify collected (it says so). The request names the sale shown, so the
// daemon refuses a payment of any other sale.

type voidedMsg struct {
	void client.Void
	sale client.Sale
	err  error
}

func (m voidedMsg) CallErr() error { return m.err }

// voidState is the void being asked for: its form and the payments it offers, and once
// submitted the payment and the sale it names, waiting for a yes.
type voidState struct {
	form    *form.Form
	offered []client.SalePayment
	idx     int
	payment client.SalePayment
	receipt string
	reason  string
}

// voidable lists the sale's payments not voided yet, those taken at a register last, so
// that the newest of them is the last.
func voidable(s client.Sale) []client.SalePayment {
	if s.Payments == nil {
		return nil
	}
	var shopify, pos []client.SalePayment
	for _, p := range *s.Payments {
		switch {
		case p.Void != nil:
		case p.Source == "shopify":
			shopify = append(shopify, p)
		default:
			pos = append(pos, p)
		}
	}
	return append(shopify, pos...)
}

func (p *Page) startVoid() {
	offered := voidable(p.sale)
	if len(offered) == 0 {
		return
	}
	p.mode, p.info = voiding, ""
	v := &voidState{offered: offered, idx: len(offered) - 1, receipt: p.sale.ReceiptNumber}
	f := form.New(p.Common, "Void a payment of "+p.sale.ReceiptNumber)
	f.Note = "The sale owes the amount again. Only while the session that took it is open."
	f.Add("Payment number", strconv.FormatInt(offered[v.idx].ID, 10), func(f *form.Form) string {
		if pay, ok := p.paymentOnScreen(f.Value(0)); ok {
			return "←/→ " + pay.Amount + " " + pay.Type + " · " + common.ShortTime(pay.PaidAt)
		}
		return "←/→"
	})
	f.Add("Reason", "", nil)
	v.form = f
	p.void = v
}

// paymentOnScreen finds a payment of the sale shown by its number.
func (p *Page) paymentOnScreen(number string) (client.SalePayment, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(number, "#"), 10, 64)
	if err != nil || p.sale.Payments == nil {
		return client.SalePayment{}, false
	}
	for _, pay := range *p.sale.Payments {
		if pay.ID == id {
			return pay, true
		}
	}
	return client.SalePayment{}, false
}

func (p *Page) voidKey(msg tea.KeyMsg) tea.Cmd {
	v := p.void
	if p.busy || v == nil {
		return nil
	}
	if p.mode == confirmingVoid {
		switch {
		case key.Matches(msg, p.Keys.Confirm):
			return p.submitVoid()
		case key.Matches(msg, p.Keys.Deny):
			p.mode = voiding
		}
		return nil
	}
	if v.form.Focused() == 0 && (msg.Type == tea.KeyLeft || msg.Type == tea.KeyRight) {
		step := 1
		if msg.Type == tea.KeyLeft {
			step = -1
		}
		v.idx = (v.idx + step + len(v.offered)) % len(v.offered)
		v.form.SetValue(0, strconv.FormatInt(v.offered[v.idx].ID, 10))
		return nil
	}
	act, cmd := v.form.Update(msg)
	switch act {
	case form.Cancel:
		p.mode, p.void = detail, nil
	case form.Submit:
		pay, ok := p.paymentOnScreen(v.form.Value(0))
		if !ok {
			v.form.Err = fmt.Sprintf("%s has no payment %q: give a number from its list of payments", v.receipt, v.form.Value(0))
			return nil
		}
		v.payment, v.reason, v.form.Err = pay, v.form.Value(1), ""
		p.mode = confirmingVoid
	}
	return cmd
}

func (p *Page) submitVoid() tea.Cmd {
	v := p.void
	p.busy = true
	id, outlet := v.payment.ID, p.Env.Outlet
	req := client.VoidRequest{Reason: v.reason, Receipt: v.receipt, By: p.Env.User}
	return common.Call(p.Common, func(ctx context.Context, api common.API) (voidedMsg, error) {
		vd, err := api.VoidPayment(ctx, id, req)
		if err != nil {
			return voidedMsg{}, err
		}
		s, err := api.Sale(ctx, req.Receipt, outlet)
		return voidedMsg{void: vd, sale: s}, err
	}, func(m voidedMsg, err error) tea.Msg { m.err = err; return m })
}

// voided shows the outcome of a void: the daemon's refusal under the form, or the sale
// again with the payment marked voided.
func (p *Page) voided(msg voidedMsg) tea.Cmd {
	p.busy = false
	if msg.err != nil {
		if p.void != nil {
			p.mode = voiding
			p.void.form.Err = common.Describe(msg.err)
		}
		return nil
	}
	p.mode, p.void = detail, nil
	p.sale = msg.sale
	vd := msg.void
	p.info = fmt.Sprintf("Voided payment %d (%s %s); balance now %s (%s).", vd.PaymentID, vd.Amount, vd.Type,
		vd.Balance, statusWords(vd.Status))
	return p.loadList()
}

func (p *Page) voidView() string {
	v := p.void
	if p.mode == voiding {
		return p.detailHead() + "\n" + v.form.View()
	}
	st := p.Styles
	pay := v.payment
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	b.WriteString(p.detailHead())
	line("")
	line(st.Heading.Render(fmt.Sprintf("Void payment %d of sale %s?", pay.ID, v.receipt)))
	line("")
	line(fmt.Sprintf("  %s %s taken %s on %s by %s", pay.Amount, pay.Type, common.ShortTime(pay.PaidAt), pay.Register, pay.RecordedBy))
	line("  Reason: " + v.reason)
	line("")
	line("The payment stays on record with its void; " + v.receipt + " owes " + pay.Amount + " more.")
	line("")
	if p.busy {
		line(st.Muted.Render("Voiding…"))
	} else {
		line(st.Button.Render(fmt.Sprintf("Void payment %d of %s? ", pay.ID, v.receipt)) + st.Key.Render("y") + "/" + st.Key.Render("n"))
	}
	return b.String()
}

// paymentLines draws the sale's payments, a voided one marked with its void.
func (p *Page) paymentLines(line func(string)) {
	st := p.Styles
	s := p.sale
	if s.Payments == nil || len(*s.Payments) == 0 {
		line(st.Muted.Render("  none yet"))
		return
	}
	for _, pay := range *s.Payments {
		row := "  " + common.Pad(pay.Type, 16) + common.Money(pay.Amount, 9) + "  " + common.ShortTime(pay.PaidAt) + "  " + pay.Register
		if vd := pay.Void; vd != nil {
			line(st.Muted.Render(common.Pad(row, 56) + "  VOIDED"))
			line(st.Muted.Render(common.Pad("    voided "+common.ShortTime(vd.VoidedAt)+" by "+vd.RecordedBy+": "+vd.Reason, 78)))
			continue
		}
		line(row)
	}
}
