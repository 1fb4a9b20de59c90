// Package i18n holds the web register's message catalogues, English, Dutch and French
// (en.json, nl.json, fr.json: one flat object of message keys to texts), and picks the
// language of a request from the browser's Accept-Language. Templates name keys, never
// texts; a text with %s or %d verbs takes arguments, as fmt does.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

//go:embed *.json
var files embed.FS

// Default is the language of a browser that asks for none kassa speaks.
const Default = "en"

var (
	languages = []string{"en", "nl", "fr"}
	catalogs  = map[string]map[string]string{}
)

func init() {
	for _, l := range languages {
		data, err := files.ReadFile(l + ".json")
		if err != nil {
			panic(fmt.Sprintf("i18n: catalogue %s: %v", l, err))
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			panic(fmt.Sprintf("i18n: catalogue %s: %v", l, err))
		}
		catalogs[l] = m
	}
}

// Languages lists the languages there is a catalogue of, English first.
func Languages() []string { return slices.Clone(languages) }

// Catalog returns a copy of a language's catalogue (for tests).
func Catalog(lang string) map[string]string {
	out := map[string]string{}
	for k, v := range catalogs[lang] {
		out[k] = v
	}
	return out
}

// Has reports whether key is in the default catalogue.
func Has(key string) bool { _, ok := catalogs[Default][key]; return ok }

// Localizer translates keys into one language.
type Localizer struct{ lang string }

// For returns the localizer of lang (the default for a language without catalogue).
func For(lang string) Localizer {
	if _, ok := catalogs[lang]; !ok {
		lang = Default
	}
	return Localizer{lang: lang}
}

// Lang is the localizer's language.
func (l Localizer) Lang() string { return l.lang }

// T returns key's text, formatted with args when there are any. A key missing from the
// language's catalogue falls back to English, and a key missing there shows itself (the
// catalogue test fails on both).
func (l Localizer) T(key string, args ...any) string {
	text, ok := catalogs[l.For()][key]
	if !ok {
		if text, ok = catalogs[Default][key]; !ok {
			text = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(text, args...)
	}
	return text
}

// For is the localizer's language, or the default for the zero Localizer.
func (l Localizer) For() string {
	if l.lang == "" {
		return Default
	}
	return l.lang
}

// Match returns the language of catalogue that tag names ("nl-BE" → "nl"), or "".
func Match(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	base, _, _ = strings.Cut(base, "_")
	if slices.Contains(languages, base) {
		return base
	}
	return ""
}

// FromAcceptLanguage picks the language an Accept-Language header prefers most among
// those there is a catalogue of, else the default.
func FromAcceptLanguage(header string) string {
	best, bestQ := "", -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				continue
			}
			q = f
		}
		if l := Match(tag); l != "" && q > 0 && q > bestQ {
			best, bestQ = l, q
		}
	}
	if best == "" {
		return Default
	}
	return best
}
