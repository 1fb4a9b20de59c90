package main

import (
	"context"
	"strings"
	"time"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// localTimeLayout is how every human-readable output of the command line shows a time:
// in the outlet's time zone, to the minute (JSON keeps RFC 3339 with the offset).
const localTimeLayout = "2006-01-02 15:04"

// localTime shows t in loc the way the command line shows times.
func localTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(localTimeLayout)
}

// parseAt reads a time given on the command line: 2026-11-25 14:05 (or 2026-11-25T14:05)
// in the outlet's time zone loc, as the register terminal takes it, or an RFC 3339 time
// with its offset (2026-11-25T14:05:00+01:00).
func parseAt(flag, s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{localTimeLayout, "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError("%s %q is not a time: write it like 2026-11-25 14:05 (the outlet's time) or 2026-11-25T14:05:00+01:00", flag, s)
}

// onlyDigits reports whether s is a number such as 1168.
func onlyDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// viewTime shows an RFC 3339 time of a JSON view (already in the outlet's time zone) the
// way the command line shows times.
func viewTime(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return rfc3339
	}
	return t.Format(localTimeLayout)
}

// shopZone is the time zone of times that belong to no outlet (tokens): the outlet's when
// there is one, else UTC. utc says which, so the output can name it.
func (c *cli) shopZone(ctx context.Context, q pg.Queryer) (loc *time.Location, utc bool) {
	if o, err := findOutlet(ctx, q, ""); err == nil {
		if l, err := o.Location(); err == nil {
			return l, false
		}
	}
	return time.UTC, true
}

// connectionZones maps each Shopify connection to its outlet's time zone.
func connectionZones(ctx context.Context, q pg.Queryer) map[int64]*time.Location {
	out := map[int64]*time.Location{}
	conns, err := shopify.ConnectionStore{}.List(ctx, q)
	if err != nil {
		return out
	}
	for _, cn := range conns {
		if loc, err := time.LoadLocation(cn.OutletTZ); err == nil {
			out[cn.ID] = loc
		}
	}
	return out
}

// zoneOf is a connection's outlet's time zone from zones, UTC when unknown.
func zoneOf(zones map[int64]*time.Location, connectionID int64) *time.Location {
	if loc, ok := zones[connectionID]; ok {
		return loc
	}
	return time.UTC
}
