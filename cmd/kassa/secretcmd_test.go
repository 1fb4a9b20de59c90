package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// secretShop is a test database with an outlet, a register and a simulated shop whose
// token and webhook secret are the plain texts a dump must not show.
type secretShop struct {
	db      *sqlx.DB
	url     string
	keyFile string
	srv     *shopifysim.Server
	env     map[string]string
}

const (
	plainToken  = "shpat_PLAIN-TOKEN-4711"
	plainSecret = "whsec_PLAIN-SECRET-0815"
)

func newSecretShop(t *testing.T) *secretShop {
	t.Helper()
	db, url := dbtest.NewWithURL(t)
	srv, err := shopifysim.NewServer(shopifysim.Options{Shop: "vault.myshopify.com", Token: plainToken, Secret: plainSecret,
		Generate: &shopdata.GenerateOptions{Seed: 5, Orders: 12, Days: 20}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	s := &secretShop{db: db, url: url, keyFile: filepath.Join(t.TempDir(), "config", "kassa", "secret.key"), srv: srv}
	s.env = map[string]string{"DATABASE_URL": url, "KASSA_SECRET_KEY_FILE": s.keyFile}
	s.ok(t, "outlet", "add", "Shop", "--timezone", "Europe/Brussels", "--currency", "EUR")
	s.ok(t, "register", "add", "Till")
	return s
}

func (s *secretShop) run(t *testing.T, extra map[string]string, args ...string) (int, string, string) {
	t.Helper()
	env := map[string]string{}
	for k, v := range s.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return kassaEnv(t, env, args...)
}

func (s *secretShop) ok(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := s.run(t, nil, args...)
	if code != 0 {
		t.Fatalf("kassa %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func (s *secretShop) connectArgs(extra ...string) []string {
	return append([]string{"shopify", "connect", "--shop", "vault", "--register", "Till", "--base-url", s.srv.URL}, extra...)
}

// leaks returns every row of every table, as PostgreSQL prints it, that holds one of the
// plain texts (as text, or as the hex of a bytea): what a dump or a backup would show.
func leaks(t *testing.T, db *sqlx.DB, plains ...string) []string {
	t.Helper()
	var tables []string
	if err := db.Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, table := range tables {
		var rows []string
		if err := db.Select(&rows, fmt.Sprintf(`SELECT t::text FROM %q t`, table)); err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for _, p := range plains {
				if strings.Contains(row, p) || strings.Contains(row, hex.EncodeToString([]byte(p))) {
					found = append(found, table+": "+row)
				}
			}
		}
	}
	return found
}

func TestShopifyCredentialsAreEncryptedAtRest(t *testing.T) {
	t.Parallel()
	s := newSecretShop(t)
	tokenFile := writeFile(t, "token.txt", plainToken+"\n") // as "echo TOKEN > token.txt" writes it
	code, out, errOut := s.run(t, map[string]string{"KASSA_SHOPIFY_SECRET": plainSecret}, s.connectArgs("--token-file", tokenFile)...)
	if code != 0 || onlyWarnings(errOut) != "" || !strings.Contains(out, "stored encrypted with the key in "+s.keyFile) {
		t.Fatalf("connect: exit %d, %q, %q", code, out, errOut)
	}

	// The key file was made private, in a private folder.
	for path, want := range map[string]os.FileMode{s.keyFile: 0o600, filepath.Dir(s.keyFile): 0o700} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %04o; want %04o", path, err, fi.Mode().Perm(), want)
		}
	}
	// Neither the connection's row nor any other row holds the plain text.
	var row struct {
		Token  string `db:"access_token"`
		Secret string `db:"webhook_secret"`
	}
	if err := s.db.Get(&row, `SELECT access_token, webhook_secret FROM shopify_connections WHERE shop = 'vault.myshopify.com'`); err != nil {
		t.Fatal(err)
	}
	if row.Token != "" || row.Secret != "" {
		t.Errorf("the connection row holds %q and %q", row.Token, row.Secret)
	}
	if found := leaks(t, s.db, plainToken, plainSecret); len(found) > 0 {
		t.Fatalf("the database shows a credential in plain text:\n%s", strings.Join(found, "\n"))
	}
	var n int
	if err := s.db.Get(&n, `SELECT count(*) FROM shopify_credentials`); err != nil || n != 2 {
		t.Fatalf("%d sealed credentials (%v), want 2", n, err)
	}

	// The importer reads the token back: the simulator accepts only the right one.
	var run importJSON
	mustJSON(t, s.ok(t, "orders", "get-all", "--json"), &run)
	if run.Outcomes["imported"] == 0 || run.Outcomes["failed"] != 0 {
		t.Fatalf("get-all with the sealed token: %+v", run)
	}
	// So does the daemon, with the webhook secret.
	webhookAccepted(t, s)

	// Without the key the credentials cannot be read, and kassa says what to do.
	code, _, errOut = kassaEnv(t, map[string]string{"DATABASE_URL": s.url, "KASSA_SECRET_KEY_FILE": filepath.Join(t.TempDir(), "other.key")}, "orders", "get-new")
	if code == 0 || !strings.Contains(errOut, "cannot read the Shopify credentials of vault.myshopify.com") ||
		!strings.Contains(errOut, "give kassa the key file they were encrypted with (KASSA_SECRET_KEY_FILE)") {
		t.Fatalf("get-new with another key file: exit %d, %q", code, errOut)
	}
	assertNoInternals(t, errOut)
}

// webhookAccepted runs "kassa serve" with the shop's key file and sends it one delivery
// signed with the webhook secret (accepted) and one signed with another (refused).
func webhookAccepted(t *testing.T, s *secretShop) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := freeAddr(t)
	var out, errs syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--addr", addr}, &out, &errs, func(k string) string { return s.env[k] })
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		if status, _ := get("http://" + addr + "/readyz"); status == http.StatusOK {
			break
		}
		select {
		case c := <-exit:
			t.Fatalf("serve exited %d: %s", c, errs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become ready: %s", errs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	body := []byte(`{"id": 1, "name": "#1", "line_items": []}`)
	for i, key := range []string{plainSecret, "not-the-secret"} {
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write(body)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/shopify", bytes.NewReader(body))
		req.Header.Set("X-Shopify-Shop-Domain", "vault.myshopify.com")
		req.Header.Set("X-Shopify-Topic", "orders/create")
		req.Header.Set("X-Shopify-Webhook-Id", fmt.Sprintf("test-%d", i))
		req.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: http.StatusOK, false: http.StatusUnauthorized}[i == 0]; resp.StatusCode != want {
			t.Errorf("delivery signed with %q: %d, want %d; log: %s", key, resp.StatusCode, want, errs.String())
		}
	}
	cancel()
	if c := <-exit; c != 0 {
		t.Fatalf("serve exited %d: %s", c, errs.String())
	}
}

func TestConnectTakesSecretsFromFilesEnvironmentOrDeprecatedFlags(t *testing.T) {
	t.Parallel()
	s := newSecretShop(t)
	before := dbtest.Counts(t, s.db)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no credentials anywhere", nil, nil, "shopify connect needs the app's Client ID and secret (--client-id ID --client-secret-file FILE), or, for an app made in the Shopify admin before 2026, its access token (--token-file FILE or KASSA_SHOPIFY_TOKEN)"},
		{"no secret anywhere", map[string]string{"KASSA_SHOPIFY_TOKEN": plainToken}, nil, "needs the webhook secret: give --secret-file FILE or set KASSA_SHOPIFY_SECRET"},
		{"missing file", nil, []string{"--token-file", "/nonexistent/token"}, `--token-file "/nonexistent/token" cannot be read: no such file or directory`},
		{"empty file", nil, []string{"--token-file", writeFile(t, "empty", "\n")}, "is empty"},
		{"two lines", nil, []string{"--token-file", writeFile(t, "two", "a\nb\n")}, "holds more than one line"},
		{"file and flag", nil, []string{"--token-file", writeFile(t, "t", "x"), "--token", "y"}, "give --token-file or --token, not both"},
	} {
		code, _, errOut := s.run(t, tc.env, s.connectArgs(tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, %q; want %q", tc.name, code, errOut, tc.want)
		}
	}
	dbtest.Unchanged(t, s.db, before)
	if _, err := os.Stat(s.keyFile); err == nil {
		t.Error("a refused connect created the key file")
	}

	// The deprecated flags still work, with a warning each.
	code, _, errOut := s.run(t, nil, s.connectArgs("--token", plainToken, "--secret", plainSecret)...)
	if code != 0 || !strings.Contains(errOut, "warning: --token shows the Admin API access token to every user of this machine (ps)") ||
		!strings.Contains(errOut, "warning: --secret shows the webhook secret") || strings.Contains(errOut, plainToken) {
		t.Fatalf("connect with --token and --secret: exit %d, %q", code, errOut)
	}
	if found := leaks(t, s.db, plainToken, plainSecret); len(found) > 0 {
		t.Fatalf("plain text stored: %v", found)
	}
	// The environment, and a file with Windows line ending.
	code, _, errOut = s.run(t, map[string]string{"KASSA_SHOPIFY_TOKEN": plainToken},
		s.connectArgs("--secret-file", writeFile(t, "secret", plainSecret+"\r\n"))...)
	if code != 0 || onlyWarnings(errOut) != "" {
		t.Fatalf("connect from the environment: exit %d, %q", code, errOut)
	}
	c, err := shopify.ConnectionStore{Secrets: secret.KeyFile(s.keyFile)}.ByShop(context.Background(), s.db, "vault")
	if err != nil || c.AccessToken != plainToken || c.WebhookSecret != plainSecret {
		t.Fatalf("stored credentials read back as %q, %q (%v)", c.AccessToken, c.WebhookSecret, err)
	}
}

func TestKeyFileReadableByOthersIsRefused(t *testing.T) {
	t.Parallel()
	s := newSecretShop(t)
	s.run(t, map[string]string{"KASSA_SHOPIFY_TOKEN": plainToken, "KASSA_SHOPIFY_SECRET": plainSecret}, s.connectArgs()...)
	if err := os.Chmod(s.keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	before := dbtest.Counts(t, s.db)
	for _, args := range [][]string{{"orders", "get-all"}, s.connectArgs()} {
		code, _, errOut := s.run(t, map[string]string{"KASSA_SHOPIFY_TOKEN": "t2", "KASSA_SHOPIFY_SECRET": "s2"}, args...)
		if code == 0 || !strings.Contains(errOut, "the secret key file can be read by other users: "+s.keyFile+" has mode 0644; make it private with 'chmod 600 "+s.keyFile+"'") {
			t.Errorf("kassa %s with a key file of mode 0644: exit %d, %q", strings.Join(args, " "), code, errOut)
		}
	}
	dbtest.Unchanged(t, s.db, before)
}

// TestPlainCredentialsAreEncryptedOnFirstUse: a connection made before credentials were
// encrypted (migration 12) is sealed by "kassa migrate up", or else by the first command
// that reads its credentials; nothing is left half written.
func TestPlainCredentialsAreEncryptedOnFirstUse(t *testing.T) {
	t.Parallel()
	s := newSecretShop(t)
	s.run(t, map[string]string{"KASSA_SHOPIFY_TOKEN": plainToken, "KASSA_SHOPIFY_SECRET": plainSecret}, s.connectArgs()...)
	asBefore12 := func() {
		t.Helper()
		if _, err := s.db.Exec(`DELETE FROM shopify_credentials`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.Exec(`UPDATE shopify_connections SET access_token = $1, webhook_secret = $2`, plainToken, plainSecret); err != nil {
			t.Fatal(err)
		}
	}
	sealed := func(when string) {
		t.Helper()
		if found := leaks(t, s.db, plainToken, plainSecret); len(found) > 0 {
			t.Fatalf("%s: plain text left: %v", when, found)
		}
		c, err := shopify.ConnectionStore{Secrets: secret.KeyFile(s.keyFile)}.ByShop(context.Background(), s.db, "vault")
		if err != nil || c.AccessToken != plainToken || c.WebhookSecret != plainSecret {
			t.Fatalf("%s: read back %q, %q (%v)", when, c.AccessToken, c.WebhookSecret, err)
		}
	}

	asBefore12()
	if out := s.ok(t, "secret", "status"); !strings.Contains(out, "stored credentials: 2 in plain text") {
		t.Errorf("secret status before sealing: %q", out)
	}
	if out := s.ok(t, "migrate", "up"); !strings.Contains(out, "encrypted the Shopify credentials of 1 connection(s) with the key in "+s.keyFile) {
		t.Fatalf("migrate up: %q", out)
	}
	sealed("after migrate up")
	if out := s.ok(t, "migrate", "up"); strings.Contains(out, "encrypted") {
		t.Errorf("a second migrate up encrypted again: %q", out)
	}

	asBefore12()
	var run importJSON
	mustJSON(t, s.ok(t, "orders", "get-all", "--json"), &run)
	if run.Outcomes["imported"] == 0 {
		t.Fatalf("get-all on a plain-text connection: %+v", run)
	}
	sealed("after the first import")

	// Rolling migration 12 back never writes the plain text again: the connection is
	// disconnected, to be connected again.
	db := s.db
	for out := ""; !strings.Contains(out, "rolled back migration 12"); {
		out = s.ok(t, "migrate", "down")
		if strings.Contains(out, "rolled back migration 11") {
			t.Fatalf("migrate down went past 12: %q", out)
		}
	}
	var enabled bool
	var token string
	if err := db.QueryRow(`SELECT enabled, access_token FROM shopify_connections`).Scan(&enabled, &token); err != nil || enabled || token != "" {
		t.Fatalf("after down: enabled %v, token %q (%v)", enabled, token, err)
	}
}

func TestSecretRotate(t *testing.T) {
	t.Parallel()
	s := newSecretShop(t)
	s.run(t, map[string]string{"KASSA_SHOPIFY_TOKEN": plainToken, "KASSA_SHOPIFY_SECRET": plainSecret}, s.connectArgs()...)
	daemonBox := secret.KeyFile(s.keyFile) // a running daemon's, read before the rotation
	if _, err := (shopify.ConnectionStore{Secrets: daemonBox}).ByShop(context.Background(), s.db, "vault"); err != nil {
		t.Fatal(err)
	}
	keyOf := func() map[string]bool {
		var sealed [][]byte
		if err := s.db.Select(&sealed, `SELECT sealed FROM shopify_credentials`); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, v := range sealed {
			id, err := secret.KeyOf(v)
			if err != nil {
				t.Fatal(err)
			}
			out[id] = true
		}
		return out
	}
	var st struct {
		Keys        []string `json:"keys"`
		Credentials []struct {
			KeyID string `json:"key_id"`
			Count int    `json:"count"`
		} `json:"credentials"`
	}
	mustJSON(t, s.ok(t, "secret", "status", "--json"), &st)
	if len(st.Keys) != 1 || len(st.Credentials) != 1 || st.Credentials[0].KeyID != st.Keys[0] || st.Credentials[0].Count != 2 {
		t.Fatalf("secret status %+v", st)
	}
	old := st.Keys[0]

	// --keep-old-key re-encrypts but leaves the old key readable; the next rotate finishes
	// with the same new key.
	var rot struct {
		KeyID   string   `json:"key_id"`
		Again   int      `json:"encrypted_again"`
		Dropped []string `json:"dropped_keys"`
	}
	mustJSON(t, s.ok(t, "secret", "rotate", "--keep-old-key", "--json"), &rot)
	if rot.KeyID == old || rot.Again != 2 || len(rot.Dropped) != 0 || !keyOf()[rot.KeyID] || len(keyOf()) != 1 {
		t.Fatalf("rotate --keep-old-key: %+v; keys in use %v", rot, keyOf())
	}
	fresh := rot.KeyID
	out := s.ok(t, "secret", "rotate")
	if !strings.Contains(out, "encrypted 0 stored credential(s) again under the new key "+fresh) || !strings.Contains(out, "removed the old key "+old) {
		t.Fatalf("rotate: %q", out)
	}
	raw, err := os.ReadFile(s.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if keys := strings.Count(string(raw), "="); keys != 1 {
		t.Errorf("the key file holds %d keys after the rotation:\n%s", keys, raw)
	}
	if fi, _ := os.Stat(s.keyFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o after the rotation", fi.Mode().Perm())
	}

	// The running daemon follows the new key without a restart, and imports still work.
	c, err := shopify.ConnectionStore{Secrets: daemonBox}.ByShop(context.Background(), s.db, "vault")
	if err != nil || c.AccessToken != plainToken {
		t.Fatalf("the daemon's box after the rotation: %q, %v", c.AccessToken, err)
	}
	var run importJSON
	mustJSON(t, s.ok(t, "orders", "get-all", "--json"), &run)
	if run.Outcomes["imported"] == 0 {
		t.Fatalf("get-all after the rotation: %+v", run)
	}
	// A third rotation again moves everything to a new key.
	out = s.ok(t, "secret", "rotate")
	if !strings.Contains(out, "encrypted 2 stored credential(s) again") || keyOf()[fresh] {
		t.Fatalf("second rotation: %q; keys %v", out, keyOf())
	}
}

// TestConnectAsksForSecretsWithoutEcho runs "kassa shopify connect" on a terminal (tmux):
// it asks for the token and the secret, and what is typed never shows on the screen.
func TestConnectAsksForSecretsWithoutEcho(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kassa binary and drives it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	t.Parallel()
	s := newSecretShop(t)
	bin := filepath.Join(t.TempDir(), "kassa")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build kassa: %v\n%s", err, out)
	}
	sc := &tmuxScreen{t: t, socket: fmt.Sprintf("kassa-secret-%d", os.Getpid())}
	cmdline := fmt.Sprintf("env DATABASE_URL=%q KASSA_SECRET_KEY_FILE=%q %s %s; echo EXIT=$?; sleep 600",
		s.url, s.keyFile, bin, strings.Join(s.connectArgs(), " "))
	if out, err := sc.tmux("new-session", "-d", "-s", "kassa", "-x", "120", "-y", "30", cmdline); err != nil {
		t.Fatalf("tmux: %v: %s", err, out)
	}
	t.Cleanup(func() { sc.tmux("kill-server") })
	// What is typed is the shop's token and secret: connect checks the token with Shopify.
	sc.waitFor("Shopify Admin API access token (not shown as you type):")
	sc.send(true, plainToken)
	sc.send(false, "Enter")
	sc.waitFor("Shopify webhook signing secret (not shown as you type):")
	sc.send(true, plainSecret)
	sc.send(false, "Enter")
	screen := sc.waitFor("EXIT=")
	if !strings.Contains(screen, "EXIT=0") || !strings.Contains(screen, "connected vault.myshopify.com") {
		t.Fatalf("connect on a terminal:\n%s", screen)
	}
	if strings.Contains(screen, plainToken) || strings.Contains(screen, plainSecret) {
		t.Fatalf("the typed secrets show on the screen:\n%s", screen)
	}
	c, err := shopify.ConnectionStore{Secrets: secret.KeyFile(s.keyFile)}.ByShop(context.Background(), s.db, "vault")
	if err != nil || c.AccessToken != plainToken || c.WebhookSecret != plainSecret {
		t.Fatalf("stored %q, %q (%v)", c.AccessToken, c.WebhookSecret, err)
	}
}

// onlyWarnings returns what stderr holds besides "kassa: warning:" lines.
func onlyWarnings(stderr string) string {
	var rest []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if line != "" && !strings.HasPrefix(line, "kassa: warning: ") {
			rest = append(rest, line)
		}
	}
	return strings.Join(rest, "\n")
}
