// Package registerpage is the terminal's Register screen: the register's status with what
// it expects so far per payment type, opening it with a float, and closing it with the
// counted amounts, the closing report shown and saved for printing.
//
// Every status request carries a number: an answer older than the one shown, or asked
// before this terminal opened or closed the register, is dropped, so a late answer never
// shows a closed register as open (or the other way round).
package registerpage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/terminal/common"
	"github.com/kassa-pos/kassa/terminal/components/form"
)

type mode int

const (
	viewing mode = iota
	opening
	counting
	confirming
	reporting
)

// Page is the Register screen.
type Page struct {
	common.Common
	mode    mode
	seq     int // the number of the latest status request
	haveSeq int // the number of the request the status shown answers
	loaded  bool
	reg     client.Register
	xrep    *client.ClosingReport
	types   []client.PaymentType
	rows    []countRow // what the close form asks to count
	err     string
	info    string
	form    *form.Form
	counts  []client.CountInput
	by      string
	busy    bool
	report  viewport.Model
	saved   string
	saveErr string
}

// countRow is one payment type the close form asks staff to count, with what the daemon
// expects of it.
type countRow struct {
	Type, Expected string
}

type statusMsg struct {
	seq   int
	reg   client.Register
	xrep  *client.ClosingReport
	types []client.PaymentType
	err   error
}

func (m statusMsg) CallErr() error { return m.err }

type openedMsg struct {
	reg client.Register
	err error
}

func (m openedMsg) CallErr() error { return m.err }

type closedMsg struct {
	rep     client.ClosingReport
	text    string
	path    string
	saveErr error
	err     error
}

func (m closedMsg) CallErr() error { return m.err }

// New returns the Register screen.
func New(c common.Common) *Page {
	return &Page{Common: c, report: viewport.New(0, 0)}
}

// Init loads nothing: the screen loads once the root model says the terminal is ready.
func (p *Page) Init() tea.Cmd { return nil }

// SetSize records the space and sizes the report view.
func (p *Page) SetSize(w, h int) {
	p.Common.SetSize(w, h)
	p.report.Width, p.report.Height = w, max(h-4, 1)
}

// Editing reports whether a form has the focus.
func (p *Page) Editing() bool { return p.mode == opening || p.mode == counting }

func (p *Page) load() tea.Cmd {
	p.seq++
	ref, seq := p.Env.Register, p.seq
	return common.Call(p.Common, func(ctx context.Context, api common.API) (statusMsg, error) {
		reg, err := api.Register(ctx, ref)
		if err != nil {
			return statusMsg{}, err
		}
		out := statusMsg{reg: reg}
		if reg.Session != nil {
			rep, err := api.ClosingReport(ctx, reg.Session.ID)
			if err != nil {
				return statusMsg{}, err
			}
			out.xrep = &rep
			// The daemon's payment types add the counted ones the session took nothing of
			// to the close form. Without them the form still asks for what the X-report
			// lists, so their failing to load is not the screen's error.
			out.types, _ = api.PaymentTypes(ctx)
		}
		return out, nil
	}, func(m statusMsg, err error) tea.Msg { m.seq, m.err = seq, err; return m })
}

// changed records that this terminal changed the register: answers asked before are
// dropped, and the status is asked again.
func (p *Page) changed() tea.Cmd {
	p.haveSeq = p.seq
	return p.load()
}

// Update handles messages.
func (p *Page) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ReadyMsg, common.RefreshMsg:
		if p.mode == viewing {
			return p, p.load()
		}
	case common.HomeMsg:
		if p.mode == reporting {
			p.mode = viewing
			return p, p.load()
		}
	case statusMsg:
		if msg.seq <= p.haveSeq {
			return p, nil
		}
		if msg.err != nil {
			if msg.seq == p.seq {
				p.err = common.LoadError(msg.err)
			}
			return p, nil
		}
		p.haveSeq = msg.seq
		p.err, p.loaded, p.reg, p.xrep = "", true, msg.reg, msg.xrep
		if msg.types != nil {
			p.types = msg.types
		}
	case openedMsg:
		p.busy = false
		if msg.err != nil {
			if p.form != nil {
				p.form.Err = common.Describe(msg.err)
			}
			return p, nil
		}
		p.mode, p.form = viewing, nil
		p.info = "Register opened with a float of " + msg.reg.Session.OpeningFloat + "."
		// The daemon's answer is the register as it is now; its X-report follows.
		p.reg, p.xrep = msg.reg, nil
		return p, p.changed()
	case closedMsg:
		p.busy = false
		if msg.err != nil {
			p.mode = counting
			p.form.Err = common.Describe(msg.err)
			return p, nil
		}
		p.mode, p.form = reporting, nil
		p.saved, p.saveErr = msg.path, ""
		if msg.saveErr != nil {
			p.saveErr = msg.saveErr.Error()
		}
		p.report.SetContent(msg.text)
		p.report.GotoTop()
		p.info = ""
		p.reg.Open, p.reg.Session, p.xrep = false, nil, nil
		closedAt := ""
		if msg.rep.ClosedAt != nil {
			closedAt = *msg.rep.ClosedAt
		}
		closed := common.ClosedMsg{SessionID: msg.rep.SessionID, Register: p.Env.Register, ClosedAt: closedAt, Path: msg.path}
		return p, tea.Batch(p.changed(), func() tea.Msg { return closed })
	case tea.KeyMsg:
		return p, p.key(msg)
	}
	return p, nil
}

func (p *Page) key(msg tea.KeyMsg) tea.Cmd {
	k := p.Keys
	switch p.mode {
	case viewing:
		switch {
		case key.Matches(msg, k.Open) && p.loaded && !p.reg.Open:
			p.startOpen()
		case key.Matches(msg, k.Close) && p.loaded && p.reg.Open && p.xrep != nil:
			p.startClose()
		case key.Matches(msg, k.Refresh):
			return p.load()
		}
	case opening:
		if p.busy {
			return nil
		}
		act, cmd := p.form.Update(msg)
		switch act {
		case form.Cancel:
			p.mode, p.form = viewing, nil
		case form.Submit:
			return p.submitOpen()
		}
		return cmd
	case counting:
		if p.busy {
			return nil
		}
		act, cmd := p.form.Update(msg)
		switch act {
		case form.Cancel:
			p.mode, p.form = viewing, nil
		case form.Submit:
			p.reviewCounts()
		}
		return cmd
	case confirming:
		if p.busy {
			return nil
		}
		switch {
		case key.Matches(msg, k.Confirm):
			return p.submitClose()
		case key.Matches(msg, k.Deny):
			p.mode = counting
		}
	case reporting:
		if key.Matches(msg, k.Back) {
			p.mode = viewing
			return p.load()
		}
		var cmd tea.Cmd
		p.report, cmd = p.report.Update(msg)
		return cmd
	}
	return nil
}

func (p *Page) startOpen() {
	p.mode, p.info = opening, ""
	p.form = form.New(p.Common, "Open register "+p.Env.Register, "Opening float", "", "Opened by", p.Env.User)
	p.form.Note = "The cash in the drawer now, e.g. 150.00."
}

func (p *Page) submitOpen() tea.Cmd {
	float, by := p.form.Value(0), p.form.Value(1)
	if float == "" {
		p.form.Err = "enter the opening float, e.g. 150.00 (0.00 for none)"
		return nil
	}
	p.busy, p.form.Err = true, ""
	ref := p.Env.Register
	return common.Call(p.Common, func(ctx context.Context, api common.API) (client.Register, error) {
		return api.OpenRegister(ctx, ref, client.OpenRequest{OpeningFloat: float, By: by})
	}, func(r client.Register, err error) tea.Msg { return openedMsg{reg: r, err: err} })
}

// countRows lists what the close form asks to count: every payment type the session
// holds money of, as the X-report has them, then every type the daemon counts at close
// (money in the drawer) that the session took nothing of, expected at zero.
func (p *Page) countRows() []countRow {
	var rows []countRow
	listed := map[string]bool{}
	for _, t := range p.xrep.Payments {
		rows = append(rows, countRow{Type: t.Type, Expected: t.Expected})
		listed[strings.ToLower(t.Type)] = true
	}
	for _, t := range p.types {
		if t.Counted && !listed[strings.ToLower(t.Name)] {
			rows = append(rows, countRow{Type: t.Name, Expected: "0.00"})
		}
	}
	return rows
}

// startClose asks for a count of every payment type of countRows.
func (p *Page) startClose() {
	p.mode, p.info = counting, ""
	p.rows = p.countRows()
	p.form = form.New(p.Common, "Close register "+p.Env.Register)
	p.form.Note = "Count each payment type; leave one empty to report it uncounted."
	for i, r := range p.rows {
		expected := r.Expected
		idx := i
		p.form.Add(r.Type, "", func(f *form.Form) string {
			return "expected " + common.Money(expected, 9) + difference(f.Value(idx), expected)
		})
	}
	p.form.Add("Closed by", p.Env.User, nil)
}

// difference shows counted minus expected while staff type, so a shortfall is seen
// before the close is confirmed; the daemon computes the figure that is stored.
func difference(counted, expected string) string {
	if counted == "" {
		return ""
	}
	c, err1 := decimal.NewFromString(counted)
	e, err2 := decimal.NewFromString(expected)
	if err1 != nil || err2 != nil {
		return "   not an amount"
	}
	return "   difference " + common.Money(c.Sub(e).StringFixed(2), 8)
}

func (p *Page) reviewCounts() {
	p.counts = p.counts[:0]
	n := len(p.form.Fields) - 1
	for i := 0; i < n; i++ {
		if v := p.form.Value(i); v != "" {
			if _, err := decimal.NewFromString(v); err != nil {
				p.form.Err = fmt.Sprintf("%s: %q is not an amount, e.g. 312.40", p.form.Fields[i].Label, v)
				return
			}
			p.counts = append(p.counts, client.CountInput{Type: p.form.Fields[i].Label, Counted: v})
		}
	}
	p.by = p.form.Value(n)
	p.form.Err = ""
	p.mode = confirming
}

func (p *Page) submitClose() tea.Cmd {
	p.busy = true
	ref, counts, by, dir := p.Env.Register, append([]client.CountInput(nil), p.counts...), p.by, p.ReportDir
	return common.Call(p.Common, func(ctx context.Context, api common.API) (closedMsg, error) {
		rep, err := api.CloseRegister(ctx, ref, client.CloseRequest{Counts: counts, By: by})
		if err != nil {
			return closedMsg{}, err
		}
		out := closedMsg{rep: rep}
		out.text, err = api.ClosingReportText(ctx, rep.SessionID)
		if err != nil {
			// The register is closed, but the daemon, which alone prints reports, did
			// not send the printout: say so and where to print it from, rather than fail
			// the close.
			out.text = closedWithoutPrintout(rep, err)
			out.saveErr = errors.New("no printout came from the daemon")
			return out, nil
		}
		out.path, out.saveErr = common.SaveReport(dir, out.text, "closing", rep.Outlet, rep.Register, fmt.Sprint(rep.SessionID))
		return out, nil
	}, func(m closedMsg, err error) tea.Msg { m.err = err; return m })
}

// closedWithoutPrintout says which session was closed and why its printout is missing,
// for the screen that would have shown the printout.
func closedWithoutPrintout(rep client.ClosingReport, err error) string {
	s := fmt.Sprintf("Session %d of register %s is closed", rep.SessionID, rep.Register)
	if rep.ZNumber != nil {
		s += fmt.Sprintf(" (Z %d)", *rep.ZNumber)
	}
	return s + ".\nIts printout did not come: " + common.Describe(err) + ".\nPrint it from the Reports screen (F4).\n"
}

// View draws the screen.
func (p *Page) View() string {
	switch p.mode {
	case opening, counting:
		return p.form.View()
	case confirming:
		return p.confirmView()
	case reporting:
		st := p.Styles
		head := st.Heading.Render("Closing report") + "\n"
		if p.saveErr != "" {
			head += st.Error.Render("Not saved: " + p.saveErr)
		} else {
			head += st.Good.Render("Saved for printing: " + p.saved)
		}
		return head + "\n\n" + p.report.View()
	}
	return p.statusView()
}

func (p *Page) statusView() string {
	st := p.Styles
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	if !p.loaded {
		if p.err != "" {
			line(st.Error.Render(p.err))
		} else {
			line(st.Muted.Render("Loading the register…"))
		}
		return b.String()
	}
	r := p.reg
	if !r.Open {
		line(st.Heading.Render("Register "+r.Outlet+"/"+r.Name) + "   " + st.Warn.Render("CLOSED"))
		line("")
		line("The register has no open session.")
		line("Press o to open it with the float in the drawer.")
	} else {
		s := r.Session
		line(st.Heading.Render("Register "+r.Outlet+"/"+r.Name) + "   " + st.Good.Render("OPEN"))
		line("")
		line(st.Label.Render("Open since    ") + common.ShortTime(s.OpenedAt) + " by " + s.OpenedBy)
		line(st.Label.Render("Opening float ") + s.OpeningFloat)
		line(st.Label.Render("Session       ") + fmt.Sprint(s.ID))
		if x := p.xrep; x != nil {
			line("")
			line(st.Heading.Render(common.Pad("Payment type", 20) + common.Money("Expected so far", 16)))
			for _, t := range x.Payments {
				line(common.Pad(t.Type, 20) + common.Money(t.Expected, 16))
			}
			line("")
			line(st.Label.Render("Sales ") + fmt.Sprintf("%d (%s)", x.SalesCount, x.SalesTotal) +
				st.Label.Render("   Shopify orders ") + fmt.Sprintf("%d (shipping %s)", x.ShopifyOrders, x.ShippingFees))
			line(st.Label.Render("Payments applied to earlier sales ") + fmt.Sprint(len(x.AppliedPayments)))
			line(st.Label.Render("Awaiting payment ") + fmt.Sprintf("%d sales, %s", x.AwaitingPaymentCount, x.AwaitingPaymentTotal))
		}
	}
	if p.info != "" {
		line("")
		line(st.Good.Render(p.info))
	}
	if p.err != "" {
		line("")
		line(st.Error.Render(p.err))
	}
	return b.String()
}

func (p *Page) confirmView() string {
	st := p.Styles
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	line(st.Heading.Render("Close register " + p.Env.Register + "?"))
	line("")
	// "not counted" is as wide as the Counted heading: the column leaves room before it.
	line(st.Heading.Render(common.Pad("Payment type", 18) + common.Money("Expected", 11) + common.Money("Counted", 13) + common.Money("Difference", 12)))
	counted := map[string]string{}
	for _, c := range p.counts {
		counted[c.Type] = c.Counted
	}
	for _, t := range p.rows {
		c, ok := counted[t.Type]
		diff := "-"
		if ok {
			cd, _ := decimal.NewFromString(c)
			ed, _ := decimal.NewFromString(t.Expected)
			diff = cd.Sub(ed).StringFixed(2)
			c = cd.StringFixed(2)
		} else {
			c = "not counted"
		}
		line(common.Pad(t.Type, 18) + common.Money(t.Expected, 11) + common.Money(c, 13) + common.Money(diff, 12))
	}
	line("")
	line("Closed by " + p.by)
	line("")
	if p.busy {
		line(st.Muted.Render("Closing…"))
	} else {
		line(st.Button.Render("Close the register with these counts? ") + st.Key.Render("y") + "/" + st.Key.Render("n"))
	}
	return b.String()
}

// ShortHelp lists the keys that work now.
func (p *Page) ShortHelp() []key.Binding {
	k := p.Keys
	switch p.mode {
	case opening, counting:
		return p.form.ShortHelp()
	case confirming:
		return []key.Binding{k.Confirm, k.Deny}
	case reporting:
		return []key.Binding{k.Up, k.Down, k.PageDown, k.Back}
	}
	var out []key.Binding
	if p.loaded && !p.reg.Open {
		out = append(out, k.Open)
	}
	if p.loaded && p.reg.Open {
		out = append(out, k.Close)
	}
	return append(out, k.Refresh)
}
