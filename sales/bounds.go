package sales

import (
	"fmt"
	"time"
)

// ParseDayOrTime reads a bound of the sales history (Filter.From or Filter.To) as staff
// give it: a date (2026-11-24), which is a day in the outlet's time zone loc, or an RFC
// 3339 time. The history runs from From up to To, To left out, so a date given as the
// upper bound (end) stands for the end of that day: the day is included.
func ParseDayOrTime(s string, loc *time.Location, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2026-11-24) nor an RFC 3339 time", s)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}
