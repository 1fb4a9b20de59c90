package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/terminal"
)

// webSession is a signed-in web register seen through plain HTTP.
type webSession struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInHTTP signs in to the web register with token, as a browser's form does.
func signInHTTP(t *testing.T, base, token string) *webSession {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &webSession{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
	_, body := s.get("/signin")
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the sign-in page has no CSRF field:\n%s", body)
	}
	st, body := s.post("/signin", url.Values{"csrf": {m[1]}, "token": {token}})
	if st != http.StatusOK || !strings.Contains(body, `id="register-state"`) {
		t.Fatalf("sign-in answered %d:\n%s", st, body)
	}
	s.csrf = csrfInput.FindStringSubmatch(body)[1]
	return s
}

func (s *webSession) get(path string) (int, string) {
	s.t.Helper()
	resp, err := s.hc.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (s *webSession) post(path string, form url.Values) (int, string) {
	s.t.Helper()
	resp, err := s.hc.PostForm(s.base+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// terminalScreen runs the register terminal on the daemon with token, presses keys, and
// returns the screen once the daemon has answered, as the terminal's own tests do.
func terminalScreen(t *testing.T, w *terminaltest.World, token string, keys ...tea.KeyMsg) string {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	m := terminal.New(terminal.NewClient(w.URL, token), terminal.Config{
		Clock: terminaltest.Now, Logger: zerolog.New(zerolog.NewTestWriter(t)), Renderer: r,
		ReportDir: t.TempDir(), PollEvery: 5 * time.Millisecond, RefreshEvery: -1, CallTimeout: 30 * time.Second,
	})
	msgs := make(chan tea.Msg, 64)
	pending := 0
	exec := func(cmd tea.Cmd) {
		if cmd == nil {
			return
		}
		pending++
		go func() { msgs <- cmd() }()
	}
	handle := func(msg tea.Msg) {
		switch msg := msg.(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			for _, c := range msg {
				exec(c)
			}
		default:
			_, cmd := m.Update(msg)
			exec(cmd)
		}
	}
	settle := func() {
		timeout := time.NewTimer(60 * time.Second)
		defer timeout.Stop()
		for pending > 0 {
			select {
			case msg := <-msgs:
				pending--
				handle(msg)
			case <-timeout.C:
				t.Fatalf("the terminal still waits for %d answers", pending)
			}
		}
	}
	exec(m.Init())
	settle()
	for _, msg := range append([]tea.Msg{tea.WindowSizeMsg{Width: 120, Height: 60}}, toMsgs(keys)...) {
		handle(msg)
		settle()
	}
	return m.View()
}

func toMsgs(keys []tea.KeyMsg) []tea.Msg {
	out := make([]tea.Msg, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

var tag = regexp.MustCompile(`<[^>]*>`)

// TestTerminalAndWebShowTheSameFigures: for one open session with Shopify orders and a
// bank deposit, the terminal's X-report and the web register's show the daemon's figures:
// every one of them, in both.
func TestTerminalAndWebShowTheSameFigures(t *testing.T) {
	w := startWorld(t, terminaltest.Options{})
	ctx := context.Background()
	api := client.New(w.URL, w.Cashier)
	reg, err := api.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "120.00"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := api.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if run, err = api.WaitImport(ctx, run.RunID, 5*time.Millisecond); err != nil || run.Status != "finished" {
		t.Fatalf("import: %+v %v", run, err)
	}
	owed, err := api.Sales(ctx, client.SalesQuery{AwaitingPayment: true, Limit: 1})
	if err != nil || len(owed) == 0 {
		t.Fatalf("no sale awaiting payment: %v", err)
	}
	if _, err := api.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", SaleID: owed[0].ID, Receipt: owed[0].ReceiptNumber, PaymentType: "Bank deposit", Amount: "1.00"}); err != nil {
		t.Fatal(err)
	}
	rep, err := api.ClosingReport(ctx, reg.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	figures := []string{rep.OpeningFloat, rep.SalesTotal, strconv.Itoa(rep.SalesCount), rep.ShippingFees, rep.AwaitingPaymentTotal}
	for _, p := range rep.Payments {
		figures = append(figures, p.Type, p.Expected)
	}
	for _, tx := range rep.Taxes {
		figures = append(figures, tx.Amount)
	}

	screen := terminalScreen(t, w, w.Cashier, tea.KeyMsg{Type: tea.KeyF4}, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'x'}})
	if !strings.Contains(screen, "X-report of the open session "+strconv.FormatInt(rep.SessionID, 10)) {
		t.Fatalf("the terminal does not show the X-report:\n%s", screen)
	}
	web := signInHTTP(t, w.URL, w.Cashier)
	st, page := web.get("/reports/closing/" + strconv.FormatInt(rep.SessionID, 10))
	if st != http.StatusOK {
		t.Fatalf("the web register's X-report answered %d", st)
	}
	text := html.UnescapeString(tag.ReplaceAllString(page, " "))
	for _, f := range figures {
		if !strings.Contains(screen, f) {
			t.Errorf("the terminal does not show %q:\n%s", f, screen)
		}
		if !strings.Contains(text, f) {
			t.Errorf("the web register does not show %q", f)
		}
	}
	if len(figures) < 10 {
		t.Fatalf("only %d figures compared: the session has too little in it", len(figures))
	}
}
