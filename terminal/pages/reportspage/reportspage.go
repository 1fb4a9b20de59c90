// Package reportspage is the terminal's Reports screen: this register's closing reports
// (the open session's running X-report, the register's recent sessions as the daemon
// lists them, any session by number) and an outlet's nightly report for a chosen day,
// which needs a manager token.
//
// Requests carry numbers: a list of sessions older than the one shown is dropped, and a
// report is shown only when it answers the latest report asked for. The cursor stays on
// the session it was on when the list is reloaded.
package reportspage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/terminal/common"
	"github.com/kassa-pos/kassa/terminal/components/form"
)

type mode int

const (
	menu mode = iota
	askSession
	askDay
	showing
)

// Page is the Reports screen.
type Page struct {
	common.Common
	mode    mode
	closed  []common.ClosedMsg // the register's closed sessions, or those closed here until the daemon lists them
	listed  bool               // closed holds the register's sessions from the daemon
	cursor  int
	form    *form.Form
	title   string
	view    viewport.Model
	err     string
	missing string // the day whose nightly report does not exist yet
	busy    bool

	listSeq, haveListSeq int // the latest list request, and the one the list answers
	repSeq               int // the latest report request
}

type sessionsMsg struct {
	seq      int
	sessions []client.Session
	err      error
}

func (m sessionsMsg) CallErr() error { return m.err }

type reportMsg struct {
	seq     int
	title   string
	text    string
	missing string
	err     error
}

func (m reportMsg) CallErr() error { return m.err }

// New returns the Reports screen.
func New(c common.Common) *Page { return &Page{Common: c, view: viewport.New(0, 0)} }

// Init loads nothing.
func (p *Page) Init() tea.Cmd { return nil }

// SetSize records the space and sizes the report view.
func (p *Page) SetSize(w, h int) {
	p.Common.SetSize(w, h)
	p.view.Width, p.view.Height = w, max(h-2, 1)
}

// Editing reports whether a field has the focus.
func (p *Page) Editing() bool { return p.mode == askSession || p.mode == askDay }

// ask starts a report request and returns its number.
func (p *Page) ask() int {
	p.repSeq++
	p.busy, p.err = true, ""
	return p.repSeq
}

func (p *Page) closing(sessionID int64, title string) tea.Cmd {
	seq := p.ask()
	return common.Call(p.Common, func(ctx context.Context, api common.API) (string, error) {
		return api.ClosingReportText(ctx, sessionID)
	}, func(text string, err error) tea.Msg { return reportMsg{seq: seq, title: title, text: text, err: err} })
}

func (p *Page) current() tea.Cmd {
	seq := p.ask()
	ref := p.Env.Register
	return common.Call(p.Common, func(ctx context.Context, api common.API) (reportMsg, error) {
		reg, err := api.Register(ctx, ref)
		if err != nil {
			return reportMsg{}, err
		}
		if reg.Session == nil {
			return reportMsg{}, fmt.Errorf("register %s has no open session", ref)
		}
		text, err := api.ClosingReportText(ctx, reg.Session.ID)
		return reportMsg{title: fmt.Sprintf("X-report of the open session %d", reg.Session.ID), text: text}, err
	}, func(m reportMsg, err error) tea.Msg { m.seq, m.err = seq, err; return m })
}

func (p *Page) nightly(day string, generate bool) tea.Cmd {
	seq := p.ask()
	p.missing = ""
	outlet := p.Env.Outlet
	return common.Call(p.Common, func(ctx context.Context, api common.API) (reportMsg, error) {
		var text string
		var err error
		if generate {
			text, err = api.GenerateNightlyText(ctx, client.NightlyRequest{Outlet: outlet, Date: day})
		} else {
			text, err = api.NightlyReportText(ctx, outlet, day)
		}
		if client.StatusOf(err) == 404 {
			return reportMsg{missing: day}, nil
		}
		if err != nil {
			return reportMsg{}, err
		}
		return reportMsg{title: "Nightly report of " + outlet + " for " + day, text: text}, nil
	}, func(m reportMsg, err error) tea.Msg { m.seq, m.err = seq, err; return m })
}

// listLimit is how many of the register's latest sessions the screen lists.
const listLimit = 20

func (p *Page) loadSessions() tea.Cmd {
	p.listSeq++
	ref, seq := p.Env.Register, p.listSeq
	return common.Call(p.Common, func(ctx context.Context, api common.API) ([]client.Session, error) {
		return api.Sessions(ctx, ref, listLimit)
	}, func(list []client.Session, err error) tea.Msg { return sessionsMsg{seq: seq, sessions: list, err: err} })
}

// selected is the session under the cursor, 0 when none.
func (p *Page) selected() int64 {
	if p.cursor < len(p.closed) {
		return p.closed[p.cursor].SessionID
	}
	return 0
}

// keepCursor puts the cursor back on session id after the list changed.
func (p *Page) keepCursor(id int64) {
	p.cursor = min(p.cursor, max(len(p.closed)-1, 0))
	for i, c := range p.closed {
		if id != 0 && c.SessionID == id {
			p.cursor = i
		}
	}
}

// Update handles messages.
func (p *Page) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ReadyMsg, common.RefreshMsg:
		if p.mode == menu {
			return p, p.loadSessions()
		}
	case common.HomeMsg:
		if p.mode == showing {
			p.mode = menu
			return p, p.loadSessions()
		}
	case sessionsMsg:
		if msg.seq <= p.haveListSeq {
			return p, nil
		}
		if msg.err != nil {
			if msg.seq == p.listSeq {
				p.err = common.LoadError(msg.err)
			}
			return p, nil
		}
		p.haveListSeq = msg.seq
		on := p.selected()
		p.listed, p.closed = true, nil
		for _, s := range msg.sessions {
			if s.ClosedAt != nil {
				p.closed = append(p.closed, common.ClosedMsg{SessionID: s.ID, Register: p.Env.Register, ClosedAt: *s.ClosedAt})
			}
		}
		p.keepCursor(on)
	case common.ClosedMsg:
		if p.listed {
			return p, p.loadSessions()
		}
		on := p.selected()
		p.closed = append([]common.ClosedMsg{msg}, p.closed...)
		p.keepCursor(on)
	case reportMsg:
		if msg.seq != p.repSeq {
			return p, nil
		}
		p.busy = false
		switch {
		case msg.err != nil:
			p.err = common.Describe(msg.err)
		case msg.missing != "":
			p.missing = msg.missing
		default:
			p.mode, p.title = showing, msg.title
			p.view.SetContent(msg.text)
			p.view.GotoTop()
		}
	case tea.KeyMsg:
		return p, p.key(msg)
	}
	return p, nil
}

func (p *Page) key(msg tea.KeyMsg) tea.Cmd {
	k := p.Keys
	switch p.mode {
	case menu:
		if p.busy {
			return nil
		}
		switch {
		case key.Matches(msg, k.Current):
			return p.current()
		case key.Matches(msg, k.Session):
			p.mode, p.err = askSession, ""
			p.form = form.New(p.Common, "Closing report of a session", "Session number", "")
		case key.Matches(msg, k.Nightly):
			p.mode, p.err, p.missing = askDay, "", ""
			p.form = form.New(p.Common, "Nightly report of "+p.Env.Outlet, "Day", p.Now().Format(time.DateOnly))
			p.form.Note = "A local calendar day, YYYY-MM-DD. Needs a manager token."
		case key.Matches(msg, k.Generate) && p.missing != "":
			return p.nightly(p.missing, true)
		case key.Matches(msg, k.Up):
			p.cursor = max(p.cursor-1, 0)
		case key.Matches(msg, k.Down):
			p.cursor = min(p.cursor+1, max(len(p.closed)-1, 0))
		case key.Matches(msg, k.Select) && p.cursor < len(p.closed):
			c := p.closed[p.cursor]
			return p.closing(c.SessionID, fmt.Sprintf("Closing report of session %d", c.SessionID))
		}
	case askSession, askDay:
		act, cmd := p.form.Update(msg)
		switch act {
		case form.Cancel:
			p.mode, p.form = menu, nil
		case form.Submit:
			v := p.form.Value(0)
			if p.mode == askSession {
				id, err := strconv.ParseInt(strings.TrimPrefix(v, "#"), 10, 64)
				if err != nil || id <= 0 {
					p.form.Err = fmt.Sprintf("%q is not a session number", v)
					return nil
				}
				p.mode, p.form = menu, nil
				return p.closing(id, fmt.Sprintf("Closing report of session %d", id))
			}
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				p.form.Err = fmt.Sprintf("%q is not a day such as 2026-11-24", v)
				return nil
			}
			p.mode, p.form = menu, nil
			return p.nightly(v, false)
		}
		return cmd
	case showing:
		if key.Matches(msg, k.Back) {
			p.mode = menu
			return nil
		}
		var cmd tea.Cmd
		p.view, cmd = p.view.Update(msg)
		return cmd
	}
	return nil
}

// View draws the screen.
func (p *Page) View() string {
	st := p.Styles
	switch p.mode {
	case askSession, askDay:
		return p.form.View()
	case showing:
		return st.Heading.Render(p.title) + "\n\n" + p.view.View()
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	line(st.Heading.Render("Reports") + st.Muted.Render("   register "+p.Env.Register+", outlet "+p.Env.Outlet))
	line("")
	line("  " + st.Key.Render("x") + "  X-report of the open session (running figures)")
	line("  " + st.Key.Render("g") + "  closing report of a session, by number")
	line("  " + st.Key.Render("n") + "  nightly report of the outlet for a day (manager token)")
	line("")
	if p.listed {
		line(st.Heading.Render("Closing reports of this register"))
	} else {
		line(st.Heading.Render("Closed at this terminal"))
	}
	if len(p.closed) == 0 {
		line(st.Muted.Render("  none yet"))
	}
	for i, c := range p.closed {
		row := fmt.Sprintf("session %-5d %-16s closed %s", c.SessionID, c.Register, common.ShortTime(c.ClosedAt))
		if i == p.cursor {
			line(st.Key.Render("> ") + st.Selected.Render(row))
		} else {
			line("  " + row)
		}
	}
	if len(p.closed) > 0 && !p.listed {
		line(st.Muted.Render("  Saved for printing in " + p.ReportDir))
	}
	if p.busy {
		line("")
		line(st.Muted.Render("Loading…"))
	}
	if p.missing != "" {
		line("")
		line(st.Warn.Render("There is no nightly report for " + p.missing + " yet: press G to generate it now."))
	}
	if p.err != "" {
		line("")
		line(st.Error.Render(p.err))
	}
	return b.String()
}

// ShortHelp lists the keys that work now.
func (p *Page) ShortHelp() []key.Binding {
	k := p.Keys
	switch p.mode {
	case askSession, askDay:
		return p.form.ShortHelp()
	case showing:
		return []key.Binding{k.Up, k.Down, k.PageDown, k.Back}
	}
	out := []key.Binding{k.Current, k.Session, k.Nightly}
	if p.missing != "" {
		out = append(out, k.Generate)
	}
	if len(p.closed) > 0 {
		out = append(out, k.Select)
	}
	return out
}
