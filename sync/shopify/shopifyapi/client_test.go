package shopifyapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

var simNow = time.Date(2026, 8, 28, 12, 0, 0, 0, time.UTC)

func newSim(t testing.TB, opts shopifysim.Options) *shopifysim.Server {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = func() time.Time { return simNow }
	}
	if opts.Logger == nil {
		l := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
		opts.Logger = &l
	}
	s, err := shopifysim.NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func generated(n int) *shopdata.GenerateOptions {
	return &shopdata.GenerateOptions{Seed: 42, Orders: n, Now: simNow}
}

func newSimClient(t testing.TB, s *shopifysim.Server, obs shopifyapi.Observer, mod func(*shopifyapi.Config)) *shopifyapi.Client {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	cfg := shopifyapi.Config{
		Shop:        s.Shop,
		AccessToken: s.Token,
		BaseURL:     s.URL,
		Logger:      &log,
		Observer:    obs,
		Transport: shopifyapi.TransportOptions{
			BaseBackoff:  time.Millisecond,
			MaxBackoff:   20 * time.Millisecond,
			ThrottleWait: 10 * time.Millisecond,
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := shopifyapi.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// listAll collects every order of a listing, failing on decode errors, and the page sizes.
func listAll(t testing.TB, c *shopifyapi.Client, opts shopifyapi.ListOptions) ([]shopifyapi.Order, []int) {
	t.Helper()
	var all []shopifyapi.Order
	var pages []int
	err := c.ListOrders(context.Background(), opts, func(page []shopifyapi.Order) error {
		pages = append(pages, len(page))
		for _, o := range page {
			if o.DecodeErr != nil {
				t.Errorf("order %d: %v", o.ID, o.DecodeErr)
			}
		}
		all = append(all, page...)
		return nil
	})
	if err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	return all, pages
}

// simIDs returns the ids of every order the simulator holds.
func simIDs(t testing.TB, s *shopifysim.Server) []int64 {
	t.Helper()
	var out []int64
	for _, raw := range s.AllOrders() {
		var o struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o.ID)
	}
	slices.Sort(out)
	return out
}

func orderIDs(orders []shopifyapi.Order) []int64 {
	out := make([]int64, len(orders))
	for i, o := range orders {
		out[i] = o.ID
	}
	return out
}

func TestClientListsEveryOrderOnce(t *testing.T) {
	t.Parallel()
	s := newSim(t, shopifysim.Options{Generate: generated(230)})
	c := newSimClient(t, s, nil, nil)
	ctx := context.Background()

	n, err := c.CountOrders(ctx, shopifyapi.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := simIDs(t, s)
	if n != len(want) || n != 230 {
		t.Fatalf("count = %d, want %d", n, len(want))
	}
	orders, pages := listAll(t, c, shopifyapi.ListOptions{Limit: 50})
	if fmt.Sprint(pages) != "[50 50 50 50 30]" {
		t.Errorf("page sizes = %v, want [50 50 50 50 30]", pages)
	}
	got := orderIDs(orders)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d orders, want each of the %d once", len(got), len(want))
	}
	// The decoded totals are the shop's.
	raw := map[int64]json.RawMessage{}
	for _, r := range s.AllOrders() {
		var o struct {
			ID int64 `json:"id"`
		}
		_ = json.Unmarshal(r, &o)
		raw[o.ID] = r
	}
	for _, o := range orders {
		var m struct {
			TotalPrice       string `json:"total_price"`
			TotalOutstanding string `json:"total_outstanding"`
			LineItems        []any  `json:"line_items"`
		}
		if err := json.Unmarshal(raw[o.ID], &m); err != nil {
			t.Fatal(err)
		}
		if o.TotalPrice.String() != decimal.RequireFromString(m.TotalPrice).String() ||
			!o.TotalOutstanding.Equal(decimal.RequireFromString(m.TotalOutstanding)) || len(o.LineItems) != len(m.LineItems) {
			t.Errorf("order %d: total %s outstanding %s lines %d, want %s %s %d", o.ID, o.TotalPrice, o.TotalOutstanding, len(o.LineItems), m.TotalPrice, m.TotalOutstanding, len(m.LineItems))
		}
		if string(o.Raw) != string(raw[o.ID]) {
			t.Errorf("order %d: Raw differs from what the shop served", o.ID)
		}
	}
	// Requests went to the versioned path, with Shopify's status=any and the page size.
	reqs := s.Requests()
	if len(reqs) == 0 || !strings.HasPrefix(reqs[1].Path, "/admin/api/"+shopifyapi.DefaultAPIVersion+"/orders.json") ||
		!strings.Contains(reqs[1].Query, "status=any") || !strings.Contains(reqs[1].Query, "limit=50") {
		t.Errorf("first list request = %+v", reqs[1])
	}
}

func TestClientSinceID(t *testing.T) {
	t.Parallel()
	s := newSim(t, shopifysim.Options{Generate: generated(120)})
	c := newSimClient(t, s, nil, nil)
	all := simIDs(t, s)
	since := all[len(all)/2]
	orders, _ := listAll(t, c, shopifyapi.ListOptions{SinceID: since, Limit: 25})
	got := orderIDs(orders)
	if !slices.Equal(got, all[len(all)/2+1:]) {
		t.Errorf("since_id %d listed %v, want %v in ascending order", since, got, all[len(all)/2+1:])
	}
}

func TestClientGetOrder(t *testing.T) {
	t.Parallel()
	old := mustJSON(t, map[string]any{"id": 7001, "name": "#7001", "created_at": simNow.AddDate(0, 0, -90).Format(time.RFC3339),
		"updated_at": simNow.AddDate(0, 0, -90).Format(time.RFC3339), "total_price": "5.00", "line_items": []any{}})
	s := newSim(t, shopifysim.Options{Generate: generated(5), RawOrders: []json.RawMessage{old}})
	c := newSimClient(t, s, nil, nil)
	ctx := context.Background()
	all := simIDs(t, s)
	id := all[len(all)-1] // a generated order; the old one has the smallest id
	o, err := c.GetOrder(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != id || o.Name == "" || o.TotalPrice.IsZero() {
		t.Errorf("order = %d %q %s", o.ID, o.Name, o.TotalPrice)
	}
	for _, missing := range []int64{999999, 7001} { // unknown; older than 60 days
		if _, err := c.GetOrder(ctx, missing); !errors.Is(err, shopifyapi.ErrNotFound) {
			t.Errorf("GetOrder(%d) = %v, want ErrNotFound", missing, err)
		}
	}
}

func TestClientPassesUndecodableOrdersOn(t *testing.T) {
	t.Parallel()
	good := mustJSON(t, map[string]any{"id": 8001, "name": "#8001", "created_at": simNow.Add(-time.Hour).Format(time.RFC3339), "total_price": "5.00"})
	bad := mustJSON(t, map[string]any{"id": 8002, "name": "#8002", "created_at": simNow.Add(-2 * time.Hour).Format(time.RFC3339), "total_price": "five euros"})
	s := newSim(t, shopifysim.Options{RawOrders: []json.RawMessage{good, bad}})
	c := newSimClient(t, s, nil, nil)
	var got []shopifyapi.Order
	if err := c.ListOrders(context.Background(), shopifyapi.ListOptions{}, func(page []shopifyapi.Order) error {
		got = append(got, page...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("listed %d orders, want 2", len(got))
	}
	byID := map[int64]shopifyapi.Order{got[0].ID: got[0], got[1].ID: got[1]}
	if byID[8001].DecodeErr != nil || !byID[8001].TotalPrice.Equal(decimal.RequireFromString("5")) {
		t.Errorf("good order = %+v", byID[8001])
	}
	b := byID[8002]
	if b.DecodeErr == nil || !strings.Contains(b.DecodeErr.Error(), "total_price") || b.Name != "#8002" || len(b.Raw) == 0 {
		t.Errorf("bad order = id %d name %q err %v", b.ID, b.Name, b.DecodeErr)
	}
}

func TestClientStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	s := newSim(t, shopifysim.Options{Generate: generated(60)})
	c := newSimClient(t, s, nil, nil)
	stop := errors.New("stop")
	pages := 0
	err := c.ListOrders(context.Background(), shopifyapi.ListOptions{Limit: 10}, func([]shopifyapi.Order) error {
		pages++
		if pages == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || pages != 2 {
		t.Errorf("err = %v after %d pages, want stop after 2", err, pages)
	}
}

func TestClientSurvivesFaults(t *testing.T) {
	t.Parallel()
	s := newSim(t, shopifysim.Options{
		Generate:      generated(200),
		MinRetryAfter: 5 * time.Millisecond,
		Faults: shopifysim.FaultConfig{
			Seed: 3, Rate5xx: 0.15, Rate429: 0.1, RateDrop: 0.1, RateTruncate: 0.1,
		},
	})
	var obs shopifyapi.Counters
	c := newSimClient(t, s, &obs, func(cfg *shopifyapi.Config) { cfg.Transport.MaxAttempts = 20 })
	n, err := c.CountOrders(context.Background(), shopifyapi.ListOptions{})
	if err != nil || n != 200 {
		t.Fatalf("count = %d, %v", n, err)
	}
	orders, _ := listAll(t, c, shopifyapi.ListOptions{Limit: 10})
	got := orderIDs(orders)
	slices.Sort(got)
	if !slices.Equal(got, simIDs(t, s)) {
		t.Errorf("listed %d orders, want each of 200 once", len(got))
	}
	st := s.Stats()
	faults := st.Faults["5xx"] + st.Faults["429"] + st.Faults["drop"] + st.Faults["truncate"]
	c2 := obs.Snapshot()
	if faults == 0 || c2.Retries+c2.Throttled == 0 {
		t.Errorf("faults %v, observed %+v: the test injected nothing", st.Faults, c2)
	}
}

func TestClientPacedUnderRateLimit(t *testing.T) {
	t.Parallel()
	// A small bucket of 4 requests leaking 3 per second: slow enough that 13 requests
	// (a count and 12 pages) fill it even on a loaded machine, fast enough for a test.
	s := newSim(t, shopifysim.Options{
		Generate:      generated(150),
		Plan:          shopifysim.CustomPlan(4, 3),
		MinRetryAfter: 10 * time.Millisecond,
	})
	var obs shopifyapi.Counters
	c := newSimClient(t, s, &obs, func(cfg *shopifyapi.Config) { cfg.Transport.LeakRate = 3 })
	if n, err := c.CountOrders(context.Background(), shopifyapi.ListOptions{}); err != nil || n != 150 {
		t.Fatalf("count = %d, %v", n, err)
	}
	orders, _ := listAll(t, c, shopifyapi.ListOptions{Limit: 13})
	got := orderIDs(orders)
	slices.Sort(got)
	if !slices.Equal(got, simIDs(t, s)) {
		t.Errorf("listed %d orders, want each of 150 once", len(got))
	}
	if s.Throttled() != 0 || obs.Snapshot().Throttled != 0 {
		t.Errorf("shop answered %d requests with 429, want none", s.Throttled())
	}
	if obs.Snapshot().Paced == 0 {
		t.Error("no pacing waits: the bucket never filled and the test proves nothing")
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, cfg := range []shopifyapi.Config{
		{AccessToken: "t"},
		{Shop: "demo"},
		{Shop: "demo", AccessToken: "t", APIVersion: "2024-1"},
		{Shop: "demo", AccessToken: "t", BaseURL: "127.0.0.1:80"},
	} {
		if _, err := shopifyapi.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
	c, err := shopifyapi.New(shopifyapi.Config{Shop: "Demo", AccessToken: "t"})
	if err != nil || c.Shop() != "demo.myshopify.com" {
		t.Errorf("New = %v, %v", c, err)
	}
	// Refused before any request is made (no network here).
	if err := c.ListOrders(context.Background(), shopifyapi.ListOptions{Limit: 251}, nil); err == nil {
		t.Error("ListOrders accepted limit 251")
	}
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
