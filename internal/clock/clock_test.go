package clock

import (
	"testing"
	"time"
)

func TestNowAndOr(t *testing.T) {
	fixed := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	c := func() time.Time { return fixed }
	if got := Now(c); !got.Equal(fixed) {
		t.Errorf("Now(fixed) = %v, want %v", got, fixed)
	}
	if got := Or(c)(); !got.Equal(fixed) {
		t.Errorf("Or(fixed)() = %v, want %v", got, fixed)
	}
	before := time.Now()
	got, gotOr := Now(nil), Or(nil)()
	after := time.Now()
	for _, g := range []time.Time{got, gotOr} {
		if g.Before(before) || g.After(after) {
			t.Errorf("the nil clock told %v, not the real time (between %v and %v)", g, before, after)
		}
	}
}
