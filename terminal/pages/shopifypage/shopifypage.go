// Package shopifypage is the terminal's Shopify screen: the "Get new Shopify orders" and
// "Get all Shopify orders" buttons with a live progress bar and outcome counts while the
// run goes, the recent runs, the failed orders with their reasons and a retry, and the
// failed orders about to leave Shopify's 60-day window, with their age.
//
// History requests carry numbers and an answer older than the one shown is dropped; a
// run's progress is shown only for the run the screen follows. Runs the daemon made for
// webhooks (one per order) are shown as one line per stretch of them.
package shopifypage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/terminal/common"
)

// Page is the Shopify screen.
type Page struct {
	common.Common
	run     *client.ImportRun // the run this terminal started and watches
	runs    []client.ImportRun
	failed  []client.Outcome
	failRun int64
	// expiring are the failed orders that leave Shopify's 60-day window within 7 days.
	expiring []client.ExpiringOrder
	loaded   bool
	err      string
	info     string
	bar      progress.Model

	seq, haveSeq int // the latest history request, and the one the history shown answers
}

type startedMsg struct {
	run client.ImportRun
	err error
}

func (m startedMsg) CallErr() error { return m.err }

type pollMsg struct{ runID int64 }

type runMsg struct {
	run client.ImportRun
	err error
}

func (m runMsg) CallErr() error { return m.err }

type historyMsg struct {
	seq      int
	runs     []client.ImportRun
	failed   []client.Outcome
	failRun  int64
	expiring []client.ExpiringOrder
	err      error
}

func (m historyMsg) CallErr() error { return m.err }

// New returns the Shopify screen.
func New(c common.Common) *Page {
	bar := progress.New(progress.WithWidth(40), progress.WithoutPercentage(),
		progress.WithColorProfile(c.Styles.Renderer.ColorProfile()))
	return &Page{Common: c, bar: bar}
}

// Init loads nothing until the terminal is ready.
func (p *Page) Init() tea.Cmd { return nil }

// Editing is always false: the screen has no fields.
func (p *Page) Editing() bool { return false }

func (p *Page) running() bool { return p.run != nil && p.run.Status == "running" }

// maxExpiringLines is how many of the orders leaving Shopify soon the screen lists.
const maxExpiringLines = 4

// historyRuns is how many recent runs the screen asks for: enough to fold a day of
// webhook runs into a line and still show the runs staff started.
const historyRuns = 100

func (p *Page) loadHistory() tea.Cmd {
	p.seq++
	seq := p.seq
	return common.Call(p.Common, func(ctx context.Context, api common.API) (historyMsg, error) {
		runs, err := api.ImportRuns(ctx, "", historyRuns)
		if err != nil {
			return historyMsg{}, err
		}
		out := historyMsg{runs: runs}
		if out.expiring, err = api.ExpiringOrders(ctx, ""); err != nil {
			return historyMsg{}, err
		}
		// The failed orders worth showing are those of the newest run that had any: a
		// later retry run that fixed them has none.
		for _, r := range runs {
			if r.Status == "running" {
				continue
			}
			if r.Outcomes.Failed > 0 {
				out.failRun = r.RunID
				out.failed, err = api.ImportOutcomes(ctx, r.RunID, "failed")
			}
			break
		}
		return out, err
	}, func(m historyMsg, err error) tea.Msg { m.seq, m.err = seq, err; return m })
}

func (p *Page) start(mode string) tea.Cmd {
	p.err, p.info = "", ""
	return common.Call(p.Common, func(ctx context.Context, api common.API) (client.ImportRun, error) {
		return api.StartImport(ctx, client.ImportRequest{Mode: mode})
	}, func(r client.ImportRun, err error) tea.Msg { return startedMsg{run: r, err: err} })
}

func (p *Page) poll(runID int64) tea.Cmd {
	return tea.Tick(p.PollEvery, func(time.Time) tea.Msg { return pollMsg{runID: runID} })
}

// Update handles messages.
func (p *Page) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ReadyMsg, common.RefreshMsg:
		if !p.running() {
			return p, p.loadHistory()
		}
	case startedMsg:
		if msg.err != nil {
			// E.g. a run of this shop is already going: the daemon says so.
			p.err = common.Describe(msg.err)
			return p, nil
		}
		run := msg.run
		p.run = &run
		if run.Status == "running" {
			return p, p.poll(run.RunID)
		}
		return p, p.loadHistory()
	case pollMsg:
		id := msg.runID
		return p, common.Call(p.Common, func(ctx context.Context, api common.API) (client.ImportRun, error) {
			return api.ImportRun(ctx, id)
		}, func(r client.ImportRun, err error) tea.Msg {
			if err != nil {
				r.RunID = id
			}
			return runMsg{run: r, err: err}
		})
	case runMsg:
		if p.run == nil || msg.run.RunID != p.run.RunID {
			// A run the screen no longer follows: stop asking for it.
			return p, nil
		}
		if msg.err != nil {
			// Keep watching: the daemon may be back at the next poll.
			p.err = common.LoadError(msg.err)
			return p, p.poll(msg.run.RunID)
		}
		p.err = ""
		run := msg.run
		p.run = &run
		if run.Status == "running" {
			return p, p.poll(run.RunID)
		}
		return p, p.loadHistory()
	case historyMsg:
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
		p.err, p.loaded = "", true
		p.runs, p.failed, p.failRun, p.expiring = msg.runs, msg.failed, msg.failRun, msg.expiring
		// A run started elsewhere (the command line, a poll, another terminal) is followed
		// like one started here: only one runs per shop at a time.
		if !p.running() && len(p.runs) > 0 && p.runs[0].Status == "running" {
			run := p.runs[0]
			p.run = &run
			return p, p.poll(run.RunID)
		}
	case tea.KeyMsg:
		k := p.Keys
		switch {
		case key.Matches(msg, k.GetNew):
			return p, p.start("new")
		case key.Matches(msg, k.GetAll):
			return p, p.start("all")
		case key.Matches(msg, k.Retry):
			if len(p.failed) == 0 {
				p.info = "No failed orders to retry."
				return p, nil
			}
			return p, p.start("retry")
		case key.Matches(msg, k.Refresh):
			if !p.running() {
				return p, p.loadHistory()
			}
		}
	}
	return p, nil
}

func modeName(m string) string {
	switch m {
	case "all":
		return "Get all"
	case "new":
		return "Get new"
	case "retry":
		return "Retry failed"
	}
	return m
}

func counts(c client.Counts) string {
	out := fmt.Sprintf("imported %d · already imported %d · too old %d · no shipping method %d\n  test %d · cancelled %d · failed %d",
		c.Imported, c.AlreadyImported, c.TooOld, c.NoShippingMethod, c.TestOrder, c.Cancelled, c.Failed)
	if c.Updated > 0 || c.NeedsReview > 0 {
		// Changes Shopify made to imported orders: shown when a run met some.
		out += fmt.Sprintf(" · updated %d · needs review %d", c.Updated, c.NeedsReview)
	}
	return out
}

// View draws the screen.
func (p *Page) View() string {
	st := p.Styles
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	line(st.Heading.Render("Shopify orders"))
	line("")
	line("  " + st.Button.Render("[n] Get new Shopify orders") + "    " + st.Button.Render("[a] Get all Shopify orders") +
		"    " + st.Button.Render("[f] Retry failed"))
	line("")
	if r := p.run; r != nil {
		pct := 0.0
		switch {
		case r.Status != "running":
			pct = 1
		case r.Total > 0:
			pct = min(float64(r.Seen)/float64(r.Total), 1)
		}
		// Shopify does not always say how many orders a run will see.
		progress := fmt.Sprintf("%d orders", r.Seen)
		if r.Total > 0 {
			progress = fmt.Sprintf("%d of %d orders", r.Seen, r.Total)
		}
		var state string
		switch r.Status {
		case "running":
			state = st.Warn.Render("running")
		case "finished":
			state = st.Good.Render("finished")
		default:
			state = st.Error.Render(r.Status)
		}
		line(fmt.Sprintf("  Run %d (%s): %s", r.RunID, modeName(r.Mode), state))
		line("  " + p.bar.ViewAs(pct) + "  " + progress)
		line("  " + counts(r.Outcomes))
		if r.Error != "" {
			line("  " + st.Error.Render(r.Error))
		}
		line("")
	}
	line(st.Heading.Render("Recent runs"))
	if p.loaded && len(p.runs) == 0 {
		line(st.Muted.Render("  none yet: press a to get all Shopify orders"))
	}
	for i, g := range groupRuns(p.runs) {
		if i >= recentLines {
			break
		}
		line("  " + g.line(p.Now()))
	}
	if len(p.failed) > 0 {
		line("")
		line(st.Heading.Render(fmt.Sprintf("Failed orders of run %d", p.failRun)) + st.Muted.Render("  (f retries them)"))
		for i, o := range p.failed {
			if i >= 5 {
				line(st.Muted.Render(fmt.Sprintf("  … and %d more", len(p.failed)-5)))
				break
			}
			line("  " + common.Pad(o.OrderName, 8) + st.Error.Render(o.Reason))
		}
	}
	if len(p.expiring) > 0 {
		// Orders Shopify stops handing out soon: after that only a file brings them in.
		line("")
		line(st.Heading.Render("Failed, leaving Shopify's 60 days within 7 days") + st.Muted.Render("  (fix them, then f)"))
		for i, e := range p.expiring {
			if i >= maxExpiringLines {
				line(st.Muted.Render(fmt.Sprintf("  … and %d more", len(p.expiring)-maxExpiringLines)))
				break
			}
			leaves := e.LeavesAt.In(p.Now().Location())
			line("  " + common.Pad(e.OrderName, 10) + " " + st.Warn.Render(fmt.Sprintf("%d days old, gone %s", e.AgeDays, leaves.Format("Jan 2 15:04"))))
			line("    " + st.Error.Render(e.Reason))
		}
	}
	if p.info != "" {
		line("")
		line(st.Warn.Render(p.info))
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
	// f always answers (it says when there is nothing to retry), as its button shows.
	return []key.Binding{k.GetNew, k.GetAll, k.Retry, k.Refresh}
}

// recentLines is how many lines "Recent runs" shows.
const recentLines = 4

// runGroup is a line of "Recent runs": one run, or a stretch of consecutive webhook runs.
type runGroup struct {
	runs []client.ImportRun // newest first
}

// groupRuns folds consecutive webhook runs (the daemon makes one per order it is told
// about) into one group each; every other run is a group of its own.
func groupRuns(runs []client.ImportRun) []runGroup {
	var out []runGroup
	for _, r := range runs {
		if n := len(out); n > 0 && r.Mode == "webhook" && out[n-1].runs[0].Mode == "webhook" {
			out[n-1].runs = append(out[n-1].runs, r)
			continue
		}
		out = append(out, runGroup{runs: []client.ImportRun{r}})
	}
	return out
}

// line draws the group: "webhooks: 37 runs, 37 imported, 10:02–10:41" for webhook runs
// (times of the oldest and newest start, with dates when they are not of today, now's
// day), the run's own figures otherwise.
func (g runGroup) line(now time.Time) string {
	loc := now.Location()
	r := g.runs[0]
	if r.Mode != "webhook" {
		return fmt.Sprintf("%-4d %-12s %-9s %s  seen %-4d imported %-4d failed %d", r.RunID, modeName(r.Mode), r.Status,
			r.StartedAt.In(loc).Format("01-02 15:04"), r.Seen, r.Outcomes.Imported, r.Outcomes.Failed)
	}
	var imported, failed int
	running := false
	for _, w := range g.runs {
		imported += w.Outcomes.Imported
		failed += w.Outcomes.Failed
		running = running || w.Status == "running"
	}
	first, last := g.runs[len(g.runs)-1].StartedAt.In(loc), r.StartedAt.In(loc)
	layout := "15:04"
	today := now.Format(time.DateOnly)
	if first.Format(time.DateOnly) != today || last.Format(time.DateOnly) != today {
		layout = "01-02 15:04"
	}
	when := first.Format(layout)
	if len(g.runs) > 1 {
		when += "–" + last.Format(layout)
	}
	runs := "1 run"
	if len(g.runs) > 1 {
		runs = fmt.Sprintf("%d runs", len(g.runs))
	}
	out := fmt.Sprintf("webhooks: %s, %d imported", runs, imported)
	if failed > 0 {
		out += fmt.Sprintf(", %d failed", failed)
	}
	if running {
		out += ", running"
	}
	return out + ", " + when
}
