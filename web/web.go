// Package web is the web register: the screens store staff use in a browser (a touch
// screen at the counter, a tablet, the till PC), served by the daemon at / beside its API.
//
// It is a front-end like the terminal: every figure it shows and every refusal comes from
// the daemon's API, which it calls in process through daemon/client with the signed-in
// staff member's own token, so that the web register can do exactly what that token may
// and nothing more. Pages are rendered on the server with html/template (hostile text is
// escaped by the template engine), enhanced by a vendored, pinned htmx and a little
// JavaScript of kassa's own; charts are SVG drawn on the server (web/chart); texts come
// from message catalogues in English, Dutch and French (web/i18n).
//
// Sign-in exchanges a kassa token for a session cookie: the token, the staff member's
// name and role and the session's CSRF token, sealed with the daemon's secret key
// (internal/secret), HttpOnly, SameSite=Strict and Secure when served over TLS. Every
// form carries the CSRF token; a POST without it is refused.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/web/i18n"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the web register. Secrets is required.
type Config struct {
	// Secrets seals the session cookies (the daemon's key file).
	Secrets *secret.Box
	// Clock is the time sessions expire by; default time.Now.
	Clock func() time.Time
	// Logger logs what fails inside the web register (never a token).
	Logger zerolog.Logger
	// SessionTTL is how long a sign-in lasts; default 12 hours (a shift).
	SessionTTL time.Duration
	// ProgressEvery is how often a running import's progress is pushed; default 250 ms.
	ProgressEvery time.Duration
	// SecureCookies marks the cookies Secure even on a plain-HTTP request: the daemon is
	// reached through an HTTPS reverse proxy (its public URL is https://). Over TLS served
	// by the daemon itself they are Secure anyway.
	SecureCookies bool
}

// server is the web register's handler.
type server struct {
	cfg    Config
	api    http.Handler
	pages  map[string]*template.Template
	static http.Handler
	mux    *http.ServeMux
}

// Front returns what daemon.Deps.Front takes: given the daemon's handler, the web
// register's handler.
func Front(cfg Config) (func(daemon http.Handler) http.Handler, error) {
	if cfg.Secrets == nil {
		return nil, errors.New("the web register needs the secret key that seals its sessions")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 250 * time.Millisecond
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	return func(daemon http.Handler) http.Handler {
		s := &server{cfg: cfg, api: daemon, pages: pages}
		sub, _ := fs.Sub(staticFS, "static")
		s.static = http.StripPrefix("/static/", http.FileServerFS(sub))
		s.routes()
		return s
	}, nil
}

// ServeHTTP sets the headers every answer carries and serves the request.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	s.mux.ServeHTTP(w, r)
}

// inProcess carries a client's requests to the daemon's handler without a network.
type inProcess struct{ h http.Handler }

// RoundTrip serves req with the daemon's handler and returns what it wrote.
func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if r.Body == nil {
		r.Body = http.NoBody
	}
	r.RemoteAddr = "web register"
	rec := &recorder{header: http.Header{}}
	t.h.ServeHTTP(rec, r)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", rec.code, http.StatusText(rec.code)), StatusCode: rec.code,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: rec.header,
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), ContentLength: int64(rec.body.Len()), Request: req,
	}, nil
}

// recorder is the ResponseWriter of an in-process call.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

// client is the API as the signed-in staff member (token) calls it.
func (s *server) client(token string) *client.Client {
	return client.New("http://kassa.invalid", token, client.WithHTTPClient(&http.Client{Transport: inProcess{s.api}, Timeout: 60 * time.Second}))
}

// page is what every page's template gets.
type page struct {
	T       i18n.Localizer
	Lang    string
	Langs   []string
	Session *session
	CSRF    string
	Path    string
	Title   string
	// Nav is the screen the page belongs to (register, sales, shopify, reports).
	Nav string
	// Flash is a line to show once: what was done; Problem one the daemon refused.
	Flash, Problem string
	// ProblemKey is a refusal of the web register's own (a message key).
	ProblemKey string
	Data       any
}

// render writes the page name with data.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	tpl, ok := s.pages[name]
	if !ok {
		s.cfg.Logger.Error().Str("page", name).Msg("no such page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.fill(r, &p)
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.cfg.Logger.Error().Err(err).Str("page", name).Msg("render page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fragment writes one named template of a page (an htmx answer, an SSE event).
func (s *server) fragment(w io.Writer, r *http.Request, pageName, name string, p page) error {
	tpl, ok := s.pages[pageName]
	if !ok {
		return fmt.Errorf("no page %s", pageName)
	}
	s.fill(r, &p)
	return tpl.ExecuteTemplate(w, name, p)
}

// fill sets what every page shows: language, session, CSRF token, the flash.
func (s *server) fill(r *http.Request, p *page) {
	p.Lang = language(r)
	p.T = i18n.For(p.Lang)
	p.Langs = i18n.Languages()
	p.Path = r.URL.Path
	if p.Session == nil {
		p.Session = sessionOf(r)
	}
	if p.Session != nil {
		p.CSRF = p.Session.CSRF
	}
	if p.Flash == "" {
		if key := "done." + r.URL.Query().Get("done"); i18n.Has(key) {
			p.Flash = p.T.T(key)
		}
	}
}

// language is the page's language: the one chosen with the switch, else the browser's.
func language(r *http.Request) string {
	if c, err := r.Cookie("kassa_lang"); err == nil {
		if l := i18n.Match(c.Value); l != "" {
			return l
		}
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// fail shows the daemon's refusal (or an internal error) as a page with the right status.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := client.StatusOf(err)
	msg := err.Error()
	switch {
	case status == http.StatusUnauthorized:
		s.signOutCookie(w, r)
		http.Redirect(w, r, "/signin?expired=1", http.StatusSeeOther)
		return
	case status == 0 && errors.Is(err, context.Canceled):
		return
	case status == 0 || status >= 500:
		s.cfg.Logger.Error().Err(err).Str("path", r.URL.Path).Msg("web register request failed")
		status, msg = http.StatusInternalServerError, ""
	}
	s.render(w, r, status, "refused", page{Title: "refused.title", Problem: msg, Data: status})
}

// localized is a message of the web register's in the request's language.
func (s *server) localized(r *http.Request, key string) string { return i18n.For(language(r)).T(key) }

// seeOther redirects after a POST, with a flash key for the next page.
func seeOther(w http.ResponseWriter, r *http.Request, path, done string) {
	if done != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + done
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}
