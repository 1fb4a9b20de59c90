package daemon

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"
)

func TestDueDays(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	n := &nightly{hour: 23, minute: 55, catchUp: 3}
	longAgo := time.Date(2020, 1, 1, 0, 0, 0, 0, loc)
	for _, c := range []struct {
		name    string
		now     time.Time
		created time.Time
		want    []string
	}{
		{"before the time: up to yesterday", time.Date(2026, 11, 20, 23, 54, 0, 0, loc), longAgo, []string{"2026-11-17", "2026-11-18", "2026-11-19"}},
		{"at the time: today too", time.Date(2026, 11, 20, 23, 55, 0, 0, loc), longAgo, []string{"2026-11-18", "2026-11-19", "2026-11-20"}},
		{"the outlet's local day (00:30 on the 21st), not UTC's (23:30 on the 20th)", time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC), longAgo, []string{"2026-11-18", "2026-11-19", "2026-11-20"}},
		{"not before the outlet existed", time.Date(2026, 11, 20, 12, 0, 0, 0, loc), time.Date(2026, 11, 19, 9, 0, 0, 0, loc), []string{"2026-11-19"}},
		{"a new outlet has no due day yet", time.Date(2026, 11, 20, 12, 0, 0, 0, loc), time.Date(2026, 11, 20, 9, 0, 0, 0, loc), nil},
		{"across the DST change", time.Date(2026, 3, 30, 0, 30, 0, 0, loc), longAgo, []string{"2026-03-27", "2026-03-28", "2026-03-29"}},
	} {
		got := n.dueDays(c.now, loc, c.created)
		var gs []string
		for _, d := range got {
			gs = append(gs, d.Format(time.DateOnly))
			if d.Location() != loc || d.Hour() != 0 {
				t.Errorf("%s: day %s is not a local midnight", c.name, d)
			}
		}
		if len(gs) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, gs, c.want)
			continue
		}
		for i := range gs {
			if gs[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.name, gs, c.want)
				break
			}
		}
	}
	// The scheduled moment follows the local clock on a 23-hour day.
	if got := n.scheduled(time.Date(2026, 3, 29, 0, 0, 0, 0, loc), loc); got.Format(time.RFC3339) != "2026-03-29T23:55:00+02:00" {
		t.Errorf("scheduled on the DST day: %s", got.Format(time.RFC3339))
	}
}

func TestBackoffDoublesUpToItsCap(t *testing.T) {
	t.Parallel()
	wk := &webhookWorker{retryBase: time.Second, retryMax: 10 * time.Second}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := wk.backoff(i + 1); got != w {
			t.Errorf("after %d failures: %s, want %s", i+1, got, w)
		}
	}
}

func FuzzVerifySignature(f *testing.F) {
	// verify is the receiver's check of the X-Shopify-Hmac-Sha256 header.
	verify := func(body []byte, header, secret string) bool {
		mac, ok := decodeSignature(header)
		return ok && verifySignature(body, mac, secret)
	}
	f.Add([]byte(`{"id": 1}`), "simulator-secret", 0)
	f.Add([]byte{}, "s", 3)
	f.Fuzz(func(t *testing.T, body []byte, secret string, flip int) {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
		if secret != "" && !verify(body, sig, secret) {
			t.Fatal("a good signature is refused")
		}
		if verify(body, sig, secret+"x") {
			t.Fatal("a signature made with another secret is accepted")
		}
		if len(body) > 0 {
			other := append([]byte(nil), body...)
			i := flip % len(other)
			if i < 0 {
				i = -i
			}
			other[i] ^= 0x01
			if verify(other, sig, secret) {
				t.Fatal("a changed body is accepted")
			}
		}
		if verify(body, "", secret) || verify(body, sig[:len(sig)/2], secret) {
			t.Fatal("a missing or cut signature is accepted")
		}
	})
}
