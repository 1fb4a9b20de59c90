package sales_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sales"
)

// TestParseDayOrTime: a date is a day in the outlet's time zone, and as the upper bound
// it takes the whole day in; an RFC 3339 time is taken as it is.
func TestParseDayOrTime(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in   string
		end  bool
		want string
	}{
		{"2026-11-24", false, "2026-11-24T00:00:00+01:00"},
		{"2026-11-24", true, "2026-11-25T00:00:00+01:00"},
		{"2026-03-29", true, "2026-03-30T00:00:00+02:00"}, // a 23-hour day: clocks go forward
		{"2026-11-24T14:05:00+01:00", false, "2026-11-24T14:05:00+01:00"},
		{"2026-11-24T14:05:00Z", true, "2026-11-24T14:05:00Z"}, // a time is never moved
	} {
		got, err := sales.ParseDayOrTime(c.in, loc, c.end)
		if err != nil || got.Format(time.RFC3339) != c.want {
			t.Errorf("ParseDayOrTime(%q, end %v) = %s, %v, want %s", c.in, c.end, got.Format(time.RFC3339), err, c.want)
		}
	}
	for _, bad := range []string{"yesterday", "24/11/2026", "2026-11-24 14:05", ""} {
		if _, err := sales.ParseDayOrTime(bad, loc, false); err == nil || !strings.Contains(err.Error(), "neither a date (2026-11-24) nor an RFC 3339 time") {
			t.Errorf("ParseDayOrTime(%q) = %v, want it refused", bad, err)
		}
	}
}
