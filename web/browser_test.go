package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/web"
)

// startWorld starts a daemon with the web register, on a fresh database with a
// simulated shop (internal/terminaltest).
func startWorld(t *testing.T, opts terminaltest.Options) *terminaltest.World {
	t.Helper()
	front, err := web.Front(web.Config{Secrets: dbtest.Secrets(), Clock: terminaltest.Now, ProgressEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	opts.Front = front
	return terminaltest.Start(t, opts)
}

// chromium finds Debian's chromium. Without it the browser tests are skipped, unless
// KASSA_REQUIRE_BROWSER=1 (as CI sets it) makes that a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("KASSA_REQUIRE_BROWSER") == "1" {
		t.Fatal("no chromium found and KASSA_REQUIRE_BROWSER=1: install it (apt-get install -y chromium)")
	}
	t.Skip("no chromium: install it (apt-get install -y chromium) to run the browser tests")
	return ""
}

// browser is one headless Chromium tab on a world's web register. Each step of a test
// is screenshotted; the screenshots are kept (and named in the log) when the test fails.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	n    int
}

func newBrowser(t *testing.T, w *terminaltest.World, width, height int) *browser {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(width, height), chromedp.Flag("lang", "en-GB"),
		chromedp.Flag("accept-lang", "en-GB,en"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	dir := filepath.Join(os.TempDir(), "kassa-web-steps", safe(t.Name()))
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, base: w.URL, dir: dir}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			t.Logf("the screenshots of each step are in %s", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func safe(s string) string { return unsafeName.ReplaceAllString(s, "_") }

// stepTimeout bounds one step, so that a page that never shows what a step waits for
// fails the test with a screenshot rather than hanging it.
const stepTimeout = 90 * time.Second

// step runs a named step; its screenshot is written after it, and a failing step ends
// the test with its screenshot.
func (b *browser) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.n++
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	err := chromedp.Do(ctx, actions...)
	cancel()
	shot := filepath.Join(b.dir, strings.Join([]string{twoDigits(b.n), safe(name)}, "-")+".png")
	sctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if png, serr := chromedp.Run(sctx, chromedp.FullScreenshot(100)); serr == nil {
		_ = os.WriteFile(shot, png, 0o644)
	}
	if err != nil {
		b.t.Fatalf("step %q: %v (screenshot: %s)", name, err, shot)
	}
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + string(rune('0'+n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

// open navigates to a path of the web register.
func (b *browser) open(path string) chromedp.Action[chromedp.Void] {
	return chromedp.Navigate(b.base + path)
}

// text reads the text of the first element sel matches.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// signIn signs in with token and waits for the register screen.
func (b *browser) signIn(token string) {
	b.t.Helper()
	b.step("sign in",
		b.open("/signin"),
		chromedp.WaitVisible("#token"),
		chromedp.SendKeys("#token", token),
		chromedp.Submit("#token"),
		chromedp.WaitVisible("#register-state"),
	)
}

// screenshot writes the page as docs/screenshots/name.png when KASSA_SCREENSHOTS=1.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("KASSA_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// eval runs a script in the page and returns its result (a promise is awaited).
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}
