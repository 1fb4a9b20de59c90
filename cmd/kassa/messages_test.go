package main

import (
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// internals are traces of Go, the driver or the libraries in a message: staff should
// never read them.
var internals = []string{"strconv.", "Go struct", "Go value", "sql:", "pq:", "goose", "partial migration",
	"unmarshal", "invalid syntax", "dial tcp", "context canceled", "context deadline", "EOF", "<nil>", "%!", "runtime error", "panic"}

// jsonPrefix is encoding/json's "json: cannot unmarshal ..." (not a file name such as
// orders.json: ...).
var jsonPrefix = regexp.MustCompile(`(^|[\s:])json:`)

// repeated returns a part of msg that it says twice ("session 99: session 99: not
// found"), or "".
func repeated(msg string) string {
	seen := map[string]bool{}
	for _, part := range strings.Split(msg, ": ") {
		part = strings.TrimSpace(strings.TrimPrefix(part, "kassa"))
		if len(part) < 3 {
			continue
		}
		if seen[part] {
			return part
		}
		seen[part] = true
	}
	return ""
}

// assertNoInternals fails the test when msg carries Go internals or a repeated prefix.
func assertNoInternals(t *testing.T, msg string) {
	t.Helper()
	for _, bad := range internals {
		if strings.Contains(msg, bad) {
			t.Errorf("message %q shows %q", msg, bad)
		}
	}
	if jsonPrefix.MatchString(msg) {
		t.Errorf("message %q shows the JSON decoder's words", msg)
	}
	if part := repeated(msg); part != "" {
		t.Errorf("message %q says %q twice", msg, part)
	}
}

// TestEveryCLIErrorIsOneSentenceForStaff feeds bad input to every command and flag and
// checks each refusal: a non-zero exit, one line, no Go internals, nothing said twice,
// and the database unchanged.
func TestEveryCLIErrorIsOneSentenceForStaff(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	seedAwaitingOrder(t, db, shop, "#1002", "12.00")
	ok(t, url, "product", "add", "Cup", "--sku", "CUP", "--price", "2.00")
	ok(t, url, "product", "add", "Gift wrap", "--sku", "WRAP", "--price", "1.00", "--no-stock")
	sim, err := shopifysim.NewServer(shopifysim.Options{Token: "tok", Secret: "sec"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	conn := []string{"shopify", "connect", "--shop", "demo", "--register", "Till", "--token-file", writeFile(t, "t", "tok"), "--secret-file", writeFile(t, "s", "sec"),
		"--base-url", sim.URL}
	ok(t, url, conn...)
	badURL := "postgres://postgres@127.0.0.1:1/nope?sslmode=disable&connect_timeout=2"
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"outlet", "add"}, "NAME"},
		{[]string{"outlet", "add", "Gent", "--timezone", "Europe/Brussels", "--currency", "EUR"}, "already exists"},
		{[]string{"outlet", "add", "X", "--timezone", "Mars/Olympus", "--currency", "EUR"}, "time zone"},
		{[]string{"outlet", "add", "X", "--timezone", "Europe/Brussels", "--currency", "euro"}, "ISO 4217"},
		{[]string{"outlet", "list", "--json=maybe"}, "true or false"},
		{[]string{"register", "add", "Till", "--outlet", "Nope"}, "Nope"},
		{[]string{"register", "list", "--outlet", "Nope"}, "Nope"},
		{[]string{"register", "open", "--float", "abc"}, "abc"},
		{[]string{"register", "open", "--float", "-1"}, "-1"},
		{[]string{"register", "open", "--float", "1", "--register", "Nope"}, "Nope"},
		{[]string{"register", "status", "--register", "Gent/Nope"}, "Nope"},
		{[]string{"register", "close", "--counted", "Cash=abc"}, "abc"},
		{[]string{"register", "close", "--counted", "Cash"}, "TYPE=AMOUNT"},
		{[]string{"register", "close", "--counted", "Cheque=1"}, "Cheque"},
		{[]string{"register", "close", "--format", "pdf"}, "pdf"},
		{[]string{"register", "close", "--counted", "Cash=1"}, "no open session"},
		{[]string{"product", "add", "Pen", "--price", "1,5"}, "1,5"},
		{[]string{"product", "add", "Pen", "--sku", "cup", "--price", "1"}, "already exists"},
		{[]string{"product", "add", "", "--price", "1"}, "name"},
		{[]string{"stock", "list", "--outlet", "Nope"}, "Nope"},
		{[]string{"stock", "adjust", "--sku", "CUP", "--delta", "abc"}, `--delta "abc" is not a whole number`},
		{[]string{"stock", "adjust", "--sku", "CUP", "--delta", "99999999999999999999"}, "whole number"},
		{[]string{"stock", "adjust", "--sku", "NOPE", "--delta", "1"}, "NOPE"},
		{[]string{"stock", "adjust", "--sku", "WRAP", "--delta", "1"}, "does not track stock"},
		{[]string{"sales", "list", "--limit", "abc"}, "whole number"},
		{[]string{"sales", "list", "--limit", "0"}, "1 to 500"},
		{[]string{"sales", "list", "--offset", "x"}, "whole number"},
		{[]string{"sales", "list", "--from", "yesterday"}, "yesterday"},
		{[]string{"sales", "list", "--to", "2026-13-40"}, "2026-13-40"},
		{[]string{"sales", "list", "--source", "web"}, "web"},
		{[]string{"sales", "list", "--outlet", "Nope"}, "Nope"},
		{[]string{"sales", "show", "#9999"}, "#9999"},
		{[]string{"sales", "show", "9999"}, "'#9999'"},
		{[]string{"sales", "show", "#1002", "--outlet", "Nope"}, "Nope"},
		{[]string{"payments", "apply", "--receipt", "#1002", "--type", "Cash"}, "no open session"},
		{[]string{"payments", "apply", "--receipt", "#1002", "--type", "Cash", "--at", "noon"}, "noon"},
		{[]string{"payments", "apply", "--receipt", "#1002", "--type", "Cash", "--amount", "x"}, "x"},
		{[]string{"payments", "apply", "--receipt", "#1002", "--type", "Cash", "--register", "Nope"}, "Nope"},
		{[]string{"payments", "apply", "--type", "Cash"}, "--receipt"},
		{[]string{"report", "closing", "--session", "abc"}, "whole number"},
		{[]string{"report", "closing", "--session", "99"}, "session 99"},
		{[]string{"report", "closing", "--last", "--register", "Nope"}, "Nope"},
		{[]string{"report", "closing", "--last"}, "not been closed"},
		{[]string{"report", "closing"}, "--session"},
		{[]string{"report", "nightly", "--date", "24/11/2026"}, "24/11/2026"},
		{[]string{"report", "nightly", "--outlet", "Nope"}, "Nope"},
		{[]string{"report", "nightly", "--format", "xml"}, "xml"},
		{[]string{"token", "create", "--name", "x", "--role", "boss"}, "boss"},
		{[]string{"token", "create"}, "--name"},
		{[]string{"token", "revoke", "nobody"}, "nobody"},
		{[]string{"token", "revoke", "99"}, "99"},
		{[]string{"shopify", "show", "nope"}, "nope"},
		{[]string{"shopify", "show", "not a shop!"}, "not a shop!"},
		{[]string{"shopify", "disconnect", "nope"}, "nope"},
		{append(append([]string{}, conn...), "--poll-interval", "soon"), "soon"},
		{append(append([]string{}, conn...), "--api-version", "2024-1"), "2024-1"},
		{append(append([]string{}, conn...), "--base-url", "127.0.0.1:80"), "base URL"},
		{[]string{"orders", "get-all", "--connection", "nope"}, "nope"},
		{[]string{"orders", "get-new", "--wait=perhaps"}, "true or false"},
		{[]string{"imports", "list", "--limit", "x"}, "whole number"},
		{[]string{"imports", "list", "--connection", "nope"}, "nope"},
		{[]string{"imports", "show", "abc"}, "RUN"},
		{[]string{"imports", "show", "99"}, "99"},
		{[]string{"imports", "order", "#4242"}, "#4242"},
		{[]string{"serve", "--nightly-at", "25:00"}, "25:00"},
		{[]string{"serve", "--reconcile-at", "3h30"}, "3h30"},
		{[]string{"serve", "--reconcile-days", "90"}, "1 to 60"},
		{[]string{"serve", "--log-level", "loud"}, "loud"},
		{[]string{"serve", "--addr", busy.Addr().String()}, "address already in use"},
		{[]string{"shopify-sim", "--orders-file", "/nonexistent/orders.json"}, "/nonexistent/orders.json: no such file or directory"},
		{[]string{"terminal", "--token", "t", "--report-dir", t.TempDir(), "--log-file", "/proc/kassa/terminal.log"}, "/proc/kassa"},
		{[]string{"demo", "--database", "Bad-Name"}, "Bad-Name"},
		{[]string{"demo", "--orders", "many"}, "whole number"},
		{[]string{"demo", "--new-order-every", "often"}, "duration"},
		{[]string{"shopify-sim", "--generate", "x"}, "whole number"},
		{[]string{"shopify-sim", "--plan", "gold"}, "gold"},
		{[]string{"shopify-sim", "--faults", "5xx=lots"}, "5xx"},
		{[]string{"terminal", "--url", "ftp://x", "--token", "t"}, "ftp://x"},
		{[]string{"secret", "rotate", "--keep-old-key=sometimes"}, "true or false"},
		{[]string{"version", "extra"}, "version"},
		{[]string{"migrate", "status", "--database-url", badURL}, "cannot reach the database server at 127.0.0.1:1 (connection refused)"},
		{[]string{"sales", "list", "--database-url", badURL}, "start PostgreSQL, or set DATABASE_URL or --database-url"},
		{[]string{"sales", "list", "--database-url", "postgres://postgres@127.0.0.1:5432/kassa_no_such_db?sslmode=disable"}, `the database "kassa_no_such_db" does not exist: run 'kassa migrate up'`},
		{[]string{"sales", "list", "--database-url", "mysql://x"}, "postgres://"},
	} {
		before := dbtest.Counts(t, db)
		code, _, errOut := kassa(t, url, tc.args...)
		what := "kassa " + strings.Join(tc.args, " ")
		if code == 0 {
			t.Errorf("%s: succeeded, want a refusal", what)
			continue
		}
		if !strings.HasPrefix(errOut, "kassa: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%s: stderr %q is not one line", what, errOut)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: %q does not say %q", what, errOut, tc.want)
		}
		assertNoInternals(t, errOut)
		dbtest.Unchanged(t, db, before)
		t.Logf("%s -> %s", what, strings.TrimSpace(errOut))
	}
}
