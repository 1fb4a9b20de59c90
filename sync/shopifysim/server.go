package shopifysim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// DefaultAPIVersion is the API version the simulator reports for unversioned /admin/ requests
// and uses in the Link URLs it builds for them.
const DefaultAPIVersion = "2026-10"

// DefaultOldestVersion is the oldest API version the simulator serves by default: on
// 2026-12-02 Shopify serves 2026-01 to 2026-10 (and the 2027-01 release candidate), and a
// request for an older version is answered, without an error, by the oldest one it still
// serves, which X-Shopify-API-Version names.
const DefaultOldestVersion = "2026-01"

// DefaultToken is the access token a server accepts when Options.Token is empty.
const DefaultToken = "shpat_simulator"

// DefaultSecret is the webhook signing secret used when Options.Secret is empty.
const DefaultSecret = "simulator-secret"

// Options configures a simulated shop. The zero value is a usable empty shop.
type Options struct {
	// Addr is the loopback address to listen on; default "127.0.0.1:0" (any free port).
	Addr string
	// Shop is the shop's myshopify domain; default "demo.myshopify.com". A bare name such as
	// "demo" is completed like go-shopify does.
	Shop string
	// Token is the static Admin API access token of a legacy (admin-created) custom app,
	// which requests may carry in X-Shopify-Access-Token; default DefaultToken, unless
	// ClientID is set: a Dev Dashboard app has no static token.
	Token string
	// Secret is the app's client secret: the key of the webhook HMAC and, with ClientID, the
	// secret of the client credentials grant; default DefaultSecret.
	Secret string
	// ClientID is the Dev Dashboard app's client ID. When set, POST
	// /admin/oauth/access_token grants 24-hour access tokens for ClientID and Secret (the
	// client credentials grant, see oauth.go).
	ClientID string
	// TokenTTL is how long a granted access token lives, on the injected clock; default
	// DefaultTokenTTL (24 hours).
	TokenTTL time.Duration
	// Scopes are the access scopes the app was granted; default DefaultScopes (plus
	// read_all_orders with ReadAllOrders).
	Scopes []string
	// TokenRefusal makes the token endpoint refuse every request: RefuseShopNotPermitted
	// (app and store are in different organizations) or RefuseAppNotInstalled.
	TokenRefusal string
	// ShopName is the shop's display name; default its myshopify name.
	ShopName string
	// APIVersion is reported for unversioned requests; default DefaultAPIVersion.
	APIVersion string
	// OldestVersion is the oldest API version served: a request for an older one is
	// answered by this one (X-Shopify-API-Version says so); default DefaultOldestVersion.
	OldestVersion string
	// ServeVersion, when set, is the version every answer is served in, whatever version
	// was asked for (to try a client's reaction to an unexpected version).
	ServeVersion string
	// Clock drives the 60-day window, timestamps of new orders and updates, webhook
	// Triggered-At and the recorded request times; default time.Now.
	Clock func() time.Time
	// Logger receives one debug line per request and webhook attempt; default: discard.
	Logger *zerolog.Logger
	// Location is the shop's time zone for the timestamps the simulator renders; default the
	// generator's location, else Europe/Brussels (the generator's default).
	Location *time.Location

	// ReadAllOrders lifts the 60-day window (the app has the read_all_orders scope).
	ReadAllOrders bool
	// WindowBy is the order timestamp the 60-day window is measured on: "created_at"
	// (default), "processed_at" or "updated_at". Shopify does not document which it uses.
	WindowBy string

	// Plan is the rate limit; the zero value means no limit (PlanOff).
	Plan Plan
	// OmitRetryAfter leaves the Retry-After header off 429 answers, which makes go-shopify
	// retry at once (its wait is int(Retry-After) seconds).
	OmitRetryAfter bool
	// MinRetryAfter is the smallest Retry-After a 429 advertises; default 1s, Shopify's
	// smallest observed value. The header is the larger of this and the time the bucket
	// needs to drain one request.
	MinRetryAfter time.Duration

	// Faults injects random faults into /admin/ requests; off by default.
	Faults FaultConfig
	// RawCommaLinks writes the commas of a fields parameter unescaped into Link URLs, which
	// go-shopify v4.7.0 cannot parse (a hazard real Shopify may expose).
	RawCommaLinks bool

	// Generate, when set, fills the shop with a generated catalogue and orders. Its Now
	// defaults to the clock's now and its Shop to the server's shop.
	Generate *shopdata.GenerateOptions
	// Orders are typed orders to serve, in addition to generated ones.
	Orders []shopdata.Order
	// RawOrders are order JSON objects to serve as they are (e.g. from shopdata.ReadOrdersFile).
	RawOrders []json.RawMessage
	// Locations replaces the default single location.
	Locations []Location
	// InitialStock is the available quantity of every tracked catalogue variant at every
	// location at start; default 25.
	InitialStock *int

	// WebhookURL, when set, subscribes it to every order topic at start.
	WebhookURL string
	// Webhooks tunes webhook delivery.
	Webhooks WebhookOptions
	// Bulk tunes bulk operations (preparation speed, faults, URL lifetime).
	Bulk BulkOptions

	// MaxRecordedRequests bounds the request record (the oldest are dropped); default 100000.
	MaxRecordedRequests int
}

// Request is one request the server answered, as recorded for assertions.
type Request struct {
	Method string
	// Path is the URL path as received, e.g. "/admin/api/2024-10/orders.json".
	Path string
	// Query is the raw query string.
	Query string
	// Status is the HTTP status served; 0 when the connection was dropped on purpose.
	Status int
	// Fault names the injected fault, if any ("5xx", "429", "drop", "truncate", "slow").
	Fault string
	// Time is the clock's time when the request arrived.
	Time time.Time
}

// Server is a running simulated Shopify shop. Create it with NewServer and stop it with Close.
type Server struct {
	// URL is the base URL of the simulator, e.g. "http://127.0.0.1:41234".
	URL string
	// Shop is the shop's myshopify domain, e.g. "demo.myshopify.com".
	Shop string
	// Token is the access token the server accepts.
	Token string
	// Secret is the key webhooks are signed with.
	Secret string

	opts     Options
	clock    func() time.Time
	log      zerolog.Logger
	loc      *time.Location
	version  string
	listener net.Listener
	srv      *http.Server
	hostPort string

	baseCtx    context.Context
	cancelBase context.CancelFunc
	inflightMu sync.Mutex
	closed     bool
	inflight   sync.WaitGroup
	closeOnce  sync.Once
	serveDone  chan struct{}

	limiter *bucket
	costs   *costBucket
	tokens  tokens
	// gqlResolvers are the GraphQL field resolvers, by type and field.
	gqlResolvers map[string]map[string]gqlFieldFunc
	faults       *faultInjector
	store        *orderStore
	catalog      *catalog
	hooks        *webhooks
	bulk         *bulkOps
	// genMu guards gen, which is not safe for concurrent use.
	genMu sync.Mutex
	gen   *shopdata.Generator
	// updateMu serialises UpdateOrder's read-modify-write.
	updateMu sync.Mutex
	// placeMu serialises PlaceWebOrder from numbering to placing, so that web orders
	// placed at once get distinct names, as in Shopify.
	placeMu sync.Mutex

	reqMu    sync.Mutex
	requests []Request

	nRequests atomic.Int64
	nThrottle atomic.Int64
	nPoints   atomic.Int64
	nFaults   [faultKinds]atomic.Int64
	nextID    atomic.Int64
	// uninstalled is set by Uninstall: the access token is refused from then on.
	uninstalled atomic.Bool
}

// NewServer starts a simulated shop listening on opts.Addr.
func NewServer(opts Options) (*Server, error) {
	s := &Server{opts: opts}
	s.Shop = opts.Shop
	if s.Shop == "" {
		s.Shop = "demo.myshopify.com"
	}
	s.Shop = strings.Trim(strings.TrimSpace(s.Shop), ".")
	if !strings.Contains(s.Shop, "myshopify.com") {
		s.Shop += ".myshopify.com"
	}
	s.Token = opts.Token
	if s.Token == "" && opts.ClientID == "" {
		s.Token = DefaultToken
	}
	if opts.TokenRefusal != "" && opts.TokenRefusal != RefuseShopNotPermitted && opts.TokenRefusal != RefuseAppNotInstalled {
		return nil, fmt.Errorf("token refusal %q: want %s or %s", opts.TokenRefusal, RefuseShopNotPermitted, RefuseAppNotInstalled)
	}
	s.tokens = tokens{byValue: map[string]*accessToken{}, refusal: opts.TokenRefusal}
	for _, v := range []string{opts.OldestVersion, opts.ServeVersion, opts.APIVersion} {
		if v != "" && !versionPattern.MatchString(v) {
			return nil, fmt.Errorf("API version %q: write it like 2026-10", v)
		}
	}
	if s.opts.OldestVersion == "" {
		s.opts.OldestVersion = DefaultOldestVersion
	}
	s.Secret = opts.Secret
	if s.Secret == "" {
		s.Secret = DefaultSecret
	}
	s.clock = opts.Clock
	if s.clock == nil {
		s.clock = time.Now
	}
	if opts.Logger != nil {
		s.log = opts.Logger.With().Str("component", "shopify_sim").Logger()
	} else {
		s.log = zerolog.Nop()
	}
	s.version = opts.APIVersion
	if s.version == "" {
		s.version = DefaultAPIVersion
	}
	s.loc = opts.Location
	if s.loc == nil && opts.Generate != nil && opts.Generate.Location != nil {
		s.loc = opts.Generate.Location
	}
	if s.loc == nil {
		// The generator's default zone; time/tzdata is embedded by shopdata.
		if loc, err := time.LoadLocation("Europe/Brussels"); err == nil {
			s.loc = loc
		} else {
			s.loc = time.UTC
		}
	}
	if s.opts.MinRetryAfter == 0 {
		s.opts.MinRetryAfter = time.Second
	}
	if s.opts.MaxRecordedRequests <= 0 {
		s.opts.MaxRecordedRequests = 100000
	}
	switch opts.WindowBy {
	case "", "created_at", "processed_at", "updated_at":
	default:
		return nil, fmt.Errorf("window timestamp %q: want created_at, processed_at or updated_at", opts.WindowBy)
	}
	if err := opts.Plan.validate(); err != nil {
		return nil, err
	}
	if err := opts.Faults.validate(); err != nil {
		return nil, err
	}
	// Ids the simulator assigns (products, variants, webhooks, ...) start high so that they
	// never collide with the ids of orders or catalogue items it was given.
	s.nextID.Store(7_000_000_000_000)

	s.limiter = newBucket(opts.Plan)
	s.costs = newCostBucket(opts.Plan)
	s.faults = newFaultInjector(opts.Faults)
	s.store = newOrderStore()
	s.catalog = newCatalog(s)

	if err := s.loadData(); err != nil {
		return nil, err
	}

	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.listener = ln
	s.hostPort = ln.Addr().String()
	s.URL = "http://" + s.hostPort
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	s.hooks = newWebhooks(s, opts.Webhooks)
	s.bulk = newBulkOps(s, opts.Bulk)
	if opts.WebhookURL != "" {
		for _, topic := range OrderTopics {
			s.hooks.subscribe(topic, opts.WebhookURL, "json", s.servedVersion(s.version))
		}
	}
	s.gqlResolvers = s.resolvers()
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
		// net/http's own complaints (bad requests, TLS probes) go to the simulator's log.
		ErrorLog: log.New(s.log.With().Str("source", "net/http").Logger(), "", 0),
	}
	s.hooks.start()
	s.serveDone = make(chan struct{})
	go func() {
		defer close(s.serveDone)
		// Serve returns when Close closes the listener; other errors cannot be reported to
		// anyone at that point, so they are logged.
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("serve")
		}
	}()
	return s, nil
}

func (s *Server) loadData() error {
	if s.opts.Generate != nil {
		g := *s.opts.Generate
		if g.Now.IsZero() {
			g.Now = s.clock()
		}
		if g.Shop == "" {
			g.Shop = s.Shop
		}
		if g.Location == nil {
			g.Location = s.loc
		}
		s.gen = shopdata.NewGenerator(g)
		for _, o := range s.gen.Orders() {
			if _, err := s.store.addTyped(o); err != nil {
				return err
			}
		}
		s.catalog.loadCatalog(s.gen.Catalog())
	}
	for _, o := range s.opts.Orders {
		if _, err := s.store.addTyped(o); err != nil {
			return err
		}
	}
	for i, raw := range s.opts.RawOrders {
		if _, err := s.store.addRaw(raw); err != nil {
			return fmt.Errorf("raw order %d: %w", i, err)
		}
	}
	s.catalog.initStock()
	s.catalog.commitOpenOrders(s.store.all())
	return nil
}

// Close stops the server and webhook delivery, and waits for every goroutine it started.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.inflightMu.Lock()
		s.closed = true
		s.inflightMu.Unlock()
		s.cancelBase()
		// Close (not Shutdown): slow and hung requests are cut off at once, as when a real
		// test server goes away.
		_ = s.srv.Close()
		<-s.serveDone
		s.hooks.stop()
		s.inflight.Wait()
		s.bulk.stop()
	})
}

// newID returns a fresh id for a resource the simulator creates.
func (s *Server) newID() int64 { return s.nextID.Add(1) }

func (s *Server) formatTime(t time.Time) string { return shopdata.FormatTime(t, s.loc) }

// Requests returns a copy of the record of requests served, oldest first.
func (s *Server) Requests() []Request {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// ResetRequests clears the request record.
func (s *Server) ResetRequests() {
	s.reqMu.Lock()
	s.requests = nil
	s.reqMu.Unlock()
}

func (s *Server) record(r Request) {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	if len(s.requests) >= s.opts.MaxRecordedRequests {
		n := copy(s.requests, s.requests[len(s.requests)/2:])
		s.requests = s.requests[:n]
	}
	s.requests = append(s.requests, r)
}

// Throttled returns how many 429 answers the server has given (rate limit and injected).
func (s *Server) Throttled() int64 { return s.nThrottle.Load() }

// Stats is a snapshot of the server's counters.
type Stats struct {
	Requests  int64 `json:"requests"`
	Throttled int64 `json:"throttled"`
	// GraphQLPoints is the actual cost of every GraphQL query answered, summed.
	GraphQLPoints int64            `json:"graphql_points"`
	Faults        map[string]int64 `json:"faults"`
	Orders        int              `json:"orders"`
	Webhooks      WebhookStats     `json:"webhooks"`
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Requests:      s.nRequests.Load(),
		Throttled:     s.nThrottle.Load(),
		GraphQLPoints: s.nPoints.Load(),
		Faults:        map[string]int64{},
		Orders:        s.store.len(),
		Webhooks:      s.hooks.stats(),
	}
	for k := FaultKind(1); k < faultKinds; k++ {
		st.Faults[k.String()] = s.nFaults[k].Load()
	}
	return st
}

var (
	versionedPath  = regexp.MustCompile(`^/admin/api/([0-9]{4}-[0-9]{2}|unstable)/(.+)$`)
	versionPattern = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}|unstable)$`)
)

// servedVersion is the API version a request for version asked is answered in:
// Options.ServeVersion when set, else the oldest version served when asked is older, else
// asked.
func (s *Server) servedVersion(asked string) string {
	switch {
	case s.opts.ServeVersion != "":
		return s.opts.ServeVersion
	case asked != "unstable" && asked < s.opts.OldestVersion:
		return s.opts.OldestVersion
	}
	return asked
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 when no status was written first.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP answers one request; it is the server's http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflightMu.Lock()
	if s.closed {
		s.inflightMu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.inflight.Add(1)
	s.inflightMu.Unlock()
	defer s.inflight.Done()

	s.nRequests.Add(1)
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Time: s.clock()}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if rec.Status == 0 && rec.Fault != FaultDrop.String() && rec.Fault != FaultTruncate.String() {
			rec.Status = sw.status
		}
		s.record(rec)
		s.log.Debug().Str("method", rec.Method).Str("path", rec.Path).Str("query", rec.Query).
			Int("status", rec.Status).Str("fault", rec.Fault).Msg("request")
	}()

	switch {
	case strings.HasPrefix(r.URL.Path, "/_sim/"):
		s.serveControl(sw, r)
	case strings.HasPrefix(r.URL.Path, "/_bulk/"):
		s.bulk.serveResult(sw, r)
	case strings.HasPrefix(r.URL.Path, "/admin/"):
		s.serveAdmin(sw, r, &rec)
	default:
		writeJSONError(sw, http.StatusNotFound, "Not Found")
	}
}

// apiRequest is an /admin/ request after routing: the resource path without prefix and the
// version it is answered in.
type apiRequest struct {
	*http.Request
	resource string // e.g. "orders.json", "orders/123/transactions.json"
	version  string
}

func (s *Server) serveAdmin(w *statusWriter, r *http.Request, rec *Request) {
	req := &apiRequest{Request: r, version: s.version}
	if m := versionedPath.FindStringSubmatch(r.URL.Path); m != nil {
		req.version, req.resource = m[1], m[2]
	} else {
		req.resource = strings.TrimPrefix(r.URL.Path, "/admin/")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Request-Id", randomHex(16))
	oauth := req.resource == "oauth/access_token" || req.resource == "oauth/access_token.json"
	if !oauth {
		h.Set("X-Shopify-API-Version", s.servedVersion(req.version))
	}

	if f, ok := s.faults.next(req.resource); ok {
		rec.Fault = f.Kind.String()
		s.nFaults[f.Kind].Add(1)
		if done := s.applyFault(w, req, f, rec); done {
			return
		}
	}
	if oauth {
		s.serveAccessToken(w, r)
		return
	}
	s.serveAuthorized(w, req)
}

// serveAuthorized checks the token and the rate limit, then routes the request: GraphQL to
// its cost-based limit, REST to the leaky bucket.
func (s *Server) serveAuthorized(w http.ResponseWriter, r *apiRequest) {
	tok, ok := s.authorized(r.Request)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic Realm="Shopify API Authentication"`)
		writeJSONError(w, http.StatusUnauthorized, "[API] Invalid API key or access token (unrecognized login or wrong password)")
		return
	}
	if r.resource == "graphql.json" {
		s.serveGraphQL(w, r, tok)
		return
	}
	if !s.allow(w) {
		return
	}
	if scope := restScope(r.resource); scope != "" && !tok.has(scope) {
		writeJSONError(w, http.StatusForbidden, "[API] This action requires merchant approval for "+scope+" scope.")
		return
	}
	s.route(w, r)
}

// restScope is the access scope a REST resource needs to be read.
func restScope(resource string) string {
	switch {
	case strings.HasPrefix(resource, "orders"):
		return "read_orders"
	case strings.HasPrefix(resource, "products"), strings.HasPrefix(resource, "variants"):
		return "read_products"
	case strings.HasPrefix(resource, "inventory_levels"):
		return "read_inventory"
	}
	return ""
}

// authorized returns the access token a request carries, when the simulator accepts it:
// the legacy static token, or an unexpired token of the client credentials grant.
func (s *Server) authorized(r *http.Request) (*accessToken, bool) {
	if tok := r.Header.Get("X-Shopify-Access-Token"); tok != "" {
		return s.lookupToken(tok)
	}
	// go-shopify falls back to HTTP Basic apiKey:password for private apps.
	if _, pw, ok := r.BasicAuth(); ok {
		return s.lookupToken(pw)
	}
	return nil, false
}

// allow takes one request from the bucket; when it is full it answers 429 and returns false.
func (s *Server) allow(w http.ResponseWriter) bool {
	used, ok, wait := s.limiter.take()
	if ok {
		w.Header().Set("X-Shopify-Shop-Api-Call-Limit", fmt.Sprintf("%d/%d", used, s.limiter.size()))
		return true
	}
	s.writeThrottled(w, wait)
	return false
}

func (s *Server) writeThrottled(w http.ResponseWriter, wait time.Duration) {
	s.nThrottle.Add(1)
	if !s.opts.OmitRetryAfter {
		if wait < s.opts.MinRetryAfter {
			wait = s.opts.MinRetryAfter
		}
		w.Header().Set("Retry-After", formatSeconds(wait))
	}
	rate := s.limiter.plan.LeakPerSecond
	if rate <= 0 {
		rate = PlanStandard.LeakPerSecond
	}
	writeJSONError(w, http.StatusTooManyRequests, fmt.Sprintf(
		"Exceeded %s calls per second for api client. Reduce request rates to resume uninterrupted service.",
		formatRate(rate)))
}

// route dispatches an authorised, admitted request to its resource handler.
func (s *Server) route(w http.ResponseWriter, r *apiRequest) {
	parts := strings.Split(strings.TrimSuffix(r.resource, ".json"), "/")
	if !strings.HasSuffix(r.resource, ".json") {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	switch parts[0] {
	case "orders":
		s.routeOrders(w, r, parts[1:])
	case "products":
		s.catalog.routeProducts(w, r, parts[1:])
	case "variants":
		s.catalog.routeVariants(w, r, parts[1:])
	case "locations":
		s.catalog.routeLocations(w, r, parts[1:])
	case "inventory_levels":
		s.catalog.routeInventoryLevels(w, r, parts[1:])
	case "webhooks":
		s.hooks.route(w, r, parts[1:])
	case "shop":
		s.serveShop(w, r)
	default:
		writeJSONError(w, http.StatusNotFound, "Not Found")
	}
}

func (s *Server) serveShop(w http.ResponseWriter, r *apiRequest) {
	if r.Method != http.MethodGet {
		writeMethodNotAllowed(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"shop": s.shopResource()})
}

func (s *Server) currency() string {
	if s.opts.Generate != nil && s.opts.Generate.Currency != "" {
		return s.opts.Generate.Currency
	}
	return "EUR"
}

// shopURL is an absolute URL on the shop's domain for a resource in version v, as Shopify
// writes in Link headers.
func (s *Server) shopURL(version, resource string, q string) string {
	u := "https://" + s.Shop + "/admin/api/" + version + "/" + resource
	if q != "" {
		u += "?" + q
	}
	return u
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeJSONError answers Shopify's {"errors": "..."} shape.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"errors": msg})
}

// writeFieldError answers Shopify's {"errors": {"field": "..."}} shape.
func writeFieldError(w http.ResponseWriter, status int, field, msg string) {
	writeJSON(w, status, map[string]map[string]string{"errors": {field: msg}})
}

func writeMethodNotAllowed(w http.ResponseWriter) {
	writeJSONError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID returns a random RFC 4122 version 4 UUID string.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// formatSeconds renders a duration as Shopify's Retry-After: seconds with at least one
// decimal ("2.0", "0.5").
func formatSeconds(d time.Duration) string {
	secs := float64(d.Round(100*time.Millisecond)) / float64(time.Second)
	return fmt.Sprintf("%.1f", secs)
}

func formatRate(r float64) string {
	if r == float64(int64(r)) {
		return fmt.Sprintf("%d", int64(r))
	}
	return fmt.Sprintf("%g", r)
}

// readJSON decodes a request body into v, answering 400 itself when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		writeJSONError(w, http.StatusBadRequest, "bad request: "+err.Error())
		return false
	}
	return true
}

// queryLimit parses the limit parameter with Shopify's default 50 and maximum 250.
func queryLimit(w http.ResponseWriter, q url.Values) (int, bool) {
	v := q.Get("limit")
	if v == "" {
		return 50, true
	}
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n < 1 {
		writeFieldError(w, http.StatusBadRequest, "limit", "Limit must be a positive integer")
		return 0, false
	}
	if n > 250 {
		writeJSONError(w, http.StatusBadRequest, "Limit exceeds maximum limit of 250")
		return 0, false
	}
	return n, true
}
