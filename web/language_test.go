package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// TestLanguageFromTheBrowserAndTheSwitch: the sign-in page speaks the browser's language
// (Dutch for nl-BE), the switch changes it (French) and the choice sticks over the
// browser's, and a language kassa lacks falls back to English.
func TestLanguageFromTheBrowserAndTheSwitch(t *testing.T) {
	w := startWorld(t, terminaltest.Options{})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar}
	get := func(path, accept string) string {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, w.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Language", accept)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct{ path, accept, want, lang string }{
		{"/signin", "nl-BE,nl;q=0.9,en;q=0.5", "Meld je aan met je kassa-token", "nl"},
		{"/signin", "de-DE,de;q=0.9", "Sign in with your kassa token", "en"},
		{"/lang/fr?back=/signin", "nl-BE", "Connectez-vous avec votre jeton kassa", "fr"},
		{"/signin", "nl-BE", "Connectez-vous avec votre jeton kassa", "fr"},
	} {
		page := get(tc.path, tc.accept)
		if !strings.Contains(page, tc.want) || !strings.Contains(page, `<html lang="`+tc.lang+`">`) {
			t.Errorf("%s with Accept-Language %q: want %s, %q; got:\n%s", tc.path, tc.accept, tc.lang, tc.want, page)
		}
	}
}
