package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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
		if me, err := cl.Me(ctx); err != nil || me.Role != "cashier" {
			t.Fatalf("the printed token: %+v, %v", me, err)
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
}
