package shopifyapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Defaults of TransportOptions.
const (
	DefaultMaxAttempts    = 8
	DefaultMaxThrottled   = 10
	DefaultBaseBackoff    = 250 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	DefaultThrottleWait   = time.Second
	DefaultAttemptTimeout = 60 * time.Second
	// maxRetryAfter bounds a Retry-After kassa honours, so that a garbled header cannot
	// stall an import for hours.
	maxRetryAfter = 5 * time.Minute
)

// Clock is the time source of the Transport; tests inject one so that pacing and backoff
// run without real seconds.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends, whichever is first, and returns ctx's error in
	// the latter case.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Attempt describes one HTTP exchange the Transport made.
type Attempt struct {
	Shop     string
	Method   string
	Path     string
	Number   int           // 1 for the first attempt of a request
	Status   int           // 0 when no complete answer arrived
	Err      error         // the transport error or body read error, if any
	Duration time.Duration // from sending to the end of the body
	// At is when the exchange ended.
	At time.Time
	// APIVersion is the version the request asked for (its /admin/api/{version}/ path),
	// ServedVersion the one Shopify answered in (X-Shopify-API-Version); either may be ""
	// (unversioned paths, no answer).
	APIVersion, ServedVersion string
}

// Observer is told what the Transport does, e.g. to export metrics. Its methods are
// called synchronously from request goroutines and must be quick and safe for
// concurrent use.
type Observer interface {
	// ObserveAttempt reports every HTTP exchange, successful or not.
	ObserveAttempt(a Attempt)
	// ObservePacing reports a wait taken before a request to stay under the rate limit.
	ObservePacing(shop string, wait time.Duration)
	// ObserveThrottled reports a 429 answer and the wait it asked for.
	ObserveThrottled(shop string, wait time.Duration)
	// ObserveRetry reports a retry after a 5xx answer or a failed exchange, with its reason
	// ("status 503", "connection", "body") and the backoff before it.
	ObserveRetry(shop, reason string, wait time.Duration)
}

// Counters is an Observer that counts; its fields are safe to read at any time through
// Snapshot.
type Counters struct {
	mu sync.Mutex
	c  CounterValues
}

// CounterValues are the totals a Counters observer has seen.
type CounterValues struct {
	Attempts  int
	Paced     int
	PacedWait time.Duration
	Throttled int
	Retries   int
}

// Snapshot returns the current totals.
func (c *Counters) Snapshot() CounterValues {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}

// ObserveAttempt implements Observer.
func (c *Counters) ObserveAttempt(Attempt) {
	c.mu.Lock()
	c.c.Attempts++
	c.mu.Unlock()
}

// ObservePacing implements Observer.
func (c *Counters) ObservePacing(_ string, wait time.Duration) {
	c.mu.Lock()
	c.c.Paced++
	c.c.PacedWait += wait
	c.mu.Unlock()
}

// ObserveThrottled implements Observer.
func (c *Counters) ObserveThrottled(string, time.Duration) {
	c.mu.Lock()
	c.c.Throttled++
	c.mu.Unlock()
}

// ObserveRetry implements Observer.
func (c *Counters) ObserveRetry(string, string, time.Duration) {
	c.mu.Lock()
	c.c.Retries++
	c.mu.Unlock()
}

type nopObserver struct{}

func (nopObserver) ObserveAttempt(Attempt)                     {}
func (nopObserver) ObservePacing(string, time.Duration)        {}
func (nopObserver) ObserveThrottled(string, time.Duration)     {}
func (nopObserver) ObserveRetry(string, string, time.Duration) {}

// TransportOptions configures a Transport. The zero value is usable: no redirection,
// http.DefaultTransport underneath, the defaults above, real time.
type TransportOptions struct {
	// BaseURL, when set (e.g. "http://127.0.0.1:8123" for the simulator), receives every
	// request addressed to https://{shop}.myshopify.com; the path and query are kept.
	BaseURL string
	// Next sends the requests; default a clone of http.DefaultTransport.
	Next http.RoundTripper
	// Logger receives debug lines about attempts, pacing and retries; default: none.
	Logger *zerolog.Logger
	// Observer is told about attempts, pacing, 429s and retries; default: none.
	Observer Observer
	// Clock provides time and cancellable sleeps; default real time.
	Clock Clock
	// Rand returns a number in [0, 1) for backoff jitter; default math/rand/v2.
	Rand func() float64

	// MaxAttempts bounds the attempts of one request over 5xx answers and failed
	// exchanges (the first attempt included); default DefaultMaxAttempts.
	MaxAttempts int
	// MaxThrottled bounds how many 429 answers one request waits out; default
	// DefaultMaxThrottled.
	MaxThrottled int
	// BaseBackoff and MaxBackoff shape the retry backoff: a random wait up to
	// min(MaxBackoff, BaseBackoff·2^(retry-1)) ("full jitter").
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// ThrottleWait is the first wait after a 429 without Retry-After; it doubles with each
	// further such 429 of the same request, up to MaxBackoff. Default DefaultThrottleWait.
	ThrottleWait time.Duration
	// AttemptTimeout bounds one exchange, body included; default DefaultAttemptTimeout.
	// There is deliberately no bound over all attempts: the request's context is that.
	AttemptTimeout time.Duration
	// LeakRate is the shop's rate-limit leak in requests per second; 0 derives it from the
	// bucket size Shopify reports (bucket/20: 40→2/s, 80→4/s, 400→20/s).
	LeakRate float64
	// DisablePacing turns off waiting on the call-limit header (429s are still honoured).
	DisablePacing bool
}

// Transport is kassa's http.RoundTripper under go-shopify. It paces requests per shop from
// X-Shopify-Shop-Api-Call-Limit so that a long backfill runs at the shop's leak rate instead
// of meeting 429s, waits out 429 answers as Retry-After asks, retries 5xx answers, dropped
// connections and truncated bodies with jittered exponential backoff, and can redirect the
// shop's host to a configured base URL. It reads each answer's whole body before
// returning, so that a body cut short is retried here rather than failing the JSON decode
// in go-shopify. It is safe for concurrent use.
type Transport struct {
	opts    TransportOptions
	base    *url.URL
	log     zerolog.Logger
	mu      sync.Mutex
	buckets map[string]*bucketEstimate
	// lastBody is the length of the latest answer's body, the best guess of the next one's.
	lastBody atomic.Int64
}

// bucketEstimate is kassa's view of one shop's leaky bucket.
type bucketEstimate struct {
	gate     chan struct{} // admits one request at a time to pacing
	size     int           // 0 until the first call-limit header
	level    float64       // requests in the bucket at time at
	at       time.Time
	inflight int // requests sent and not yet answered
}

// NewTransport builds a Transport.
func NewTransport(opts TransportOptions) (*Transport, error) {
	t := &Transport{opts: opts, buckets: map[string]*bucketEstimate{}}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("parse base url: %w", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("base url %q: want http(s)://host[:port]", opts.BaseURL)
		}
		t.base = u
	}
	if t.opts.Next == nil {
		// A transport of its own, so that Close releases only this client's connections.
		t.opts.Next = http.DefaultTransport.(*http.Transport).Clone()
	}
	if opts.Logger != nil {
		t.log = opts.Logger.With().Str("component", "shopify_transport").Logger()
	} else {
		t.log = zerolog.Nop()
	}
	if t.opts.Observer == nil {
		t.opts.Observer = nopObserver{}
	}
	if t.opts.Clock == nil {
		t.opts.Clock = realClock{}
	}
	if t.opts.Rand == nil {
		t.opts.Rand = rand.Float64
	}
	if t.opts.MaxAttempts <= 0 {
		t.opts.MaxAttempts = DefaultMaxAttempts
	}
	if t.opts.MaxThrottled <= 0 {
		t.opts.MaxThrottled = DefaultMaxThrottled
	}
	if t.opts.BaseBackoff <= 0 {
		t.opts.BaseBackoff = DefaultBaseBackoff
	}
	if t.opts.MaxBackoff <= 0 {
		t.opts.MaxBackoff = DefaultMaxBackoff
	}
	if t.opts.ThrottleWait <= 0 {
		t.opts.ThrottleWait = DefaultThrottleWait
	}
	if t.opts.AttemptTimeout <= 0 {
		t.opts.AttemptTimeout = DefaultAttemptTimeout
	}
	return t, nil
}

// CloseIdleConnections closes idle connections of the underlying transport.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.opts.Next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// retryable is a failed exchange worth another attempt.
type retryable struct {
	reason string
	err    error
}

func (e *retryable) Error() string { return e.err.Error() }
func (e *retryable) Unwrap() error { return e.err }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		// RoundTrip owns the body, whatever happens; attempts read it or a GetBody copy.
		defer req.Body.Close()
	}
	ctx := req.Context()
	shop := strings.ToLower(req.URL.Hostname())
	log := t.log.With().Str("shop", shop).Str("method", req.Method).Str("path", req.URL.Path).Logger()
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		// Without GetBody the body cannot be sent twice; one attempt is all we can make.
		if err := t.paceREST(ctx, req, shop, log); err != nil {
			return nil, fmt.Errorf("wait for shopify rate limit: %w", err)
		}
		return t.attempt(req, shop, 1, log)
	}
	var (
		throttled   int
		noHeader429 int
		failures    int
	)
	for n := 1; ; n++ {
		if err := t.paceREST(ctx, req, shop, log); err != nil {
			return nil, fmt.Errorf("wait for shopify rate limit: %w", err)
		}
		r := req
		if n > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("rewind request body: %w", err)
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.attempt(r, shop, n, log)

		var wait time.Duration
		var reason string
		var rerr *retryable
		switch {
		case errors.As(err, &rerr):
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			failures++
			if failures >= t.opts.MaxAttempts {
				return nil, fmt.Errorf("shopify request failed after %d attempts: %w", n, rerr.err)
			}
			reason, wait = rerr.reason, t.backoff(failures)
		case err != nil:
			return nil, err
		case resp.StatusCode == http.StatusTooManyRequests:
			throttled++
			t.markFull(shop)
			wait = t.retryAfter(resp.Header.Get("Retry-After"), &noHeader429)
			t.opts.Observer.ObserveThrottled(shop, wait)
			log.Debug().Dur("wait", wait).Int("throttled", throttled).Msg("shopify rate limited")
			if throttled > t.opts.MaxThrottled {
				return resp, nil
			}
			if err := t.opts.Clock.Sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("wait after shopify 429: %w", err)
			}
			continue
		case retryStatus(resp.StatusCode):
			failures++
			if failures >= t.opts.MaxAttempts {
				// Hand the last answer to go-shopify, which turns it into its error type.
				return resp, nil
			}
			reason, wait = "status "+strconv.Itoa(resp.StatusCode), t.backoff(failures)
		default:
			return resp, nil
		}
		t.opts.Observer.ObserveRetry(shop, reason, wait)
		log.Debug().Str("reason", reason).Dur("wait", wait).Int("attempt", n).Msg("shopify retry")
		if err := t.opts.Clock.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("wait before shopify retry: %w", err)
		}
	}
}

// attempt makes one exchange with its own timeout and reads the whole body. Failures worth
// retrying come back as *retryable.
func (t *Transport) attempt(req *http.Request, shop string, n int, log zerolog.Logger) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.opts.AttemptTimeout)
	defer cancel()
	r := req.WithContext(ctx)
	if t.base != nil && strings.HasSuffix(shop, ".myshopify.com") {
		r = r.Clone(ctx)
		r.URL.Scheme = t.base.Scheme
		r.URL.Host = t.base.Host
		r.Host = req.URL.Host
	}
	start := t.opts.Clock.Now()
	t.sending(shop, 1)
	resp, err := t.opts.Next.RoundTrip(r)
	var body []byte
	if err == nil {
		body, err = t.readAll(resp)
		_ = resp.Body.Close()
		if err != nil {
			err = &retryable{reason: "body", err: fmt.Errorf("read shopify answer: %w", err)}
		}
	} else if dns := (*net.DNSError)(nil); errors.As(err, &dns) && dns.IsNotFound {
		// No such host: asking again will not make one.
	} else {
		err = &retryable{reason: "connection", err: err}
	}
	t.sending(shop, -1)
	end := t.opts.Clock.Now()
	a := Attempt{Shop: shop, Method: req.Method, Path: req.URL.Path, Number: n, Err: err, Duration: end.Sub(start), At: end,
		APIVersion: pathVersion(req.URL.Path)}
	if err != nil {
		t.opts.Observer.ObserveAttempt(a)
		log.Debug().Err(err).Int("attempt", n).Msg("shopify exchange failed")
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		return nil, err
	}
	a.Status = resp.StatusCode
	// The header is the server's: only a version, never text of its own, reaches the
	// metrics' labels and the database.
	if v := resp.Header.Get("X-Shopify-API-Version"); apiVersionPattern.MatchString(v) {
		a.ServedVersion = v
	}
	t.opts.Observer.ObserveAttempt(a)
	log.Debug().Int("status", resp.StatusCode).Int("attempt", n).Str("call_limit", resp.Header.Get("X-Shopify-Shop-Api-Call-Limit")).Msg("shopify answer")
	t.observeCallLimit(shop, resp.Header.Get("X-Shopify-Shop-Api-Call-Limit"))
	resp.Body = &readBody{Reader: bytes.NewReader(body), b: body}
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// readAll reads an answer's body whole into a buffer sized for it: its Content-Length, or,
// when unknown (a compressed or chunked answer), a little more than the last answer's, so
// that a page of orders costs one allocation rather than a series of doubling ones.
func (t *Transport) readAll(resp *http.Response) ([]byte, error) {
	n := resp.ContentLength
	if n < 0 {
		n = t.lastBody.Load() + t.lastBody.Load()/8
	}
	// bytes.Buffer reads in steps of at least bytes.MinRead: room for one more step avoids
	// a final doubling at the end of the body. The cap keeps a lying header from reserving
	// more than a large page.
	buf := bytes.NewBuffer(make([]byte, 0, min(n, maxBodyHint)+bytes.MinRead))
	_, err := buf.ReadFrom(resp.Body)
	t.lastBody.Store(int64(buf.Len()))
	return buf.Bytes(), err
}

// maxBodyHint is the most readAll reserves ahead of reading: about four pages of 250 large
// orders. Larger bodies still read whole, growing as they come.
const maxBodyHint = 8 << 20

// readBody is an answer's body, already read whole.
type readBody struct {
	*bytes.Reader
	b []byte
}

func (*readBody) Close() error { return nil }

// readBytes returns the whole body of an answer and closes it. An answer the Transport
// made has its body in memory already, and readBytes hands over those bytes without a copy
// (nothing else holds them); any other body is read to its end.
func readBytes(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	if rb, ok := resp.Body.(*readBody); ok {
		return rb.b, nil
	}
	return io.ReadAll(resp.Body)
}

// retryStatus reports the 5xx answers worth retrying: 501 and 505 will not change.
func retryStatus(code int) bool {
	return code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported
}

// backoff is the wait before the nth retry: full jitter over a capped exponential.
func (t *Transport) backoff(n int) time.Duration {
	ceil := float64(t.opts.BaseBackoff) * math.Pow(2, float64(n-1))
	if ceil > float64(t.opts.MaxBackoff) {
		ceil = float64(t.opts.MaxBackoff)
	}
	return time.Duration(t.opts.Rand() * ceil)
}

// retryAfter reads a 429's Retry-After ("2.0", "0.5"). Missing or unreadable, it backs off
// anyway, doubling from ThrottleWait, because an immediate retry meets a full bucket.
func (t *Transport) retryAfter(h string, noHeader *int) time.Duration {
	if s, err := strconv.ParseFloat(strings.TrimSpace(h), 64); err == nil && s >= 0 && !math.IsInf(s, 0) {
		d := time.Duration(s * float64(time.Second))
		return min(d, maxRetryAfter)
	}
	*noHeader++
	d := float64(t.opts.ThrottleWait) * math.Pow(2, float64(*noHeader-1))
	return time.Duration(min(d, float64(max(t.opts.MaxBackoff, t.opts.ThrottleWait))))
}

func (t *Transport) leak(size int) float64 {
	if t.opts.LeakRate > 0 {
		return t.opts.LeakRate
	}
	return float64(size) / 20
}

// estimate returns the shop's bucket estimate, creating it.
func (t *Transport) estimate(shop string) *bucketEstimate {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buckets[shop]
	if b == nil {
		b = &bucketEstimate{gate: make(chan struct{}, 1)}
		t.buckets[shop] = b
	}
	return b
}

// levelAt is the estimated bucket level at time now; the caller holds t.mu.
func (t *Transport) levelAt(b *bucketEstimate, now time.Time) float64 {
	l := b.level - now.Sub(b.at).Seconds()*t.leak(b.size)
	return max(l, 0)
}

// paceREST paces a REST request (pace). GraphQL requests are paced by their cost (see
// graphql.go) and token requests not at all: neither counts in the REST bucket.
func (t *Transport) paceREST(ctx context.Context, req *http.Request, shop string, log zerolog.Logger) error {
	p := req.URL.Path
	if strings.HasSuffix(p, "/graphql.json") || strings.HasPrefix(p, "/admin/oauth/") {
		return nil
	}
	return t.pace(ctx, shop, log)
}

// pathVersion is the API version of an /admin/api/{version}/... path, or "".
func pathVersion(p string) string {
	rest, ok := strings.CutPrefix(p, "/admin/api/")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "/")
	return v
}

// pace waits, when the shop's bucket is estimated too full for one more request, until it
// has room, then counts the request in. Requests for one shop pass the pacing gate one at a
// time, so concurrent requests queue instead of all seeing the same free place.
func (t *Transport) pace(ctx context.Context, shop string, log zerolog.Logger) error {
	if t.opts.DisablePacing {
		return nil
	}
	b := t.estimate(shop)
	select {
	case b.gate <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-b.gate }()

	t.mu.Lock()
	if b.size == 0 {
		// Nothing known yet: the first answer brings the call-limit header.
		t.mu.Unlock()
		return nil
	}
	now := t.opts.Clock.Now()
	size := b.size
	level := t.levelAt(b, now)
	// One place stays free: Shopify's count and this estimate are taken at different
	// moments, and a request that lands just over the edge costs a 429 and its wait.
	limit := float64(b.size - 1)
	if b.size <= 2 {
		limit = float64(b.size)
	}
	var wait time.Duration
	if level+1 > limit {
		wait = time.Duration(math.Ceil((level + 1 - limit) / t.leak(b.size) * float64(time.Second)))
	}
	t.mu.Unlock()

	if wait > 0 {
		t.opts.Observer.ObservePacing(shop, wait)
		log.Debug().Dur("wait", wait).Float64("estimated_level", level).Int("bucket", size).Msg("shopify pacing")
		if err := t.opts.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	t.mu.Lock()
	now = t.opts.Clock.Now()
	b.level = t.levelAt(b, now) + 1
	b.at = now
	t.mu.Unlock()
	return nil
}

// sending counts a request on its way to the shop (delta +1) or back (delta -1).
func (t *Transport) sending(shop string, delta int) {
	b := t.estimate(shop)
	t.mu.Lock()
	b.inflight += delta
	t.mu.Unlock()
}

// observeCallLimit takes Shopify's "used/bucket" count as the new estimate, plus the
// requests still on their way, which Shopify may not have counted yet.
func (t *Transport) observeCallLimit(shop, h string) {
	usedText, sizeText, ok := strings.Cut(h, "/")
	if !ok {
		return
	}
	used, err1 := strconv.Atoi(strings.TrimSpace(usedText))
	size, err2 := strconv.Atoi(strings.TrimSpace(sizeText))
	if err1 != nil || err2 != nil || size <= 0 || used < 0 {
		return
	}
	b := t.estimate(shop)
	t.mu.Lock()
	defer t.mu.Unlock()
	b.size = size
	b.level = float64(used + b.inflight)
	b.at = t.opts.Clock.Now()
}

// markFull records that Shopify refused a request for a full bucket.
func (t *Transport) markFull(shop string) {
	b := t.estimate(shop)
	t.mu.Lock()
	defer t.mu.Unlock()
	if b.size == 0 {
		return
	}
	b.level = float64(b.size)
	b.at = t.opts.Clock.Now()
}
