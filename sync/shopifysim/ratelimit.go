package shopifysim

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
)

// Plan is a shop's REST rate limit: a leaky bucket of Bucket requests that drains
// LeakPerSecond requests per second. A Plan with Bucket 0 imposes no limit.
type Plan struct {
	Name          string
	Bucket        int
	LeakPerSecond float64
}

// Shopify's REST plans.
var (
	// PlanOff imposes no rate limit.
	PlanOff = Plan{Name: "off"}
	// PlanStandard is Shopify's standard limit: 40 requests, 2 per second.
	PlanStandard = Plan{Name: "standard", Bucket: 40, LeakPerSecond: 2}
	// PlanAdvanced is Shopify Advanced: 80 requests, 4 per second.
	PlanAdvanced = Plan{Name: "advanced", Bucket: 80, LeakPerSecond: 4}
	// PlanPlus is Shopify Plus: 400 requests, 20 per second.
	PlanPlus = Plan{Name: "plus", Bucket: 400, LeakPerSecond: 20}
)

// CustomPlan is a bucket of the given size leaking leakPerSecond requests per second, e.g.
// for benchmarks that want Shopify's behaviour on a shorter time scale.
func CustomPlan(bucket int, leakPerSecond float64) Plan {
	return Plan{Name: "custom", Bucket: bucket, LeakPerSecond: leakPerSecond}
}

// ParsePlan maps a plan name (standard, advanced, plus, off) to its Plan.
func ParsePlan(name string) (Plan, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "standard":
		return PlanStandard, nil
	case "advanced":
		return PlanAdvanced, nil
	case "plus":
		return PlanPlus, nil
	case "off", "none":
		return PlanOff, nil
	}
	return Plan{}, fmt.Errorf("unknown rate-limit plan %q: want standard, advanced, plus or off", name)
}

func (p Plan) validate() error {
	if p.Bucket < 0 || (p.Bucket > 0 && !(p.LeakPerSecond > 0)) {
		return fmt.Errorf("rate-limit plan %q: bucket must be >= 0 and leak rate > 0", p.Name)
	}
	return nil
}

// bucket is the leaky bucket. It runs on the monotonic clock (time.Since), not on the
// injected clock, so a test's fixed clock does not stop the leak.
type bucket struct {
	plan  Plan
	mu    sync.Mutex
	level float64
	last  time.Time
}

func newBucket(p Plan) *bucket { return &bucket{plan: p, last: time.Now()} }

// size is the bucket size reported in X-Shopify-Shop-Api-Call-Limit; an unlimited shop
// reports the standard 40 so clients that read the header keep working.
func (b *bucket) size() int {
	if b.plan.Bucket == 0 {
		return PlanStandard.Bucket
	}
	return b.plan.Bucket
}

// take admits one request. It returns the fill level after admitting it, or false and how
// long until there is room for one more request.
func (b *bucket) take() (used int, ok bool, wait time.Duration) {
	if b.plan.Bucket == 0 {
		return 1, true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.level -= now.Sub(b.last).Seconds() * b.plan.LeakPerSecond
	if b.level < 0 {
		b.level = 0
	}
	b.last = now
	if b.level+1 > float64(b.plan.Bucket) {
		need := (b.level + 1 - float64(b.plan.Bucket)) / b.plan.LeakPerSecond
		return 0, false, time.Duration(need * float64(time.Second))
	}
	b.level++
	return int(math.Ceil(b.level - 1e-9)), true, 0
}
