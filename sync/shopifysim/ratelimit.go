package shopifysim

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
)

// Plan is a shop's rate limits. REST: a leaky bucket of Bucket requests that drains
// LeakPerSecond requests per second; Bucket 0 imposes no limit. GraphQL: a bucket of
// GraphQLBucket cost points restored at GraphQLRestore points per second; GraphQLBucket 0
// imposes no limit.
type Plan struct {
	Name          string
	Bucket        int
	LeakPerSecond float64
	// GraphQLBucket is the maximumAvailable of extensions.cost.throttleStatus.
	GraphQLBucket int
	// GraphQLRestore is its restoreRate in points per second.
	GraphQLRestore float64
}

// Shopify's plans. The restore rates are Shopify's published ones (100, 200, 1000 and 2000
// points per second); Shopify does not publish the GraphQL bucket sizes, and the simulator
// takes 20 seconds of restore (the figure Shopify's answers show for the standard plan,
// maximumAvailable 2000 at restoreRate 100). REST figures: 40/2, 80/4, 400/20 and, for
// Shopify for enterprise, 800/40 (also 20 seconds of leak).
var (
	// PlanOff imposes no rate limit.
	PlanOff = Plan{Name: "off"}
	// PlanStandard is Shopify's standard limit: 40 requests, 2 per second; 100 points per second.
	PlanStandard = Plan{Name: "standard", Bucket: 40, LeakPerSecond: 2, GraphQLBucket: 2000, GraphQLRestore: 100}
	// PlanAdvanced is Shopify Advanced: 80 requests, 4 per second; 200 points per second.
	PlanAdvanced = Plan{Name: "advanced", Bucket: 80, LeakPerSecond: 4, GraphQLBucket: 4000, GraphQLRestore: 200}
	// PlanPlus is Shopify Plus: 400 requests, 20 per second; 1000 points per second.
	PlanPlus = Plan{Name: "plus", Bucket: 400, LeakPerSecond: 20, GraphQLBucket: 20000, GraphQLRestore: 1000}
	// PlanEnterprise is Shopify for enterprise (Commerce Components): 800 requests, 40 per
	// second; 2000 points per second.
	PlanEnterprise = Plan{Name: "enterprise", Bucket: 800, LeakPerSecond: 40, GraphQLBucket: 40000, GraphQLRestore: 2000}
)

// CustomPlan is a REST bucket of the given size leaking leakPerSecond requests per second,
// e.g. for benchmarks that want Shopify's behaviour on a shorter time scale. Its GraphQL
// bucket is unlimited; WithGraphQL sets one.
func CustomPlan(bucket int, leakPerSecond float64) Plan {
	return Plan{Name: "custom", Bucket: bucket, LeakPerSecond: leakPerSecond}
}

// WithGraphQL returns the plan with a GraphQL bucket of bucket points restored at restore
// points per second.
func (p Plan) WithGraphQL(bucket int, restore float64) Plan {
	p.GraphQLBucket, p.GraphQLRestore = bucket, restore
	return p
}

// ParsePlan maps a plan name (standard, advanced, plus, enterprise, off) to its Plan.
func ParsePlan(name string) (Plan, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "standard":
		return PlanStandard, nil
	case "advanced":
		return PlanAdvanced, nil
	case "plus":
		return PlanPlus, nil
	case "enterprise":
		return PlanEnterprise, nil
	case "off", "none":
		return PlanOff, nil
	}
	return Plan{}, fmt.Errorf("unknown rate-limit plan %q: want standard, advanced, plus, enterprise or off", name)
}

func (p Plan) validate() error {
	if p.Bucket < 0 || (p.Bucket > 0 && !(p.LeakPerSecond > 0)) {
		return fmt.Errorf("rate-limit plan %q: bucket must be >= 0 and leak rate > 0", p.Name)
	}
	if p.GraphQLBucket < 0 || (p.GraphQLBucket > 0 && !(p.GraphQLRestore > 0)) {
		return fmt.Errorf("rate-limit plan %q: GraphQL bucket must be >= 0 and restore rate > 0", p.Name)
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
