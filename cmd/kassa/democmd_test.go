package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
)

// TestDemoImportsServesTheTerminalAndStopsOnSignal runs "kassa demo" twice on its own
// database: the first run creates and fills it, imports, prints a working token, takes
// new orders by webhook and stops with exit 0; the second reuses it without importing
// an order twice.
func TestDemoImportsServesTheTerminalAndStopsOnSignal(t *testing.T) {
	t.Parallel()
	b := make([]byte, 6)
	rand.Read(b)
	name := "kassa_demo_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		admin, err := sqlx.Open("postgres", dbtest.AdminURL())
		if err == nil {
			admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
			admin.Close()
		}
	})
	env := map[string]string{"DATABASE_URL": dbtest.AdminURL(), "KASSA_SECRET_KEY_FILE": filepath.Join(t.TempDir(), "secret.key")}
	cmdRE := regexp.MustCompile(`kassa terminal --url (\S+) --token (\S+) --register Front`)
	managerRE := regexp.MustCompile(`curl -H 'Authorization: Bearer (\S+)' (\S+)/api/v1/connections`)

	demo := func(wantNew bool) (importedLine string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out, errs syncBuffer
		exit := make(chan int, 1)
		go func() {
			exit <- run(ctx, []string{"demo", "--database", name, "--addr", "127.0.0.1:0", "--orders", "60", "--new-order-every", "50ms"},
				&out, &errs, func(k string) string { return env[k] })
		}()
		deadline := time.Now().Add(60 * time.Second)
		var m []string
		for m == nil {
			m = cmdRE.FindStringSubmatch(out.String())
			select {
			case c := <-exit:
				t.Fatalf("demo exited %d: %s %s", c, out.String(), errs.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("demo printed no terminal command: %s %s", out.String(), errs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cl := client.New(m[1], m[2])
		if me, err := cl.Me(ctx); err != nil || me.Role != "cashier" || !strings.Contains(out.String(), "a cashier's token") {
			t.Fatalf("the printed token: %+v, %v; the demo says:\n%s", me, err, out.String())
		}
		mm := managerRE.FindStringSubmatch(out.String())
		if mm == nil || mm[2] != m[1] {
			t.Fatalf("no manager's token for %s printed:\n%s", m[1], out.String())
		}
		if me, err := client.New(m[1], mm[1]).Me(ctx); err != nil || me.Role != "manager" {
			t.Fatalf("the printed manager's token: %+v, %v", me, err)
		}
		if wantNew {
			// New orders arrive by webhook and become sales.
			before, _ := cl.Sales(ctx, client.SalesQuery{Limit: 500})
			for {
				after, err := cl.Sales(ctx, client.SalesQuery{Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				if len(after) > len(before) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no new order became a sale: %s", out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		cancel()
		select {
		case c := <-exit:
			if c != 0 {
				t.Fatalf("demo exited %d after Ctrl-C: %s", c, errs.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("demo did not stop")
		}
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "Get all Shopify orders") {
				return l
			}
		}
		t.Fatalf("no import summary: %s", out.String())
		return ""
	}
	first := demo(true)
	if strings.Contains(first, ": 0 imported") {
		t.Fatalf("first demo imported nothing: %s", first)
	}
	second := demo(false)
	if !strings.Contains(second, ": 0 imported") {
		t.Fatalf("second demo imported orders again: %s", second)
	}
	// The demo's shop is linked as a shop is today: a Dev Dashboard app's client
	// credentials, a renewable token with its expiry, and webhook subscriptions kassa made.
	demoDB, err := sqlx.Open("postgres", dbtest.URLFor(name))
	if err != nil {
		t.Fatal(err)
	}
	defer demoDB.Close()
	var link struct {
		Auth     string `db:"auth"`
		ClientID string `db:"client_id"`
		Expiry   bool   `db:"expiry"`
		Hooks    int    `db:"hooks"`
		Creds    string `db:"creds"`
	}
	err = demoDB.Get(&link, `SELECT c.auth, c.client_id,
		EXISTS (SELECT 1 FROM shopify_credentials k WHERE k.connection_id = c.id AND k.name = 'access_token' AND k.expires_at IS NOT NULL) AS expiry,
		(SELECT count(*) FROM shopify_webhook_subscriptions w WHERE w.connection_id = c.id) AS hooks,
		(SELECT string_agg(name, ',' ORDER BY name) FROM shopify_credentials k WHERE k.connection_id = c.id) AS creds
		FROM shopify_connections c`)
	if err != nil || link.Auth != "client_credentials" || link.ClientID == "" || !link.Expiry || link.Hooks != 7 || link.Creds != "access_token,client_secret" {
		t.Fatalf("the demo's link %+v (%v): want a Dev Dashboard app's client credentials", link, err)
	}
}

func TestTerminalProgramIsPrintedAsInvoked(t *testing.T) {
	t.Parallel()
	for argv0, want := range map[string]string{
		"bin/kassa":                        "bin/kassa",
		"./kassa":                          "./kassa",
		"kassa":                            "kassa",
		"/usr/local/bin/kassa":             "/usr/local/bin/kassa",
		"/tmp/go-build123/b001/exe/kassa":  "go run ./cmd/kassa",
		"/tmp/go-build456/b001/kassa.test": "go run ./cmd/kassa",
		"/home/an/my tools/kassa":          `'/home/an/my tools/kassa'`,
		"/home/an/it's/kassa":              `'/home/an/it'\''s/kassa'`,
		"":                                 "go run ./cmd/kassa",
	} {
		if got := terminalProgram(argv0); got != want {
			t.Errorf("terminalProgram(%q) = %q, want %q", argv0, got, want)
		}
	}
}

// TestMakeDemoInATerminal runs "make demo ADDR=127.0.0.1:0" in a tmux pane, as a person
// would: the terminal command it prints works as printed in a second pane, and Ctrl-C
// stops the demo with make exiting 0.
func TestMakeDemoInATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kassa with make and drives it in tmux")
	}
	for _, tool := range []string{"tmux", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "kassa_demo_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		admin, err := sqlx.Open("postgres", dbtest.AdminURL())
		if err == nil {
			admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
			admin.Close()
		}
	})
	bin := filepath.Join(t.TempDir(), "kassa")
	socket := fmt.Sprintf("kassa-make-demo-%d", os.Getpid())
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	waitFor := func(pane, want string) string {
		t.Helper()
		re := regexp.MustCompile(want)
		deadline := time.Now().Add(4 * time.Minute) // generous: make builds kassa first on a loaded machine
		for {
			screen := tmux("capture-pane", "-p", "-J", "-S", "-100", "-t", pane)
			if re.MatchString(screen) {
				return screen
			}
			if time.Now().After(deadline) {
				t.Fatalf("pane %s never showed %q; it shows:\n%s", pane, want, screen)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	tmux("new-session", "-d", "-s", "demo", "-x", "250", "-y", "50", "-c", root, "-e", "TERM=xterm-256color", "bash --norc --noprofile")
	t.Cleanup(func() { exec.Command("tmux", "-L", socket, "kill-server").Run() })
	tmux("send-keys", "-t", "demo:0", "-l", fmt.Sprintf(
		"DATABASE_URL='%s' make demo BIN='%s' ADDR=127.0.0.1:0 DEMO_FLAGS='--database %s --orders 30 --new-order-every 1h'; echo \"make exited with $?\"",
		dbtest.AdminURL(), bin, name))
	tmux("send-keys", "-t", "demo:0", "Enter")
	screen := waitFor("demo:0", "Ctrl-C stops the demo")

	m := regexp.MustCompile(`(?m)^  (\S+) terminal --url (\S+) --token (\S+) --register Front$`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no terminal command printed:\n%s", screen)
	}
	if m[1] != bin {
		t.Errorf("the terminal command runs %q, want the binary make built, %q", m[1], bin)
	}
	// The command as printed, in another pane of the same directory.
	tmux("new-window", "-t", "demo", "-c", root, "bash --norc --noprofile")
	tmux("send-keys", "-t", "demo:1", "-l", strings.TrimSpace(m[0]))
	tmux("send-keys", "-t", "demo:1", "Enter")
	waitFor("demo:1", "Register Demo shop/Front")
	tmux("kill-window", "-t", "demo:1")

	tmux("send-keys", "-t", "demo:0", "C-c")
	screen = waitFor("demo:0", `make exited with \d`)
	if !strings.Contains(screen, "demo stopped") || !strings.Contains(screen, "make exited with 0") || strings.Contains(screen, "make: ***") {
		t.Fatalf("after Ctrl-C:\n%s", screen)
	}
}
