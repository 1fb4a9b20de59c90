package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

const (
	appClientID     = "9a8b7c6d5e4f-dev-dashboard"
	appClientSecret = "shpss_CLI-client-secret-6b1f"
)

// newAppShop is a simulated shop whose app was made in the Dev Dashboard.
func newAppShop(t *testing.T, opts shopifysim.Options) *shopifysim.Server {
	t.Helper()
	opts.ClientID, opts.Secret = appClientID, appClientSecret
	if opts.Shop == "" {
		opts.Shop = "app.myshopify.com"
	}
	if opts.Generate == nil {
		opts.Generate = &shopdata.GenerateOptions{Seed: 9, Orders: 25, Days: 20}
	}
	sim, err := shopifysim.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

type shownJSON struct {
	Shop             string     `json:"shop"`
	Auth             string     `json:"auth"`
	ClientID         string     `json:"client_id"`
	TokenExpiresAt   *time.Time `json:"token_expires_at"`
	Scopes           []string   `json:"scopes"`
	PublicURL        string     `json:"public_url"`
	ServedAPIVersion string     `json:"served_api_version"`
	APIVersion       string     `json:"api_version"`
	LastCallAt       *time.Time `json:"last_call_at"`
	Webhooks         []struct {
		Topic, State, Address string
	} `json:"webhooks"`
	Warnings []string `json:"warnings"`
}

func TestConnectADevDashboardApp(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	sim := newAppShop(t, shopifysim.Options{})
	ok(t, url, "outlet", "add", "Shop", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "register", "add", "Till", "--outlet", "Shop")
	ok(t, url, "outlet", "add", "New York", "--timezone", "America/New_York", "--currency", "USD")
	ok(t, url, "register", "add", "Desk", "--outlet", "New York")
	public := "http://" + freeAddr(t)
	secretFile := writeFile(t, "secret", appClientSecret+"\n") // as "echo SECRET > file" writes it
	connect := []string{"shopify", "connect", "--shop", "app", "--client-id", appClientID, "--client-secret-file", secretFile,
		"--outlet", "Shop", "--register", "Till", "--base-url", sim.URL}

	// Refusals: one line, nothing stored.
	fails(t, db, url, "Shopify refused the Client ID or secret for app.myshopify.com: copy both again from the app's Settings in the Dev Dashboard",
		append(connect[:6:6], "--client-secret-file", writeFile(t, "wrong", "shpss_wrong"), "--outlet", "Shop", "--register", "Till", "--base-url", sim.URL)...)
	fails(t, db, url, "give --client-id (an app made in the Dev Dashboard) or --token-file", append(append([]string{}, connect...), "--token-file", secretFile)...)
	fails(t, db, url, "--client-secret-file goes with --client-id", "shopify", "connect", "--shop", "app", "--client-secret-file", secretFile, "--register", "Till")
	fails(t, db, url, "shopify connect needs the app's client secret: give --client-secret-file FILE or set KASSA_SHOPIFY_CLIENT_SECRET",
		"shopify", "connect", "--shop", "app", "--client-id", appClientID, "--outlet", "Shop", "--register", "Till", "--base-url", sim.URL)
	fails(t, db, url, `app.myshopify.com sells in EUR and the outlet "New York" counts in USD`,
		"shopify", "connect", "--shop", "app", "--client-id", appClientID, "--client-secret-file", secretFile, "--outlet", "New York", "--register", "Desk", "--base-url", sim.URL)
	fails(t, db, url, "Shopify delivers webhooks over HTTPS only", append(append([]string{}, connect...), "--public-url", "http://kassa.example.com")...)
	for code, want := range map[string]string{
		shopifysim.RefuseShopNotPermitted: "create the app in the Dev Dashboard of the organization that owns the store",
		shopifysim.RefuseAppNotInstalled:  "the app is not installed on app.myshopify.com (app_not_installed): install it on the store first",
	} {
		if err := sim.SetTokenRefusal(code); err != nil {
			t.Fatal(err)
		}
		fails(t, db, url, want, connect...)
	}
	_ = sim.SetTokenRefusal("")
	noOrders := newAppShop(t, shopifysim.Options{Shop: "scopeless.myshopify.com", Scopes: []string{"read_products"}})
	fails(t, db, url, "the app may not read the orders of scopeless.myshopify.com: give it the read_orders access scope",
		"shopify", "connect", "--shop", "scopeless", "--client-id", appClientID, "--client-secret-file", secretFile, "--outlet", "Shop", "--register", "Till", "--base-url", noOrders.URL)

	// Connected, with the webhooks subscribed at the public URL.
	code, out, errOut := kassa(t, url, append(append([]string{}, connect...), "--public-url", public)...)
	if code != 0 {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	for _, want := range []string{
		"connected app.myshopify.com (app, Development plan) to outlet \"Shop\", register \"Till\"",
		"authentication: Dev Dashboard app (Client ID and secret, 24-hour tokens renewed automatically)",
		"access token:   valid until ",
		"granted scopes: read_orders, read_products, read_inventory, write_inventory",
		"webhooks:       7 topics subscribed at " + public + "/webhooks/shopify",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("connect said %q, want %q", out, want)
		}
	}
	if !strings.Contains(errOut, "kassa: warning: the app has no read_all_orders scope") || onlyWarnings(errOut) != "" {
		t.Errorf("connect warned %q", errOut)
	}
	if n := len(sim.Webhooks()); n != 7 {
		t.Fatalf("%d subscriptions", n)
	}

	var shown shownJSON
	mustJSON(t, ok(t, url, "shopify", "show", "--json"), &shown)
	if shown.Auth != "client_credentials" || shown.ClientID != appClientID || shown.TokenExpiresAt == nil || len(shown.Webhooks) != 7 ||
		shown.PublicURL != public || shown.ServedAPIVersion != "2026-10" || shown.LastCallAt == nil || len(shown.Scopes) != 5 {
		t.Fatalf("show --json %+v", shown)
	}
	text := ok(t, url, "shopify", "show")
	for _, want := range []string{"authentication:", "Dev Dashboard app", "client ID:", appClientID, "access token:", "valid until",
		"granted scopes:", "read_orders", "answered in API version:", "webhooks:", public + "/webhooks/shopify: app/uninstalled, bulk_operations/finish, orders/cancelled",
		"last successful call:"} {
		if !strings.Contains(text, want) {
			t.Errorf("show said %q, want %q", text, want)
		}
	}

	// Shopify deletes a subscription: 'shopify webhooks' says so.
	for _, w := range sim.Webhooks() {
		if w.Topic == "refunds/create" {
			sim.DeleteWebhook(w.ID)
		}
	}
	var hooks struct {
		Subscriptions []struct{ Topic, State string } `json:"subscriptions"`
	}
	mustJSON(t, ok(t, url, "shopify", "webhooks", "--json"), &hooks)
	states := map[string]string{}
	for _, h := range hooks.Subscriptions {
		states[h.Topic] = h.State
	}
	if len(states) != 7 || states["refunds/create"] != "missing" || states["orders/create"] != "subscribed" {
		t.Fatalf("webhooks %+v", hooks)
	}
	if out := ok(t, url, "shopify", "webhooks"); !strings.Contains(out, "refunds/create") || !strings.Contains(out, "missing") {
		t.Fatalf("webhooks text %q", out)
	}

	// The token works for imports.
	var run importJSON
	mustJSON(t, ok(t, url, "orders", "get-all", "--json"), &run)
	if run.Seen != 25 || run.Outcomes["failed"] != 0 {
		t.Fatalf("get-all %+v", run)
	}
	// Connecting again with a legacy token replaces the app's credentials: no stale secret
	// or token stays.
	legacy, err := shopifysim.NewServer(shopifysim.Options{Shop: "app.myshopify.com", Token: "shpat_legacy-77", Secret: "whsec_legacy-77"})
	if err != nil {
		t.Fatal(err)
	}
	defer legacy.Close()
	code, _, errOut = kassaEnv(t, map[string]string{"DATABASE_URL": url, "KASSA_SECRET_KEY_FILE": testKeyFile(t, url),
		"KASSA_SHOPIFY_TOKEN": "shpat_legacy-77", "KASSA_SHOPIFY_SECRET": "whsec_legacy-77"},
		"shopify", "connect", "--shop", "app", "--outlet", "Shop", "--register", "Till", "--base-url", legacy.URL)
	if code != 0 {
		t.Fatalf("legacy connect: %s", errOut)
	}
	var names []string
	if err := db.Select(&names, `SELECT name FROM shopify_credentials ORDER BY name`); err != nil || strings.Join(names, ",") != "access_token,webhook_secret" {
		t.Fatalf("credentials after the legacy connect: %v %v", names, err)
	}
	var again shownJSON
	mustJSON(t, ok(t, url, "shopify", "show", "--json"), &again)
	if again.Auth != "legacy_token" || again.TokenExpiresAt != nil || again.ClientID != "" || again.PublicURL != public {
		t.Fatalf("show after the legacy connect %+v", again)
	}
}

func TestShowSaysWhenShopifyAnswersInAnotherVersion(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	_ = db
	sim := newAppShop(t, shopifysim.Options{ServeVersion: "2026-07"})
	ok(t, url, "outlet", "add", "Shop", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "register", "add", "Till", "--outlet", "Shop")
	code, _, errOut := kassaEnv(t, map[string]string{"DATABASE_URL": url, "KASSA_SECRET_KEY_FILE": testKeyFile(t, url), "KASSA_SHOPIFY_CLIENT_SECRET": appClientSecret},
		"shopify", "connect", "--shop", "app", "--client-id", appClientID, "--register", "Till", "--base-url", sim.URL)
	if code != 0 {
		t.Fatal(errOut)
	}
	if out := ok(t, url, "shopify", "show"); !strings.Contains(out, "answered in API version:  2026-07 — not 2026-10: Shopify no longer serves the version kassa asks for") {
		t.Fatalf("show %q", out)
	}
	var shown shownJSON
	mustJSON(t, ok(t, url, "shopify", "show", "--json"), &shown)
	if shown.APIVersion != "2026-10" || shown.ServedAPIVersion != "2026-07" {
		t.Fatalf("show --json %+v", shown)
	}
}

// TestSecretsNeverShowInAFullRun connects a Dev Dashboard app and a legacy app, imports,
// serves webhooks with token renewals, and asks for every listing in text and JSON, the
// metrics and the readiness; then greps all of it, the daemon's debug log and the database
// for the client secret, the legacy token and secret, and every token Shopify issued.
func TestSecretsNeverShowInAFullRun(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	sim := newAppShop(t, shopifysim.Options{TokenTTL: time.Hour})
	legacy, err := shopifysim.NewServer(shopifysim.Options{Shop: "old.myshopify.com", Token: "shpat_LEGACY-token-5c2", Secret: "whsec_LEGACY-secret-5c2",
		Generate: &shopdata.GenerateOptions{Seed: 2, Orders: 5, Days: 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer legacy.Close()
	env := map[string]string{"DATABASE_URL": url, "KASSA_SECRET_KEY_FILE": testKeyFile(t, url)}
	var seen strings.Builder
	runKassa := func(extra map[string]string, args ...string) (int, string) {
		t.Helper()
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		for k, v := range extra {
			e[k] = v
		}
		code, out, errOut := kassaEnv(t, e, args...)
		seen.WriteString(out + errOut)
		return code, out
	}
	mustRun := func(extra map[string]string, args ...string) string {
		t.Helper()
		code, out := runKassa(extra, args...)
		if code != 0 {
			t.Fatalf("kassa %s: exit %d: %s", strings.Join(args, " "), code, seen.String())
		}
		return out
	}
	mustRun(nil, "outlet", "add", "Shop", "--timezone", "Europe/Brussels", "--currency", "EUR")
	mustRun(nil, "register", "add", "Till", "--outlet", "Shop")
	addr := freeAddr(t)
	withSecret := map[string]string{"KASSA_SHOPIFY_CLIENT_SECRET": appClientSecret}
	// A refusal's message, the connects (text and JSON), the legacy connect.
	runKassa(map[string]string{"KASSA_SHOPIFY_CLIENT_SECRET": "shpss_WRONG-secret"}, "shopify", "connect", "--shop", "app", "--client-id", appClientID, "--register", "Till", "--base-url", sim.URL)
	mustRun(withSecret, "shopify", "connect", "--shop", "app", "--client-id", appClientID, "--register", "Till", "--base-url", sim.URL, "--public-url", "http://"+addr)
	mustRun(withSecret, "shopify", "connect", "--shop", "app", "--client-id", appClientID, "--register", "Till", "--base-url", sim.URL, "--public-url", "http://"+addr, "--json")
	mustRun(map[string]string{"KASSA_SHOPIFY_TOKEN": "shpat_LEGACY-token-5c2", "KASSA_SHOPIFY_SECRET": "whsec_LEGACY-secret-5c2"},
		"shopify", "connect", "--shop", "old", "--register", "Till", "--base-url", legacy.URL)
	for _, args := range [][]string{
		{"orders", "get-all", "--connection", "app", "--json"}, {"orders", "get-all", "--connection", "old"},
		{"shopify", "list"}, {"shopify", "list", "--json"}, {"shopify", "show", "app"}, {"shopify", "show", "app", "--json"},
		{"shopify", "show", "old", "--json"}, {"shopify", "webhooks", "--connection", "app"}, {"shopify", "webhooks", "--connection", "app", "--json"},
		{"imports", "list", "--json"}, {"secret", "status", "--json"},
	} {
		mustRun(nil, args...)
	}

	// The daemon, at debug level: the token was revoked meanwhile, so it renews it; a new
	// order arrives by webhook; the metrics and readiness are read.
	sim.RevokeTokens()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--addr", addr, "--public-url", "http://" + addr, "--log-level", "debug"}, &out, &errs,
			func(k string) string { return env[k] })
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		if status, _ := get("http://" + addr + "/readyz"); status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become ready: %s", errs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for !strings.Contains(errs.String(), "shopify access token renewed") {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not renew the revoked token: %s", errs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	o, err := sim.NewOrder()
	if err != nil {
		t.Fatal(err)
	}
	for {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM import_outcomes WHERE shopify_order_id = $1`, int64(o.ID)); err == nil && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook's order was not imported: %s", errs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, path := range []string{"/metrics", "/readyz"} {
		_, body := get("http://" + addr + path)
		seen.WriteString(body)
	}
	cancel()
	if c := <-exit; c != 0 {
		t.Fatalf("serve exited %d: %s", c, errs.String())
	}
	seen.WriteString(out.String() + errs.String())

	secrets := append([]string{appClientSecret, "shpss_WRONG-secret", "shpat_LEGACY-token-5c2", "whsec_LEGACY-secret-5c2"}, sim.IssuedTokens()...)
	if len(secrets) < 6 {
		t.Fatalf("only %d tokens were issued: the run did not renew", len(secrets)-4)
	}
	all := seen.String()
	for _, s := range secrets {
		if strings.Contains(all, s) {
			i := strings.Index(all, s)
			t.Errorf("%q shows in the run's output: …%s…", s[:10], all[max(i-200, 0):i])
		}
	}
	if !strings.Contains(all, "kassa_shopify_token_renewals_total") || !strings.Contains(all, `"auth":"client_credentials"`) {
		t.Fatalf("the run did not show what the test greps: %.500s", all)
	}
	if found := leaks(t, db, secrets...); len(found) > 0 {
		t.Fatalf("the database shows a secret in plain text:\n%s", strings.Join(found, "\n"))
	}
}

// TestConnectAsksForTheClientSecretWithoutEcho runs 'kassa shopify connect --client-id' on
// a terminal (tmux): it asks for the client secret, and what is typed never shows.
func TestConnectAsksForTheClientSecretWithoutEcho(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kassa binary and drives it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	sim := newAppShop(t, shopifysim.Options{})
	ok(t, url, "outlet", "add", "Shop", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "register", "add", "Till", "--outlet", "Shop")
	bin := filepath.Join(t.TempDir(), "kassa")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build kassa: %v\n%s", err, out)
	}
	keyFile := testKeyFile(t, url)
	sc := &tmuxScreen{t: t, socket: fmt.Sprintf("kassa-client-secret-%d", os.Getpid())}
	cmdline := fmt.Sprintf("env DATABASE_URL=%q KASSA_SECRET_KEY_FILE=%q %s shopify connect --shop app --client-id %s --register Till --base-url %s; echo EXIT=$?; sleep 600",
		url, keyFile, bin, appClientID, sim.URL)
	if out, err := sc.tmux("new-session", "-d", "-s", "kassa", "-x", "160", "-y", "30", cmdline); err != nil {
		t.Fatalf("tmux: %v: %s", err, out)
	}
	t.Cleanup(func() { sc.tmux("kill-server") })
	sc.waitFor("Shopify app client secret (Dev Dashboard, Settings) (not shown as you type):")
	sc.send(true, appClientSecret)
	sc.send(false, "Enter")
	screen := sc.waitFor("EXIT=")
	if !strings.Contains(screen, "EXIT=0") || !strings.Contains(screen, "connected app.myshopify.com") || strings.Contains(screen, appClientSecret) {
		t.Fatalf("connect on a terminal:\n%s", screen)
	}
	c, err := shopify.ConnectionStore{Secrets: secret.KeyFile(keyFile)}.ByShop(context.Background(), db, "app")
	if err != nil || c.ClientSecret != appClientSecret || c.Auth != shopify.AuthClientCredentials {
		t.Fatalf("stored %q (%v)", c.Auth, err)
	}
}

// TestConnectShowsShopifysTextSafely: the shop's name is Shopify's text, shown without the
// control and direction characters that would rewrite the terminal.
func TestConnectShowsShopifysTextSafely(t *testing.T) {
	t.Parallel()
	_, url := dbtest.NewWithURL(t)
	sim := newAppShop(t, shopifysim.Options{ShopName: "Caf\u00e9 \x1b[2J\x1b[31mGent\u202e\u2066 \a"})
	ok(t, url, "outlet", "add", "Shop", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "register", "add", "Till", "--outlet", "Shop")
	code, out, errOut := kassaEnv(t, map[string]string{"DATABASE_URL": url, "KASSA_SECRET_KEY_FILE": testKeyFile(t, url), "KASSA_SHOPIFY_CLIENT_SECRET": appClientSecret},
		"shopify", "connect", "--shop", "app", "--client-id", appClientID, "--register", "Till", "--base-url", sim.URL)
	if code != 0 {
		t.Fatal(errOut)
	}
	if !strings.Contains(out, "connected app.myshopify.com (Café [2J[31mGent , Development plan)") || strings.ContainsAny(out, "\x1b\a\u202e\u2066") {
		t.Fatalf("connect showed %q", out)
	}
}
