package daemon

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// TestReadBodyGrowsWithWhatArrives reads bodies a byte at a time: the result is the body,
// and the buffer holds no more than the announced length (rounded to the allocator's size
// class) nor, before 16 KiB have arrived, more than 16 KiB.
func TestReadBodyGrowsWithWhatArrives(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 100, 16 << 10, 16<<10 + 1, 300_000} {
		body := bytes.Repeat([]byte("k"), n)
		for _, announced := range []int64{int64(n), -1} {
			got, err := readBody(iotest.HalfReader(bytes.NewReader(body)), announced, nil)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("%d bytes (announced %d): %d bytes read, %v", n, announced, len(got), err)
			}
			if announced >= 0 && cap(got) > n+1+8192 {
				t.Errorf("%d bytes announced: a buffer of %d", n, cap(got))
			}
		}
	}
	// A sender that announces 2 MiB and sends 10 bytes holds 16 KiB, not 2 MiB.
	got, err := readBody(io.MultiReader(strings.NewReader("0123456789"), iotest.ErrReader(io.ErrUnexpectedEOF)), 2<<20, nil)
	if err == nil || len(got) != 10 || cap(got) > 16<<10+8192 {
		t.Fatalf("a cut body: %d bytes in a buffer of %d, %v", len(got), cap(got), err)
	}
	// A reused buffer is emptied first.
	reuse := append(make([]byte, 0, 1<<20), "stale"...)
	if got, _ := readBody(strings.NewReader("fresh"), 5, reuse); string(got) != "fresh" {
		t.Fatalf("read into a reused buffer: %q", got)
	}
}

// TestRefusalLogWritesOneLinePerKeyAndWindow lets the first refusal of a key through,
// holds back the next ones for a window and then counts them on the next line.
func TestRefusalLogWritesOneLinePerKeyAndWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	l := newRefusalLog(func() time.Time { return now }, time.Minute)
	if ok, n := l.allow("a.myshopify.com"); !ok || n != 0 {
		t.Fatalf("first refusal: %v %d", ok, n)
	}
	for range 7 {
		if ok, _ := l.allow("a.myshopify.com"); ok {
			t.Fatal("a refusal within the minute is logged")
		}
	}
	if ok, _ := l.allow("b.myshopify.com"); !ok {
		t.Fatal("another shop's first refusal is held back")
	}
	now = now.Add(59 * time.Second)
	if ok, _ := l.allow("a.myshopify.com"); ok {
		t.Fatal("a refusal 59 s later is logged")
	}
	now = now.Add(time.Second)
	if ok, n := l.allow("a.myshopify.com"); !ok || n != 8 {
		t.Fatalf("a minute later: %v, %d left out, want 8", ok, n)
	}
	if ok, _ := l.allow("a.myshopify.com"); ok {
		t.Fatal("the window did not start again")
	}
}

// TestDurabilityWarnings warns about fsync and synchronous_commit off, and only then.
func TestDurabilityWarnings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d    durability
		want []string
	}{
		{durability{"on", "on"}, nil},
		{durability{"on", "remote_apply"}, nil},
		{durability{"on", "local"}, nil},
		{durability{"off", "on"}, []string{"fsync off"}},
		{durability{"on", "off"}, []string{"synchronous_commit off"}},
		{durability{"off", "off"}, []string{"fsync off", "synchronous_commit off"}},
	} {
		got := c.d.warnings()
		if got == nil || len(got) != len(c.want) {
			t.Errorf("%+v: %q, want %d warnings", c.d, got, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%+v: %q, want it to say %q", c.d, got[i], w)
			}
		}
	}
}

// FuzzWebhookBodyChecks feeds any body to the topics' checks: they never panic, no body is
// both an order and a shop, an accepted order is a JSON object with a positive whole id
// that kassa's order decoder reads, and an accepted shop names the shop.
func FuzzWebhookBodyChecks(f *testing.F) {
	f.Add([]byte(`{"id": 1, "name": "#1001", "line_items": []}`))
	f.Add([]byte(`{"id": 548380009, "myshopify_domain": "demo.myshopify.com"}`))
	f.Add([]byte(`{"id": 548380009, "domain": "demo.myshopify.com", "myshopify_domain": null}`))
	f.Add([]byte(`{"id": "1", "order_number": 1001, "line_items": [{}]}`))
	f.Add([]byte(`[{"id": 1}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		const shop = "demo.myshopify.com"
		order := checkOrderBody(body, shop) == nil
		isShop := checkShopBody(body, shop) == nil
		if order && isShop {
			t.Fatalf("%s is both an order and a shop", body)
		}
		if order {
			var o struct {
				ID json.Number `json:"id"`
			}
			if err := json.Unmarshal(body, &o); err != nil {
				t.Fatalf("accepted order %s does not decode: %v", body, err)
			}
			if id, err := o.ID.Int64(); err != nil || id <= 0 {
				t.Fatalf("accepted order %s has id %q", body, o.ID)
			}
			dec, err := shopifyapi.DecodeOrder(body)
			if err == nil && dec.ID <= 0 {
				t.Fatalf("accepted order %s decodes to id %d", body, dec.ID)
			}
		}
		if isShop {
			var s map[string]any
			if err := json.Unmarshal(body, &s); err != nil {
				t.Fatalf("accepted shop %s does not decode: %v", body, err)
			}
			named, _ := s["myshopify_domain"].(string)
			if named == "" {
				named, _ = s["domain"].(string)
			}
			if !strings.EqualFold(strings.TrimSpace(named), shop) {
				t.Fatalf("accepted shop %s is not %s", body, shop)
			}
		}
	})
}
