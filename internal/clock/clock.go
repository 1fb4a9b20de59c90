// Package clock is the one way kassa's services tell the time. A service that needs the
// time has a field or argument Clock of type func() time.Time, which tests set to a fixed or
// stepped clock and production leaves nil; the service reads it through Now (or takes Or
// once), so that the default is written here only.
//
// (The Shopify client's transport has a clock of its own that also sleeps, so that its
// pacing and backoff run without real seconds in tests: it needs more than the time.)
package clock

import "time"

// Now returns the time c tells, or the real time when c is nil.
func Now(c func() time.Time) time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

// Or returns c, or time.Now when c is nil.
func Or(c func() time.Time) func() time.Time {
	if c == nil {
		return time.Now
	}
	return c
}
