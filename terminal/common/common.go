// Package common holds what every part of the register terminal shares: the Common
// struct that components embed (size, styles, keys, the daemon's API, clock, logger and
// the register being worked), the Component interface, and the messages that cross
// screens.
package common

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/terminal/keymap"
	"github.com/kassa-pos/kassa/terminal/styles"
)

// API is the part of the daemon's typed client the terminal uses; *client.Client
// implements it. The terminal holds no business rule: every decision is the daemon's.
type API interface {
	Me(ctx context.Context) (client.Me, error)
	Outlets(ctx context.Context) ([]client.Outlet, error)
	Registers(ctx context.Context) ([]client.Register, error)
	Register(ctx context.Context, ref string) (client.Register, error)
	OpenRegister(ctx context.Context, ref string, req client.OpenRequest) (client.Register, error)
	CloseRegister(ctx context.Context, ref string, req client.CloseRequest) (client.ClosingReport, error)
	Sessions(ctx context.Context, ref string, limit int) ([]client.Session, error)
	PaymentTypes(ctx context.Context) ([]client.PaymentType, error)
	Sales(ctx context.Context, q client.SalesQuery) ([]client.Sale, error)
	Sale(ctx context.Context, receipt, outlet string) (client.Sale, error)
	ApplyPayment(ctx context.Context, req client.PaymentRequest) (client.Payment, error)
	VoidPayment(ctx context.Context, paymentID int64, req client.VoidRequest) (client.Void, error)
	StartImport(ctx context.Context, req client.ImportRequest) (client.ImportRun, error)
	ImportRuns(ctx context.Context, shop string, limit int) ([]client.ImportRun, error)
	ImportRun(ctx context.Context, runID int64) (client.ImportRun, error)
	ImportOutcomes(ctx context.Context, runID int64, outcome string) ([]client.Outcome, error)
	ExpiringOrders(ctx context.Context, shop string) ([]client.ExpiringOrder, error)
	ClosingReport(ctx context.Context, sessionID int64) (client.ClosingReport, error)
	ClosingReportText(ctx context.Context, sessionID int64) (string, error)
	NightlyReportText(ctx context.Context, outlet, date string) (string, error)
	GenerateNightlyText(ctx context.Context, req client.NightlyRequest) (string, error)
	Quote(ctx context.Context, register string, req client.SellRequest) (client.Quote, error)
	Sell(ctx context.Context, register string, req client.SellRequest) (client.Sale, error)
	ReturnSale(ctx context.Context, receipt string, req client.ReturnRequest) (client.Return, error)
	ReceiptText(ctx context.Context, receipt string) (string, error)
}

var _ API = (*client.Client)(nil)

// Env is what the terminal learned at start about where it runs: the register, its
// outlet and the outlet's time zone, and the token's name and role. The root model fills
// it once; screens read it.
type Env struct {
	Register string // "Outlet/Name", as the daemon resolves it
	Outlet   string
	Location *time.Location
	User     string
	Role     string
}

// Common is embedded by every component.
type Common struct {
	Width, Height int
	Styles        *styles.Styles
	Keys          *keymap.KeyMap
	API           API
	Clock         func() time.Time
	Log           zerolog.Logger
	Env           *Env
	// ReportDir is where closing reports are saved as text for printing.
	ReportDir string
	// PollEvery is how often a running import's progress is asked for.
	PollEvery time.Duration
	// CallTimeout bounds one call to the daemon.
	CallTimeout time.Duration
}

// SetSize records the space the component may draw in.
func (c *Common) SetSize(width, height int) {
	c.Width, c.Height = width, height
}

// Now is the clock's time in the outlet's time zone.
func (c *Common) Now() time.Time {
	loc := time.Local
	if c.Env != nil && c.Env.Location != nil {
		loc = c.Env.Location
	}
	return c.Clock().In(loc)
}

// Call runs fn against the daemon with a bounded context, in a tea.Cmd, and turns its
// result into a message with wrap.
func Call[T any](c Common, fn func(ctx context.Context, api API) (T, error), wrap func(T, error) tea.Msg) tea.Cmd {
	api, timeout := c.API, c.CallTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		v, err := fn(ctx, api)
		return wrap(v, err)
	}
}

// Component is a screen or a widget of the terminal.
type Component interface {
	Init() tea.Cmd
	Update(msg tea.Msg) (Component, tea.Cmd)
	View() string
	SetSize(width, height int)
	// ShortHelp lists the keys that work now, for the help bar.
	ShortHelp() []key.Binding
	// Editing reports whether a field has the focus, so that letters and digits are
	// typed into it rather than taken as commands.
	Editing() bool
}

// Result is a message carrying the outcome of a call to the daemon. The root model reads
// it to tell staff when the daemon cannot be reached or refuses the token, and that it is
// back.
type Result interface {
	CallErr() error
}

// RefreshMsg asks the screen to load its data again.
type RefreshMsg struct{}

// ReadyMsg tells the screens that Env is filled and they may load.
type ReadyMsg struct{}

// HomeMsg asks the screen to go back to its first view (the Register screen's status
// from a closing report, say): staff pressed the key of the screen they are on. A screen
// with a form open does not get it.
type HomeMsg struct{}

// Unreachable reports whether err means the daemon could not be reached at all (down,
// wrong address, timed out), as opposed to an answer refusing the call.
func Unreachable(err error) bool {
	if err == nil || client.StatusOf(err) != 0 {
		return false
	}
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}

// TokenRefused reports whether the daemon refused the token itself (unknown or revoked).
func TokenRefused(err error) bool { return client.StatusOf(err) == 401 }

// Describe turns an error from a call into one clean line for staff: the daemon's own
// message when it answered (which may quote a name typed in Shopify's checkout, so it is
// cleaned like any text from the daemon), plain words when it could not be reached.
func Describe(err error) string { return text.Clean(describe(err), 0) }

func describe(err error) string {
	switch {
	case err == nil:
		return ""
	case TokenRefused(err):
		return "the daemon refused this terminal's token: " + err.Error()
	case client.StatusOf(err) == 403:
		return err.Error()
	case client.StatusOf(err) >= 500:
		return "the daemon failed: " + err.Error()
	case client.StatusOf(err) != 0:
		return err.Error()
	case Unreachable(err):
		return "cannot reach the kassa daemon: it may be down; retrying"
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Money pads an amount such as "12.50" to the right of width w.
func Money(s string, w int) string { return fmt.Sprintf("%*s", w, s) }

// Pad cleans s and cuts or pads it to exactly w columns of the screen, for table cells:
// a cut ends in "…" and never splits a character (internal/text).
func Pad(s string, w int) string { return text.Pad(s, w) }

// ShortTime renders an RFC 3339 time as "2026-11-25 09:00" in its own offset; a value it
// cannot read is shown as it is.
func ShortTime(rfc string) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return rfc
	}
	return t.Format("2006-01-02 15:04")
}

// LoadError is what a screen shows when loading its data failed: nothing when the daemon
// could not be reached or refused the token, because the status line says so for every
// screen; the daemon's message otherwise.
func LoadError(err error) string {
	if Unreachable(err) || TokenRefused(err) {
		return ""
	}
	return Describe(err)
}
