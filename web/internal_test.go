package web

import (
	"crypto/tls"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/web/i18n"
)

// TestTemplatesNameOnlyKnownMessages: every message key the templates and the Go code
// name is in the catalogue, and so is every key they build from a prefix and a value the
// daemon sends (role., status., source., mode., runstatus., outcome.).
func TestTemplatesNameOnlyKnownMessages(t *testing.T) {
	literal := regexp.MustCompile(`T\.T "([a-z0-9_.]+)"|(?:Title|ProblemKey): "([a-z0-9_.]+)"|t\.T\("([a-z0-9_.]+)"\)`)
	seen := 0
	check := func(name, text string) {
		for _, m := range literal.FindAllStringSubmatch(text, -1) {
			key := m[1] + m[2] + m[3]
			seen++
			if !i18n.Has(key) {
				t.Errorf("%s names %q, which the catalogue lacks", name, key)
			}
		}
	}
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templateFS, p)
		check(p, string(data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			data, err := os.ReadFile(e.Name())
			if err != nil {
				t.Fatal(err)
			}
			check(e.Name(), string(data))
		}
	}
	if seen < 100 {
		t.Fatalf("found %d message keys: the test reads the templates wrongly", seen)
	}
	built := map[string][]string{
		"role.":      {"cashier", "manager"},
		"status.":    {"paid", "awaiting_payment"},
		"source.":    {"pos", "shopify"},
		"mode.":      {"all", "new", "retry"},
		"runstatus.": {"running", "finished", "failed", "cancelled"},
		"done.":      {"opened", "closed", "paid"},
	}
	for prefix, values := range built {
		for _, v := range values {
			if !i18n.Has(prefix + v) {
				t.Errorf("the catalogue lacks %q", prefix+v)
			}
		}
	}
}

// luminance is the relative luminance of a #rrggbb colour (WCAG 2.2).
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #rrggbb", hex)
	}
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestPaletteContrast: each text colour on its background reaches WCAG 2.2 AA (4.5:1,
// 3:1 for outlines and controls), the charts' colours stand out from the white chart
// (3:1), and the style sheet uses only the palette's colours.
func TestPaletteContrast(t *testing.T) {
	colours := map[string]string{}
	for _, c := range Palette {
		colours[c.Name] = c.Hex
	}
	for _, p := range ContrastPairs {
		fore, ok1 := colours[p.Fore]
		back, ok2 := colours[p.Back]
		if !ok1 || !ok2 {
			t.Errorf("pair %s on %s names a colour the palette lacks", p.Fore, p.Back)
			continue
		}
		if r := contrast(t, fore, back); r < p.Min {
			t.Errorf("%s (%s) on %s (%s): contrast %.2f, want at least %.1f", p.Fore, fore, p.Back, back, r, p.Min)
		}
	}
	for _, c := range seriesColours() {
		if r := contrast(t, c, "#ffffff"); r < 3 {
			t.Errorf("chart colour %s on white: contrast %.2f, want at least 3", c, r)
		}
	}
	css, err := fs.ReadFile(staticFS, "static/kassa.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`var\(--([a-z-]+)\)`).FindAllStringSubmatch(string(css), -1) {
		if _, ok := colours[m[1]]; !ok {
			t.Errorf("kassa.css uses --%s, which the palette lacks", m[1])
		}
	}
	if hex := regexp.MustCompile(`#[0-9a-fA-F]{3,6}\b`).FindString(string(css)); hex != "" {
		t.Errorf("kassa.css writes the colour %s itself: use the palette", hex)
	}
}

func testServer(t *testing.T) *server {
	t.Helper()
	key, err := secret.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	return &server{cfg: Config{Secrets: box, Clock: func() time.Time { return now }, SessionTTL: time.Hour}}
}

// TestSessionCookie: the cookie is sealed (the token does not show in it), HttpOnly,
// SameSite=Strict and Secure over TLS; a tampered, foreign or expired one is no session.
func TestSessionCookie(t *testing.T) {
	s := testServer(t)
	sess := &session{Token: "kassa_secret_token", Name: "anna", Role: "cashier", CSRF: "c", Expires: s.cfg.Clock().Add(time.Hour)}
	for _, tlsOn := range []bool{false, true} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tlsOn {
			r.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		if err := s.writeSession(rec, r, sess); err != nil {
			t.Fatal(err)
		}
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("%d cookies, want 1", len(cookies))
		}
		c := cookies[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tlsOn || c.Path != "/" {
			t.Errorf("TLS %v: cookie HttpOnly %v SameSite %v Secure %v Path %q", tlsOn, c.HttpOnly, c.SameSite, c.Secure, c.Path)
		}
		if strings.Contains(c.Value, "kassa_secret_token") || strings.Contains(c.Value, "anna") {
			t.Error("the cookie shows what it holds")
		}
		read := httptest.NewRequest(http.MethodGet, "/", nil)
		read.AddCookie(c)
		if got := s.readSession(read); got == nil || got.Token != sess.Token || got.Name != "anna" {
			t.Fatalf("the cookie reads back as %+v", got)
		}
		// One byte changed: no session.
		raw := []byte(c.Value)
		raw[len(raw)/2] ^= 1
		if raw[len(raw)/2] == '-' || raw[len(raw)/2] == '_' {
			raw[len(raw)/2] = 'A'
		}
		bad := httptest.NewRequest(http.MethodGet, "/", nil)
		bad.AddCookie(&http.Cookie{Name: sessionCookie, Value: string(raw)})
		if s.readSession(bad) != nil {
			t.Error("a tampered cookie opened")
		}
		// Sealed with another key: no session.
		other := testServer(t)
		if other.readSession(read) != nil {
			t.Error("a cookie of another key opened")
		}
	}
	// Behind an HTTPS proxy the request is plain HTTP, and the cookie Secure all the same.
	s.cfg.SecureCookies = true
	rec0 := httptest.NewRecorder()
	if err := s.writeSession(rec0, httptest.NewRequest(http.MethodGet, "/", nil), sess); err != nil {
		t.Fatal(err)
	}
	if c := rec0.Result().Cookies()[0]; !c.Secure {
		t.Error("with SecureCookies the cookie is not Secure")
	}
	s.cfg.SecureCookies = false
	expired := *sess
	expired.Expires = s.cfg.Clock()
	rec := httptest.NewRecorder()
	if err := s.writeSession(rec, httptest.NewRequest(http.MethodGet, "/", nil), &expired); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(rec.Result().Cookies()[0])
	if s.readSession(r) != nil {
		t.Error("an expired session opened")
	}
}

func TestLanguageSwitchStaysOnTheSite(t *testing.T) {
	s := testServer(t)
	for back, want := range map[string]string{
		"/sales":               "/sales",
		"//evil.example/x":     "/",
		"https://evil.example": "/",
		"/\\evil.example":      "/",
		"":                     "/",
	} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/lang/nl?back="+urlQuery(back), nil)
		r.SetPathValue("lang", "nl")
		s.switchLanguage(rec, r)
		if got := rec.Header().Get("Location"); got != want {
			t.Errorf("back=%q: sent to %q, want %q", back, got, want)
		}
		if c := rec.Result().Cookies(); len(c) != 1 || c[0].Value != "nl" {
			t.Errorf("back=%q: cookies %v", back, c)
		}
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "\\", "%5C", "+", "%2B", " ", "%20").Replace(s)
}
