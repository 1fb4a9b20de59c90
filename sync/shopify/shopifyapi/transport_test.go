package shopifyapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// fakeClock advances only when slept on, so waits cost no real time and can be summed.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// script serves the nth request (from 1) with steps[n-1], the last step repeating.
func script(t *testing.T, steps ...http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		steps[min(i, len(steps)-1)](w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"errors":"status %d"}`, code)
	}
}

func ok(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Shopify-Shop-Api-Call-Limit", "1/40")
		_, _ = io.WriteString(w, body)
	}
}

func drop(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func truncated(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", "1000")
	_, _ = io.WriteString(w, `{"orders":[{"id":1`)
}

// newTransport builds a Transport that redirects demo.myshopify.com to srv, on a fake clock
// and with jitter fixed at its maximum so that backoffs are predictable.
func newTransport(t *testing.T, srv *httptest.Server, clock shopifyapi.Clock, obs shopifyapi.Observer, mod func(*shopifyapi.TransportOptions)) *shopifyapi.Transport {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel)
	opts := shopifyapi.TransportOptions{
		BaseURL:  srv.URL,
		Clock:    clock,
		Observer: obs,
		Logger:   &log,
		Rand:     func() float64 { return 1 },
	}
	if mod != nil {
		mod(&opts)
	}
	rt, err := shopifyapi.NewTransport(opts)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func get(t *testing.T, rt http.RoundTripper, ctx context.Context) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://demo.myshopify.com/admin/api/2024-10/orders.json?limit=250", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(body), nil
}

func TestTransportRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		steps     []http.HandlerFunc
		hits      int
		sleeps    []time.Duration
		throttled int
		retries   int
	}{
		{"429 with Retry-After", []http.HandlerFunc{status(429, "Retry-After", "2.0"), ok(`{}`)}, 2, []time.Duration{2 * time.Second}, 1, 0},
		{"429 with fractional Retry-After", []http.HandlerFunc{status(429, "Retry-After", "0.5"), ok(`{}`)}, 2, []time.Duration{500 * time.Millisecond}, 1, 0},
		{"429 without Retry-After backs off growing", []http.HandlerFunc{status(429), status(429), status(429), ok(`{}`)}, 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, 3, 0},
		{"5xx then success", []http.HandlerFunc{status(503), status(500), status(502), status(504), ok(`{}`)}, 5,
			[]time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}, 0, 4},
		{"HTML gateway error", []http.HandlerFunc{func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = io.WriteString(w, "<html>502 Bad Gateway</html>")
		}, ok(`{}`)}, 2, []time.Duration{250 * time.Millisecond}, 0, 1},
		{"dropped connection", []http.HandlerFunc{drop, drop, ok(`{}`)}, 3, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}, 0, 2},
		{"truncated body", []http.HandlerFunc{truncated, ok(`{}`)}, 2, []time.Duration{250 * time.Millisecond}, 0, 1},
		{"mixed", []http.HandlerFunc{drop, status(429, "Retry-After", "1.0"), truncated, status(503), ok(`{}`)}, 5,
			[]time.Duration{250 * time.Millisecond, time.Second, 500 * time.Millisecond, time.Second}, 1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, hits := script(t, tc.steps...)
			clock := newFakeClock()
			var obs shopifyapi.Counters
			rt := newTransport(t, srv, clock, &obs, nil)
			resp, body, err := get(t, rt, context.Background())
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			if resp.StatusCode != 200 || body != `{}` {
				t.Fatalf("answer = %d %q, want 200 {}", resp.StatusCode, body)
			}
			if int(hits.Load()) != tc.hits {
				t.Errorf("server saw %d requests, want %d", hits.Load(), tc.hits)
			}
			if got := clock.sleeps(); fmt.Sprint(got) != fmt.Sprint(tc.sleeps) {
				t.Errorf("waits = %v, want %v", got, tc.sleeps)
			}
			c := obs.Snapshot()
			if c.Attempts != tc.hits || c.Throttled != tc.throttled || c.Retries != tc.retries {
				t.Errorf("observed %+v, want %d attempts, %d throttled, %d retries", c, tc.hits, tc.throttled, tc.retries)
			}
		})
	}
}

func TestTransportGivesUp(t *testing.T) {
	t.Parallel()
	t.Run("5xx answers hand back the last answer", func(t *testing.T) {
		t.Parallel()
		srv, hits := script(t, status(503))
		rt := newTransport(t, srv, newFakeClock(), nil, func(o *shopifyapi.TransportOptions) { o.MaxAttempts = 3 })
		resp, _, err := get(t, rt, context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 503 || hits.Load() != 3 {
			t.Errorf("status %d after %d requests, want 503 after 3", resp.StatusCode, hits.Load())
		}
	})
	t.Run("dropped connections end in an error", func(t *testing.T) {
		t.Parallel()
		srv, hits := script(t, drop)
		rt := newTransport(t, srv, newFakeClock(), nil, func(o *shopifyapi.TransportOptions) { o.MaxAttempts = 4 })
		_, _, err := get(t, rt, context.Background())
		if err == nil || !strings.Contains(err.Error(), "after 4 attempts") || hits.Load() != 4 {
			t.Errorf("err = %v after %d requests, want failure after 4 attempts", err, hits.Load())
		}
	})
	t.Run("429s hand back the 429", func(t *testing.T) {
		t.Parallel()
		srv, hits := script(t, status(429, "Retry-After", "1.0"))
		rt := newTransport(t, srv, newFakeClock(), nil, func(o *shopifyapi.TransportOptions) { o.MaxThrottled = 2 })
		resp, _, err := get(t, rt, context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 429 || hits.Load() != 3 {
			t.Errorf("status %d after %d requests, want 429 after 3", resp.StatusCode, hits.Load())
		}
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		t.Parallel()
		srv, hits := script(t, status(404), ok(`{}`))
		rt := newTransport(t, srv, newFakeClock(), nil, nil)
		resp, _, err := get(t, rt, context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 404 || hits.Load() != 1 {
			t.Errorf("status %d after %d requests, want 404 after 1", resp.StatusCode, hits.Load())
		}
	})
}

func TestTransportResendsBody(t *testing.T) {
	t.Parallel()
	var bodies []string
	var mu sync.Mutex
	record := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			mu.Unlock()
			next(w, r)
		}
	}
	srv, _ := script(t, record(status(503)), record(drop), record(ok(`{}`)))
	rt := newTransport(t, srv, newFakeClock(), nil, nil)
	req, err := http.NewRequest(http.MethodPost, "https://demo.myshopify.com/admin/api/2024-10/webhooks.json", bytes.NewBufferString(`{"webhook":{"topic":"orders/create"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(bodies) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(bodies))
	}
	for i, b := range bodies {
		if b != `{"webhook":{"topic":"orders/create"}}` {
			t.Errorf("attempt %d body = %q", i+1, b)
		}
	}
}

func TestTransportRedirectsShopToBaseURL(t *testing.T) {
	t.Parallel()
	var gotHost, gotURI, gotToken string
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) {
		gotHost, gotURI, gotToken = r.Host, r.RequestURI, r.Header.Get("X-Shopify-Access-Token")
		ok(`{}`)(w, r)
	})
	var logs bytes.Buffer
	log := zerolog.New(&logs).Level(zerolog.DebugLevel)
	rt := newTransport(t, srv, newFakeClock(), nil, func(o *shopifyapi.TransportOptions) { o.Logger = &log })
	req, _ := http.NewRequest(http.MethodGet, "https://demo.myshopify.com/admin/api/2024-10/orders.json?status=any", nil)
	req.Header.Set("X-Shopify-Access-Token", "shpat_secret_token")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotHost != "demo.myshopify.com" || gotURI != "/admin/api/2024-10/orders.json?status=any" || gotToken != "shpat_secret_token" {
		t.Errorf("server saw host %q uri %q token %q", gotHost, gotURI, gotToken)
	}
	if req.URL.Host != "demo.myshopify.com" {
		t.Errorf("caller's request was modified: %s", req.URL)
	}
	if logs.Len() == 0 || strings.Contains(logs.String(), "shpat_secret_token") {
		t.Errorf("debug log empty or leaks the token: %s", logs.String())
	}
}

func TestTransportAttemptTimeout(t *testing.T) {
	t.Parallel()
	srv, hits := script(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // hang until the client gives up on this attempt
	}, ok(`{}`))
	rt := newTransport(t, srv, newFakeClock(), nil, func(o *shopifyapi.TransportOptions) { o.AttemptTimeout = 100 * time.Millisecond })
	resp, _, err := get(t, rt, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || hits.Load() != 2 {
		t.Errorf("status %d after %d requests, want 200 after 2", resp.StatusCode, hits.Load())
	}
}

// signalObserver reports 429s and pacing waits on channels.
type signalObserver struct {
	shopifyapi.Counters
	throttled chan struct{}
}

func (o *signalObserver) ObserveThrottled(shop string, wait time.Duration) {
	o.Counters.ObserveThrottled(shop, wait)
	o.throttled <- struct{}{}
}

func TestTransportCancelDuringWait(t *testing.T) {
	t.Parallel()
	// Real clock: an hour-long Retry-After must end as soon as the context does.
	srv, hits := script(t, status(429, "Retry-After", "3600.0"))
	obs := &signalObserver{throttled: make(chan struct{}, 1)}
	rt := newTransport(t, srv, nil, obs, func(o *shopifyapi.TransportOptions) { o.Clock = nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := get(t, rt, ctx)
		done <- err
	}()
	<-obs.throttled
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", hits.Load())
	}
}

func TestTransportCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	srv, _ := script(t, status(503))
	retried := make(chan struct{}, 1)
	obs := &retryObserver{retried: retried}
	rt := newTransport(t, srv, nil, obs, func(o *shopifyapi.TransportOptions) {
		o.Clock = nil
		o.BaseBackoff, o.MaxBackoff = time.Hour, time.Hour
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := get(t, rt, ctx)
		done <- err
	}()
	<-retried
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

type retryObserver struct {
	shopifyapi.Counters
	retried chan struct{}
}

func (o *retryObserver) ObserveRetry(shop, reason string, wait time.Duration) {
	o.Counters.ObserveRetry(shop, reason, wait)
	select {
	case o.retried <- struct{}{}:
	default:
	}
}

// leakyShop is a Shopify-like leaky bucket running on the fake clock.
type leakyShop struct {
	clock   *fakeClock
	size    int
	leak    float64
	mu      sync.Mutex
	level   float64
	last    time.Time
	served  int
	refused int
}

func (s *leakyShop) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if !s.last.IsZero() {
		s.level = max(0, s.level-now.Sub(s.last).Seconds()*s.leak)
	}
	s.last = now
	if s.level+1 > float64(s.size) {
		s.refused++
		w.Header().Set("Retry-After", "1.0")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	s.level++
	s.served++
	w.Header().Set("X-Shopify-Shop-Api-Call-Limit", fmt.Sprintf("%d/%d", int(s.level+0.999), s.size))
	_, _ = io.WriteString(w, `{}`)
}

func TestTransportPacesAtLeakRate(t *testing.T) {
	t.Parallel()
	const requests = 200
	for _, size := range []int{40, 80} {
		t.Run(fmt.Sprint("bucket ", size), func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			shop := &leakyShop{clock: clock, size: size, leak: float64(size) / 20}
			srv := httptest.NewServer(shop)
			t.Cleanup(srv.Close)
			var obs shopifyapi.Counters
			rt := newTransport(t, srv, clock, &obs, nil)
			start := clock.Now()
			for range requests {
				if resp, _, err := get(t, rt, context.Background()); err != nil || resp.StatusCode != 200 {
					t.Fatalf("request failed: %v", err)
				}
			}
			elapsed := clock.Now().Sub(start)
			if shop.refused != 0 || obs.Snapshot().Throttled != 0 {
				t.Errorf("shop refused %d requests, want 0", shop.refused)
			}
			// Once the bucket is full the backfill runs at the leak rate, not slower.
			leak := float64(size) / 20
			minimum := time.Duration(float64(requests-size) / leak * float64(time.Second))
			if elapsed < minimum || elapsed > minimum+minimum/10+2*time.Second {
				t.Errorf("%d requests took %s of shop time, want about %s", requests, elapsed, minimum)
			}
			if obs.Snapshot().Paced == 0 {
				t.Error("no pacing waits observed")
			}
		})
	}
	t.Run("without pacing the shop refuses requests", func(t *testing.T) {
		t.Parallel()
		clock := newFakeClock()
		shop := &leakyShop{clock: clock, size: 40, leak: 2}
		srv := httptest.NewServer(shop)
		t.Cleanup(srv.Close)
		rt := newTransport(t, srv, clock, nil, func(o *shopifyapi.TransportOptions) { o.DisablePacing = true })
		for range 60 {
			if _, _, err := get(t, rt, context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if shop.refused == 0 {
			t.Error("shop refused nothing: the paced test above would prove nothing")
		}
	})
	t.Run("configured leak rate", func(t *testing.T) {
		t.Parallel()
		clock := newFakeClock()
		shop := &leakyShop{clock: clock, size: 10, leak: 50}
		srv := httptest.NewServer(shop)
		t.Cleanup(srv.Close)
		rt := newTransport(t, srv, clock, nil, func(o *shopifyapi.TransportOptions) { o.LeakRate = 50 })
		start := clock.Now()
		for range 110 {
			if _, _, err := get(t, rt, context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if shop.refused != 0 {
			t.Errorf("shop refused %d requests, want 0", shop.refused)
		}
		if elapsed := clock.Now().Sub(start); elapsed > 3*time.Second {
			t.Errorf("110 requests at 50/s took %s of shop time, want about 2s", elapsed)
		}
	})
}

func TestTransportPacesConcurrentRequests(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	shop := &leakyShop{clock: clock, size: 40, leak: 2}
	srv := httptest.NewServer(shop)
	t.Cleanup(srv.Close)
	rt := newTransport(t, srv, clock, nil, nil)
	// Learn the bucket first, as a real run does with its first request.
	if _, _, err := get(t, rt, context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 30 {
				if _, _, err := get(t, rt, context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if shop.refused != 0 {
		t.Errorf("shop refused %d of %d requests, want 0", shop.refused, shop.served+shop.refused)
	}
}
