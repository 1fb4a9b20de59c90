package shopifysim

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is a kind of injected failure.
type FaultKind int

// The fault kinds.
const (
	// FaultNone is no fault.
	FaultNone FaultKind = iota
	// Fault5xx answers 500, 502, 503 or 504 (HTML bodies for the gateway errors, as a proxy
	// in front of Shopify would send).
	Fault5xx
	// Fault429 answers 429 as if the bucket were full.
	Fault429
	// FaultDrop closes the connection without answering.
	FaultDrop
	// FaultTruncate sends the headers with the full Content-Length but only half the body,
	// then closes the connection.
	FaultTruncate
	// FaultSlow delays the answer by the fault's delay, then answers normally.
	FaultSlow
	// FaultStatus answers the fault's Status with Shopify's body for it, e.g. 403 (missing
	// read_orders scope), 402 or 423 (frozen or locked shop), 404. Only scripted, never random.
	FaultStatus
	faultKinds
)

// String names the kind as the fault spec does ("5xx", "429", "drop", "truncate", "slow").
func (k FaultKind) String() string {
	switch k {
	case Fault5xx:
		return "5xx"
	case Fault429:
		return "429"
	case FaultDrop:
		return "drop"
	case FaultTruncate:
		return "truncate"
	case FaultSlow:
		return "slow"
	case FaultStatus:
		return "status"
	}
	return ""
}

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind
	// Status is the status of a Fault5xx (500, 502, 503 or 504; 0 means 500) or of a
	// FaultStatus.
	Status int
	// Delay is how long a FaultSlow waits; 0 means 2s.
	Delay time.Duration
}

// FaultConfig injects faults at random into /admin/ requests. Each rate is the probability
// of that fault per request; the sum must not exceed 1. The sequence of faults is
// deterministic for a given Seed and request order.
type FaultConfig struct {
	Seed         uint64
	Rate5xx      float64
	Rate429      float64
	RateDrop     float64
	RateTruncate float64
	RateSlow     float64
	// SlowDelay is how long a slow answer is delayed; default 2s.
	SlowDelay time.Duration
}

func (c FaultConfig) total() float64 {
	return c.Rate5xx + c.Rate429 + c.RateDrop + c.RateTruncate + c.RateSlow
}

func (c FaultConfig) validate() error {
	for _, r := range []float64{c.Rate5xx, c.Rate429, c.RateDrop, c.RateTruncate, c.RateSlow} {
		if r < 0 || r > 1 {
			return fmt.Errorf("fault rate %g: must be between 0 and 1", r)
		}
	}
	if c.total() > 1+1e-9 {
		return fmt.Errorf("fault rates add up to %g: must not exceed 1", c.total())
	}
	if c.SlowDelay < 0 {
		return fmt.Errorf("slow delay %s: must not be negative", c.SlowDelay)
	}
	return nil
}

// ParseFaultSpec parses a command-line fault spec such as
// "5xx=0.05,429=0.05,drop=0.02,truncate=0.01,slow=0.01:2s,seed=42". Keys may appear in any
// order; missing ones are zero. An empty spec means no faults.
func ParseFaultSpec(spec string) (FaultConfig, error) {
	var c FaultConfig
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return c, nil
	}
	for _, part := range strings.Split(spec, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || val == "" {
			return FaultConfig{}, fmt.Errorf("fault spec %q: %q is not key=value (keys: 5xx, 429, drop, truncate, slow, seed)", spec, part)
		}
		if key == "seed" {
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return FaultConfig{}, fmt.Errorf("fault spec %q: seed %q is not a non-negative integer", spec, val)
			}
			c.Seed = n
			continue
		}
		rateText, delayText, hasDelay := strings.Cut(val, ":")
		if hasDelay && key != "slow" {
			return FaultConfig{}, fmt.Errorf("fault spec %q: only slow takes a delay (slow=RATE:DURATION)", spec)
		}
		rate, err := strconv.ParseFloat(rateText, 64)
		if err != nil || rate < 0 || rate > 1 {
			return FaultConfig{}, fmt.Errorf("fault spec %q: rate %q of %s must be a number between 0 and 1", spec, rateText, key)
		}
		switch key {
		case "5xx":
			c.Rate5xx = rate
		case "429":
			c.Rate429 = rate
		case "drop":
			c.RateDrop = rate
		case "truncate":
			c.RateTruncate = rate
		case "slow":
			c.RateSlow = rate
			if hasDelay {
				d, err := time.ParseDuration(delayText)
				if err != nil || d < 0 {
					return FaultConfig{}, fmt.Errorf("fault spec %q: slow delay %q is not a duration such as 2s", spec, delayText)
				}
				c.SlowDelay = d
			}
		default:
			return FaultConfig{}, fmt.Errorf("fault spec %q: unknown key %q (keys: 5xx, 429, drop, truncate, slow, seed)", spec, key)
		}
	}
	if err := c.validate(); err != nil {
		return FaultConfig{}, fmt.Errorf("fault spec %q: %w", spec, err)
	}
	return c, nil
}

type scriptedFault struct {
	pattern string
	fault   Fault
}

// faultInjector decides, per /admin/ request, whether and how it fails.
type faultInjector struct {
	mu     sync.Mutex
	cfg    FaultConfig
	rng    *rand.Rand
	script []scriptedFault
}

func newFaultInjector(cfg FaultConfig) *faultInjector {
	return &faultInjector{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed))}
}

// ScriptFaults queues faults for the next requests whose resource path matches pattern: the
// first matching request gets faults[0], the next faults[1], and so on. The pattern is
// matched against the path after "/admin/" or "/admin/api/{version}/", e.g. "orders.json"
// or "orders/*.json" (path.Match syntax); "" matches every API request. Scripted faults
// take precedence over random ones.
func (s *Server) ScriptFaults(pattern string, faults ...Fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	for _, f := range faults {
		s.faults.script = append(s.faults.script, scriptedFault{pattern: pattern, fault: f})
	}
}

func (fi *faultInjector) next(resource string) (Fault, bool) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	for i, sf := range fi.script {
		if sf.pattern == "" || sf.pattern == resource {
			fi.script = append(fi.script[:i], fi.script[i+1:]...)
			return fi.withDefaults(sf.fault), sf.fault.Kind != FaultNone
		}
		if ok, _ := path.Match(sf.pattern, resource); ok {
			fi.script = append(fi.script[:i], fi.script[i+1:]...)
			return fi.withDefaults(sf.fault), sf.fault.Kind != FaultNone
		}
	}
	if fi.cfg.total() == 0 {
		return Fault{}, false
	}
	u := fi.rng.Float64()
	c := fi.cfg
	var f Fault
	switch {
	case u < c.Rate5xx:
		f = Fault{Kind: Fault5xx, Status: []int{500, 502, 503, 504}[fi.rng.IntN(4)]}
	case u < c.Rate5xx+c.Rate429:
		f = Fault{Kind: Fault429}
	case u < c.Rate5xx+c.Rate429+c.RateDrop:
		f = Fault{Kind: FaultDrop}
	case u < c.Rate5xx+c.Rate429+c.RateDrop+c.RateTruncate:
		f = Fault{Kind: FaultTruncate}
	case u < c.total():
		f = Fault{Kind: FaultSlow, Delay: c.SlowDelay}
	default:
		return Fault{}, false
	}
	return fi.withDefaults(f), true
}

func (fi *faultInjector) withDefaults(f Fault) Fault {
	if f.Kind == Fault5xx && f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	if f.Kind == FaultSlow && f.Delay == 0 {
		f.Delay = 2 * time.Second
	}
	return f
}

const gatewayHTML = `<!DOCTYPE html>
<html><head><title>%d %s</title></head>
<body><h1>%d %s</h1><p>There was a problem loading this website. Please try again.</p></body></html>
`

// applyFault carries out f. It returns true when the request has been answered (or
// dropped), false when the request should now be served normally (after a slow delay).
func (s *Server) applyFault(w *statusWriter, r *apiRequest, f Fault, rec *Request) bool {
	switch f.Kind {
	case Fault5xx:
		switch f.Status {
		case http.StatusBadGateway, http.StatusGatewayTimeout:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(f.Status)
			text := http.StatusText(f.Status)
			_, _ = fmt.Fprintf(w, gatewayHTML, f.Status, text, f.Status, text)
		case http.StatusServiceUnavailable:
			writeJSONError(w, f.Status, "Service Unavailable")
		default:
			writeJSONError(w, f.Status, "Internal Server Error")
		}
		return true
	case Fault429:
		s.writeThrottled(w, 0)
		return true
	case FaultStatus:
		switch f.Status {
		case http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", `Basic Realm="Shopify API Authentication"`)
			writeJSONError(w, f.Status, "[API] Invalid API key or access token (unrecognized login or wrong password)")
		case http.StatusPaymentRequired, http.StatusLocked:
			writeJSONError(w, f.Status, "Unavailable Shop")
		case http.StatusForbidden:
			writeJSONError(w, f.Status, "[API] This action requires merchant approval for read_orders scope.")
		case http.StatusNotFound:
			writeJSONError(w, f.Status, "Not Found")
		default:
			writeJSONError(w, f.Status, http.StatusText(f.Status))
		}
		return true
	case FaultDrop:
		conn, _, err := http.NewResponseController(w.ResponseWriter).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return true
	case FaultTruncate:
		rr := httptest.NewRecorder()
		for k, v := range w.Header() {
			rr.Header()[k] = v
		}
		s.serveAuthorized(rr, r)
		rec.Status = rr.Code
		s.writeTruncated(w, rr)
		return true
	case FaultSlow:
		return !sleepCtx(r.Context(), f.Delay)
	}
	return false
}

// writeTruncated writes rr's answer by hand on the hijacked connection, announcing the full
// Content-Length but sending only half the body, then closes the connection.
func (s *Server) writeTruncated(w *statusWriter, rr *httptest.ResponseRecorder) {
	conn, _, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	body := rr.Body.Bytes()
	bw := bufio.NewWriter(conn)
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", rr.Code, http.StatusText(rr.Code))
	rr.Header().Del("Content-Length")
	_ = rr.Header().Write(bw)
	fmt.Fprintf(bw, "Content-Length: %d\r\nConnection: close\r\n\r\n", len(body))
	_, _ = bw.Write(body[:len(body)/2])
	_ = bw.Flush()
}

// sleepCtx waits for d or until ctx ends; it reports whether the full wait elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
