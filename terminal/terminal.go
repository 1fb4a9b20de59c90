// Package terminal is kassa's register terminal: the full-screen, keyboard-first UI store
// staff work the register from ("kassa terminal"). It talks to the daemon only through
// the typed API client (daemon/client) and holds no business rule of its own: what may be
// opened, paid or closed, and every figure, is the daemon's answer.
//
// The UI is organised like this: common.Common is embedded by every component (size,
// styles, keys, API, clock, logger, where it runs); pages/ holds the five screens
// (Register, Sales, Shopify, Reports, Sell); components/ the widgets they share; keymap/ and
// styles/ the key bindings and Lip Gloss styles. The root Model here draws the screen
// tabs, the connection status line and the help bar, routes keys to the active screen
// and every other message to all of them.
package terminal

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/terminal/common"
	"github.com/kassa-pos/kassa/terminal/keymap"
	"github.com/kassa-pos/kassa/terminal/pages/registerpage"
	"github.com/kassa-pos/kassa/terminal/pages/reportspage"
	"github.com/kassa-pos/kassa/terminal/pages/salespage"
	"github.com/kassa-pos/kassa/terminal/pages/sellpage"
	"github.com/kassa-pos/kassa/terminal/pages/shopifypage"
	"github.com/kassa-pos/kassa/terminal/styles"
)

// Config is the terminal's configuration. Zero fields take the defaults named.
type Config struct {
	// Register is the register this terminal works ("Front" or "Gent/Front"); empty
	// means the only register there is.
	Register string
	// Clock is the time the terminal shows and defaults from; default time.Now.
	Clock func() time.Time
	// Logger receives the terminal's log lines; it must not write to the screen.
	Logger zerolog.Logger
	// Renderer draws the styles; default a renderer of standard output, which follows
	// the terminal's colour profile (NO_COLOR and TERM=dumb give plain text).
	Renderer *lipgloss.Renderer
	// ReportDir is where closing reports are saved as text; default the working folder.
	ReportDir string
	// PollEvery is how often a running import's progress is asked for; default 300ms.
	PollEvery time.Duration
	// RefreshEvery is how often the screen reloads its data (every tick while the daemon
	// cannot be reached, so the terminal recovers when it is back; every tenth tick
	// otherwise). Default 3 seconds; negative turns it off (tests).
	RefreshEvery time.Duration
	// CallTimeout bounds one call to the daemon; default 15 seconds.
	CallTimeout time.Duration
}

// Screen indexes.
const (
	ScreenRegister = iota
	ScreenSales
	ScreenShopify
	ScreenReports
	ScreenSell
)

// screenNames are the tabs' names, by screen index.
var screenNames = [...]string{"Register", "Sales", "Shopify", "Reports", "Sell"}

// Model is the terminal's root Bubble Tea model.
type Model struct {
	common  *common.Common
	cfg     Config
	pages   []common.Component
	active  int
	ready   bool
	conn    string   // why the daemon cannot be used right now; empty when it can
	startUp string   // why the terminal could not start (no such register)
	choices []string // the registers to choose from when there are several
	choice  int
	ticks   int
	help    help.Model
}

type envMsg struct {
	env     common.Env
	choices []string // several registers and none named: staff choose
	err     error
}

func (m envMsg) CallErr() error { return m.err }

type tickMsg struct{}

// New builds the terminal on api.
func New(api common.API, cfg Config) *Model {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Renderer == nil {
		cfg.Renderer = lipgloss.NewRenderer(os.Stdout)
	}
	if cfg.ReportDir == "" {
		cfg.ReportDir = "."
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 300 * time.Millisecond
	}
	if cfg.RefreshEvery == 0 {
		cfg.RefreshEvery = 3 * time.Second
	}
	st := styles.New(cfg.Renderer)
	c := &common.Common{
		Styles: st, Keys: keymap.Default(), API: common.CleanAPI(api), Clock: cfg.Clock, Log: cfg.Logger,
		Env: &common.Env{Register: cfg.Register}, ReportDir: cfg.ReportDir, PollEvery: cfg.PollEvery,
		CallTimeout: cfg.CallTimeout,
	}
	h := help.New()
	h.ShortSeparator = " · "
	h.Styles.ShortKey = st.Key
	h.Styles.ShortDesc = st.HelpText
	h.Styles.ShortSeparator = st.HelpText
	h.Styles.Ellipsis = st.HelpText
	m := &Model{common: c, cfg: cfg, help: h}
	m.pages = []common.Component{registerpage.New(*c), salespage.New(*c), shopifypage.New(*c), reportspage.New(*c), sellpage.New(*c)}
	return m
}

// Init resolves the register and its outlet, then lets the screens load.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.resolve(), m.tick())
}

func (m *Model) tick() tea.Cmd {
	if m.cfg.RefreshEvery < 0 {
		return nil
	}
	return tea.Tick(m.cfg.RefreshEvery, func(time.Time) tea.Msg { return tickMsg{} })
}

// resolve asks the daemon who this token is and which register and outlet it works.
func (m *Model) resolve() tea.Cmd {
	ref := m.cfg.Register
	return common.Call(*m.common, func(ctx context.Context, api common.API) (envMsg, error) {
		me, err := api.Me(ctx)
		if err != nil {
			return envMsg{}, err
		}
		env := common.Env{User: me.Name, Role: me.Role}
		var reg client.Register
		if ref != "" {
			if reg, err = api.Register(ctx, ref); err != nil {
				return envMsg{}, err
			}
		} else {
			regs, err := api.Registers(ctx)
			if err != nil {
				return envMsg{}, err
			}
			switch len(regs) {
			case 0:
				return envMsg{}, fmt.Errorf("there is no register yet: add one with 'kassa register add'")
			case 1:
				reg = regs[0]
			default:
				names := make([]string, 0, len(regs))
				for _, r := range regs {
					names = append(names, r.Outlet+"/"+r.Name)
				}
				return envMsg{choices: names}, nil
			}
		}
		env.Register, env.Outlet = reg.Outlet+"/"+reg.Name, reg.Outlet
		outlets, err := api.Outlets(ctx)
		if err != nil {
			return envMsg{}, err
		}
		env.Location = time.UTC
		for _, o := range outlets {
			if o.Name == reg.Outlet {
				if loc, err := time.LoadLocation(o.Timezone); err == nil {
					env.Location = loc
				}
			}
		}
		return envMsg{env: env}, nil
	}, func(m envMsg, err error) tea.Msg { m.err = err; return m })
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if r, ok := msg.(common.Result); ok {
		m.noteResult(r.CallErr())
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.common.SetSize(msg.Width, msg.Height)
		m.help.Width = msg.Width
		for _, p := range m.pages {
			p.SetSize(msg.Width, m.contentHeight())
		}
		return m, nil
	case envMsg:
		if msg.err != nil {
			if !common.Unreachable(msg.err) && !common.TokenRefused(msg.err) {
				m.startUp = common.Describe(msg.err)
			}
			return m, nil
		}
		m.startUp = ""
		if len(msg.choices) > 0 {
			m.choices, m.choice = msg.choices, 0
			return m, nil
		}
		m.choices = nil
		*m.common.Env = msg.env
		m.ready = true
		m.common.Log.Info().Str("register", msg.env.Register).Str("user", msg.env.User).Msg("terminal ready")
		return m, m.broadcast(common.ReadyMsg{})
	case tickMsg:
		m.ticks++
		var cmd tea.Cmd
		switch {
		case !m.ready:
			cmd = m.resolve()
		case (m.conn != "" || m.ticks%10 == 0) && !m.pages[m.active].Editing():
			cmd = m.toActive(common.RefreshMsg{})
		}
		return m, tea.Batch(cmd, m.tick())
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, m.broadcast(msg)
}

// noteResult keeps the connection line: set when the daemon cannot be reached or refuses
// the token, cleared by the next call that gets through.
func (m *Model) noteResult(err error) {
	switch {
	case common.Unreachable(err) || common.TokenRefused(err):
		if m.conn == "" {
			m.common.Log.Warn().Err(err).Msg("daemon call failed")
		}
		m.conn = common.Describe(err)
	case err == nil || client.StatusOf(err) != 0:
		if m.conn != "" {
			m.common.Log.Info().Msg("daemon reachable again")
		}
		m.conn = ""
	}
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	k := m.common.Keys
	editing := m.ready && m.pages[m.active].Editing()
	if msg.Type == tea.KeyCtrlC || (!editing && key.Matches(msg, k.Quit)) {
		return tea.Quit
	}
	switch msg.Type {
	case tea.KeyF1, tea.KeyF2, tea.KeyF3, tea.KeyF4, tea.KeyF5:
		return m.switchTo(int(tea.KeyF1 - msg.Type))
	}
	if !m.ready {
		switch {
		case len(m.choices) > 0 && key.Matches(msg, k.Up):
			m.choice = max(m.choice-1, 0)
		case len(m.choices) > 0 && key.Matches(msg, k.Down):
			m.choice = min(m.choice+1, len(m.choices)-1)
		case len(m.choices) > 0 && key.Matches(msg, k.Select):
			m.cfg.Register = m.choices[m.choice]
			return m.resolve()
		case key.Matches(msg, k.Refresh):
			return m.resolve()
		}
		return nil
	}
	if !editing {
		switch {
		case key.Matches(msg, k.Register):
			return m.switchTo(ScreenRegister)
		case key.Matches(msg, k.Sales):
			return m.switchTo(ScreenSales)
		case key.Matches(msg, k.Shopify):
			return m.switchTo(ScreenShopify)
		case key.Matches(msg, k.Reports):
			return m.switchTo(ScreenReports)
		case key.Matches(msg, k.Sell):
			return m.switchTo(ScreenSell)
		case key.Matches(msg, k.NextTab):
			return m.switchTo((m.active + 1) % len(m.pages))
		case key.Matches(msg, k.PrevTab):
			return m.switchTo((m.active + len(m.pages) - 1) % len(m.pages))
		}
	}
	return m.toActive(msg)
}

// switchTo shows screen i and has it reload, so what staff see is current.
func (m *Model) switchTo(i int) tea.Cmd {
	if i < 0 || i >= len(m.pages) || !m.ready {
		return nil
	}
	if i == m.active {
		// The screen's own key takes it back to its first view, e.g. from the closing
		// report to the register's status; a form open stays open.
		if m.pages[i].Editing() {
			return nil
		}
		return m.toActive(common.HomeMsg{})
	}
	m.active = i
	if m.pages[i].Editing() {
		return nil
	}
	return m.toActive(common.RefreshMsg{})
}

func (m *Model) toActive(msg tea.Msg) tea.Cmd {
	p, cmd := m.pages[m.active].Update(msg)
	m.pages[m.active] = p
	return cmd
}

func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.pages))
	for i, p := range m.pages {
		np, cmd := p.Update(msg)
		m.pages[i] = np
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// contentHeight is what the screens get: all but the tab line, the status line and
// the help bar.
func (m *Model) contentHeight() int { return max(m.common.Height-4, 1) }

// View draws the whole screen: tabs, the active screen, status and help.
func (m *Model) View() string {
	c := m.common
	st := c.Styles
	w, h := c.Width, c.Height
	if w <= 0 || h <= 0 {
		return ""
	}
	var tabs []string
	for i, name := range screenNames {
		label := fmt.Sprintf("F%d %s", i+1, name)
		if i == m.active {
			tabs = append(tabs, st.ActiveTab.Render(label))
		} else {
			tabs = append(tabs, st.Tab.Render(label))
		}
	}
	head := st.Title.Render("kassa") + "  " + strings.Join(tabs, " ")
	if c.Env.Register != "" && m.ready {
		if who := fitWho(c.Env, w-ansi.StringWidth(head)-2); who != "" {
			head += strings.Repeat(" ", w-ansi.StringWidth(head)-text.Width(who)) + st.Muted.Render(who)
		}
	}

	var body string
	switch {
	case m.ready:
		body = m.pages[m.active].View()
	case len(m.choices) > 0:
		var b strings.Builder
		b.WriteString(st.Heading.Render("Which register is this?") + "\n\n")
		for i, name := range m.choices {
			if i == m.choice {
				b.WriteString(st.Key.Render("> ") + st.Selected.Render(name) + "\n")
			} else {
				b.WriteString("  " + name + "\n")
			}
		}
		b.WriteString("\n" + st.Muted.Render("Start with --register NAME to skip this question."))
		body = b.String()
	case m.startUp != "":
		body = st.Error.Render(m.startUp) + "\n\n" + st.Muted.Render("Press r to try again, q to quit.")
	case m.conn != "":
		body = st.Muted.Render("Waiting for the kassa daemon…")
	default:
		body = st.Muted.Render("Connecting to the kassa daemon…")
	}
	lines := strings.Split(strings.TrimRight(body, "\n"), "\n")
	ch := m.contentHeight()
	if len(lines) > ch {
		lines = lines[:ch]
	}
	for len(lines) < ch {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "…")
	}

	status := st.Status.Render("connected")
	if m.conn != "" {
		status = st.StatusError.Render("! " + m.conn)
	} else if !m.ready {
		status = st.Status.Render("starting")
	}
	status = ansi.Truncate(status, w, "…")

	bindings := []key.Binding{}
	if m.ready {
		bindings = append(bindings, m.pages[m.active].ShortHelp()...)
	} else if len(m.choices) > 0 {
		choose := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose"))
		bindings = append(bindings, c.Keys.Up, c.Keys.Down, choose)
	} else {
		bindings = append(bindings, c.Keys.Refresh)
	}
	bindings = append(bindings, key.NewBinding(key.WithKeys("f1"), key.WithHelp("F1-F5", "screens")))
	if !m.ready || !m.pages[m.active].Editing() {
		bindings = append(bindings, c.Keys.Quit)
	}
	helpLine := ansi.Truncate(m.help.ShortHelpView(bindings), w, "…")

	return head + "\n\n" + strings.Join(lines, "\n") + "\n" + status + "\n" + helpLine
}

// fitWho is the header's "Outlet/Register · user" in at most room columns: the outlet's
// name is shortened first, then the user's, then the register's, each down to "…", so
// that staff always see which register they work; "" when even that does not fit.
func fitWho(env *common.Env, room int) string {
	outlet, name, user := env.Outlet, strings.TrimPrefix(env.Register, env.Outlet+"/"), env.User
	if outlet == "" || !strings.HasPrefix(env.Register, outlet+"/") {
		outlet, name = "", env.Register
	}
	join := func() string {
		s := name
		if outlet != "" {
			s = outlet + "/" + s
		}
		if user != "" {
			s += " · " + user
		}
		return s
	}
	for _, part := range []*string{&outlet, &user, &name} {
		over := text.Width(join()) - room
		if over <= 0 {
			break
		}
		if *part != "" {
			*part = text.Clip(*part, max(text.Width(*part)-over, 1))
		}
	}
	if who := join(); text.Width(who) <= room && room >= 5 {
		return who
	}
	return ""
}

// Run runs the terminal full-screen on in and out until staff quit or ctx ends.
func Run(ctx context.Context, api common.API, cfg Config, in io.Reader, out io.Writer) error {
	if cfg.Renderer == nil {
		cfg.Renderer = lipgloss.NewRenderer(out)
	}
	m := New(api, cfg)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithAltScreen())
	_, err := p.Run()
	if err != nil && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("run the terminal: %w", err)
	}
	return nil
}

// NewClient returns the daemon's API client as the terminal uses it: its requests are
// marked as the terminal's, so the daemon records the import runs it starts as such.
func NewClient(baseURL, token string) *client.Client {
	return client.New(baseURL, token, client.AsTerminal())
}
