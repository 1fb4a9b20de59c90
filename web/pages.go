package web

import (
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/kassa-pos/kassa/daemon/client"
)

// parsePages parses every page (templates/NAME.html) with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "parts" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", n)
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

var funcs = template.FuncMap{
	// percent is a run's progress in whole percent (0 while the total is unknown).
	"percent": func(seen, total int) int {
		if total <= 0 {
			return 0
		}
		if seen >= total {
			return 100
		}
		return seen * 100 / total
	},
	// withData is the page p showing v (a part of a page drawn on its own).
	"withData": func(p page, v any) page { p.Data = v; return p },
	// keys are the keypad's keys.
	"keys": func() []string { return []string{"7", "8", "9", "4", "5", "6", "1", "2", "3", "0", "00", "."} },
	"list": func(v ...string) []string { return v },
	// runData is a run as the progress block shows it.
	"runData": func(r *client.ImportRun) runData { return runData{Run: *r} },
	// when shows an RFC 3339 time of the daemon's as it reads at the outlet ("2026-11-25
	// 10:00"), the daemon having written it in the outlet's time zone.
	"when": func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return s
		}
		return t.Format("2006-01-02 15:04")
	},
	// in shows a time in loc, with the zone's name unless it is the outlet's.
	"in": func(t time.Time, loc *time.Location) string {
		if loc == nil || loc == time.UTC {
			return t.UTC().Format("2006-01-02 15:04:05 MST")
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
}
