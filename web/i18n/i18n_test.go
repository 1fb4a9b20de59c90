package i18n_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/kassa-pos/kassa/web/i18n"
)

var verb = regexp.MustCompile(`%[sdvq]`)

// TestCataloguesAgree: every language has every key, no text is empty, and a text takes
// the same arguments in every language.
func TestCataloguesAgree(t *testing.T) {
	en := i18n.Catalog("en")
	if len(en) < 100 {
		t.Fatalf("the English catalogue has %d keys: the test reads the wrong files", len(en))
	}
	for _, lang := range i18n.Languages() {
		cat := i18n.Catalog(lang)
		for k, v := range en {
			got, ok := cat[k]
			if !ok {
				t.Errorf("%s lacks %q", lang, k)
				continue
			}
			if got == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
			if !slices.Equal(verb.FindAllString(got, -1), verb.FindAllString(v, -1)) {
				t.Errorf("%s: %q takes other arguments than in English: %q vs %q", lang, k, got, v)
			}
		}
		for k := range cat {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, which English has not", lang, k)
			}
		}
	}
}

func TestLanguageFromTheBrowser(t *testing.T) {
	for header, want := range map[string]string{
		"":                                 "en",
		"nl-BE,nl;q=0.9,en;q=0.8":          "nl",
		"fr-BE, fr;q=0.9":                  "fr",
		"de-DE,de;q=0.9,fr;q=0.5,en;q=0.4": "fr",
		"en;q=0.2, nl;q=0.8":               "nl",
		"de":                               "en",
		"fr;q=0, nl;q=0.1":                 "nl",
		"*":                                "en",
	} {
		if got := i18n.FromAcceptLanguage(header); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, got, want)
		}
	}
	if got := i18n.For("nl").T("nav.register"); got != "Kassa" {
		t.Errorf("nl nav.register = %q", got)
	}
	if got := i18n.For("xx").T("nav.register"); got != "Register" {
		t.Errorf("an unknown language gives %q, want English", got)
	}
	if got := i18n.For("fr").T("shopify.every", 60); got != "toutes les 60 s" {
		t.Errorf("fr shopify.every = %q", got)
	}
}
