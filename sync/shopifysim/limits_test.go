package shopifysim_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/kassa-pos/kassa/sync/shopifysim"
)

func TestHammeringGets429WithRetryAfter(t *testing.T) {
	t.Parallel()
	// One request per second drains a bucket of 3: 20 back-to-back requests must overflow
	// it however slow the machine is.
	s := newServer(t, shopifysim.Options{Plan: shopifysim.CustomPlan(3, 1), RawOrders: manyOrders(t, 2)})
	c := newClient(t, s)
	ctx := context.Background()
	var limited int
	for range 20 {
		_, err := c.Order.Count(ctx, nil)
		var rl goshopify.RateLimitError
		if errors.As(err, &rl) {
			limited++
			if rl.RetryAfter < 1 || rl.Status != 429 {
				t.Errorf("RateLimitError %+v: want RetryAfter >= 1", rl)
			}
			if !strings.HasPrefix(rl.Message, "Exceeded 1 calls per second for api client.") {
				t.Errorf("message %q", rl.Message)
			}
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if limited == 0 || s.Throttled() != int64(limited) {
		t.Fatalf("limited %d, server counted %d", limited, s.Throttled())
	}
	resp := until429(t, s)
	b, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-Shopify-Shop-Api-Call-Limit") != "" {
		t.Fatalf("429 answer: %d, call-limit %q", resp.StatusCode, resp.Header.Get("X-Shopify-Shop-Api-Call-Limit"))
	}
	if ra := resp.Header.Get("Retry-After"); ra != "1.0" {
		t.Errorf("Retry-After = %q, want 1.0", ra)
	}
	if string(b) != `{"errors":"Exceeded 1 calls per second for api client. Reduce request rates to resume uninterrupted service."}` {
		t.Errorf("body %s", b)
	}
}

func TestStandardPlanBodyAndOmittedRetryAfter(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{Plan: shopifysim.PlanStandard, OmitRetryAfter: true})
	first := get(t, s, "/admin/orders.json")
	if got := first.Header.Get("X-Shopify-Shop-Api-Call-Limit"); got != "1/40" {
		t.Errorf("first call-limit = %q, want 1/40", got)
	}
	last := until429(t, s)
	b, _ := io.ReadAll(last.Body)
	if last.Header.Get("Retry-After") != "" ||
		!strings.HasPrefix(string(b), `{"errors":"Exceeded 2 calls per second for api client.`) {
		t.Errorf("want 429 without Retry-After, got %d %q %s", last.StatusCode, last.Header.Get("Retry-After"), b)
	}
}

// until429 sends requests until one is throttled; the bound is far above any bucket used
// here, so only a simulator that never throttles reaches it.
func until429(t *testing.T, s *shopifysim.Server) *http.Response {
	t.Helper()
	for range 1000 {
		resp := get(t, s, "/admin/orders/count.json")
		if resp.StatusCode == http.StatusTooManyRequests {
			return resp
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	t.Fatal("no 429 in 1000 back-to-back requests")
	return nil
}

func TestPacingByCallLimitHeaderAvoids429(t *testing.T) {
	t.Parallel()
	const leak = 50.0
	s := newServer(t, shopifysim.Options{Plan: shopifysim.CustomPlan(4, leak), RawOrders: manyOrders(t, 2)})
	c := newClient(t, s)
	ctx := context.Background()
	for range 30 {
		if _, err := c.Order.Count(ctx, nil); err != nil {
			t.Fatalf("paced request failed: %v", err)
		}
		// A polite client waits for one marble to leak whenever the bucket is nearly full.
		if c.RateLimits.RequestCount >= c.RateLimits.BucketSize-1 {
			time.Sleep(time.Duration(float64(time.Second) / leak * 2))
		}
	}
	if s.Throttled() != 0 {
		t.Errorf("paced client was throttled %d times", s.Throttled())
	}
}

func TestParsePlan(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]shopifysim.Plan{
		"standard": shopifysim.PlanStandard, "advanced": shopifysim.PlanAdvanced, "plus": shopifysim.PlanPlus, "off": shopifysim.PlanOff,
	} {
		if got, err := shopifysim.ParsePlan(name); err != nil || got != want {
			t.Errorf("ParsePlan(%q) = %v, %v", name, got, err)
		}
	}
	if _, err := shopifysim.ParsePlan("gold"); err == nil {
		t.Error("ParsePlan(gold) must fail")
	}
}

func TestScriptedFaultsAreObservable(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{RawOrders: manyOrders(t, 3)})
	ctx := context.Background()

	t.Run("502 html", func(t *testing.T) {
		s.ScriptFaults("orders/count.json", shopifysim.Fault{Kind: shopifysim.Fault5xx, Status: 502})
		resp := get(t, s, "/admin/api/2024-10/orders/count.json")
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 502 || !strings.Contains(string(b), "<html>") {
			t.Errorf("got %d %s", resp.StatusCode, b)
		}
	})
	t.Run("500 not retried", func(t *testing.T) {
		c := newClient(t, s, goshopify.WithRetry(3))
		s.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.Fault5xx, Status: 500})
		_, err := c.Order.List(ctx, nil)
		var re goshopify.ResponseError
		if !errors.As(err, &re) || re.Status != 500 {
			t.Errorf("want 500, got %v", err)
		}
	})
	t.Run("503 retried by go-shopify", func(t *testing.T) {
		c := newClient(t, s, goshopify.WithRetry(2))
		s.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.Fault5xx, Status: 503})
		got, err := c.Order.List(ctx, nil)
		if err != nil || len(got) != 3 {
			t.Errorf("after one 503 the retry must succeed: %d orders, %v", len(got), err)
		}
	})
	t.Run("429", func(t *testing.T) {
		c := newClient(t, s)
		s.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.Fault429})
		_, err := c.Order.List(ctx, nil)
		var rl goshopify.RateLimitError
		if !errors.As(err, &rl) || rl.RetryAfter != 1 {
			t.Errorf("want RateLimitError with RetryAfter 1, got %v", err)
		}
	})
	t.Run("drop", func(t *testing.T) {
		// A fresh client: Go's transport silently retries idempotent requests that die on
		// a reused connection, so the drop is visible on a new one.
		c := newClient(t, s)
		s.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.FaultDrop})
		if _, err := c.Order.List(ctx, nil); err == nil || !strings.Contains(err.Error(), "EOF") {
			t.Errorf("want EOF from a dropped connection, got %v", err)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		c := newClient(t, s)
		s.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.FaultTruncate})
		_, err := c.Order.List(ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
			t.Errorf("want unexpected EOF from a truncated body, got %v", err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		c := newClient(t, s)
		s.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: time.Hour})
		tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, err := c.Order.List(tctx, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("want deadline exceeded while the answer is delayed, got %v", err)
		}
	})
	t.Run("403 scope", func(t *testing.T) {
		c := newClient(t, s)
		s.ScriptFaults("orders/*.json", shopifysim.Fault{Kind: shopifysim.FaultStatus, Status: 403})
		_, err := c.Order.Get(ctx, 1001, nil)
		var re goshopify.ResponseError
		if !errors.As(err, &re) || re.Status != 403 || re.Message != "[API] This action requires merchant approval for read_orders scope." {
			t.Errorf("want Shopify's 403, got %v", err)
		}
	})
	t.Run("control endpoints never fault", func(t *testing.T) {
		s.ScriptFaults("", shopifysim.Fault{Kind: shopifysim.FaultDrop})
		resp, err := http.Get(s.URL + "/_sim/stats")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("stats: %v", err)
		}
		resp.Body.Close()
		// The queued drop is still waiting for the next API request.
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/admin/orders/count.json", nil)
		req.Header.Set("X-Shopify-Access-Token", s.Token)
		req.Close = true
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Errorf("API request after the control request was not dropped: %d", resp.StatusCode)
		}
	})
	st := s.Stats()
	for _, k := range []string{"5xx", "429", "drop", "truncate", "slow", "status"} {
		if st.Faults[k] == 0 {
			t.Errorf("fault %s not counted: %v", k, st.Faults)
		}
	}
}

func TestRandomFaultsAreDeterministic(t *testing.T) {
	t.Parallel()
	cfg, err := shopifysim.ParseFaultSpec("5xx=0.3,429=0.2,seed=42")
	if err != nil {
		t.Fatal(err)
	}
	run := func() []string {
		s := newServer(t, shopifysim.Options{Faults: cfg})
		for range 40 {
			get(t, s, "/admin/orders/count.json")
		}
		var out []string
		for _, r := range s.Requests() {
			out = append(out, r.Fault+":"+http.StatusText(r.Status))
		}
		return out
	}
	a, b := run(), run()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	if !strings.Contains(strings.Join(a, ","), "5xx") || !strings.Contains(strings.Join(a, ","), "429:Too Many Requests") {
		t.Errorf("expected both fault kinds in 40 requests: %v", a)
	}
}

func TestParseFaultSpec(t *testing.T) {
	t.Parallel()
	got, err := shopifysim.ParseFaultSpec("5xx=0.05,429=0.05,drop=0.02,truncate=0.01,slow=0.01:2s,seed=42")
	if err != nil {
		t.Fatal(err)
	}
	want := shopifysim.FaultConfig{Seed: 42, Rate5xx: 0.05, Rate429: 0.05, RateDrop: 0.02, RateTruncate: 0.01, RateSlow: 0.01, SlowDelay: 2 * time.Second}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"5xx", "5xx=2", "boom=0.1", "drop=0.1:2s", "slow=0.1:soon", "seed=-1", "5xx=0.6,429=0.6", "5xx=abc"} {
		if _, err := shopifysim.ParseFaultSpec(bad); err == nil {
			t.Errorf("ParseFaultSpec(%q) must fail", bad)
		} else if !strings.Contains(err.Error(), "fault spec") {
			t.Errorf("error %q does not name the spec", err)
		}
	}
	if c, err := shopifysim.ParseFaultSpec(""); err != nil || c != (shopifysim.FaultConfig{}) {
		t.Errorf("empty spec: %+v %v", c, err)
	}
}
