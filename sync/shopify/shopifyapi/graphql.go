package shopifyapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode"

	goshopify "github.com/bold-commerce/go-shopify/v4"
)

// GraphQL Admin API calls go through go-shopify's GraphQL service, one attempt at a time:
// the client is built without retries, so go-shopify never sleeps (its own retry loop
// sleeps without a context). kassa's loop around it paces queries on Shopify's cost-based
// limit, read from every answer's extensions.cost: before a query it waits until the bucket
// is estimated to hold the query's cost (as Shopify charged it the last time), and after a
// THROTTLED answer it waits the time the bucket needs to restore the missing points. Every
// wait ends with the context.

// DefaultMaxThrottledQueries bounds how many THROTTLED answers one query waits out.
const DefaultMaxThrottledQueries = 10

// CallStats are what a Client's requests saw.
type CallStats struct {
	// LastSuccess is when Shopify last answered a request with 2xx; zero when it never did.
	LastSuccess time.Time
	// APIVersion is the version the client asks for; ServedVersion the one Shopify last
	// answered in (X-Shopify-API-Version), "" before any answer.
	APIVersion, ServedVersion string
}

// callTracker is the Observer a Client puts in front of the configured one, to keep its
// CallStats.
type callTracker struct {
	next    Observer
	version string
	mu      sync.Mutex
	last    time.Time
	served  string
}

func (t *callTracker) stats() CallStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return CallStats{LastSuccess: t.last, APIVersion: t.version, ServedVersion: t.served}
}

// ObserveAttempt implements Observer.
func (t *callTracker) ObserveAttempt(a Attempt) {
	t.mu.Lock()
	if a.Status >= 200 && a.Status < 300 && a.At.After(t.last) {
		t.last = a.At
	}
	if a.ServedVersion != "" && a.APIVersion != "" {
		t.served = a.ServedVersion
	}
	t.mu.Unlock()
	if t.next != nil {
		t.next.ObserveAttempt(a)
	}
}

// ObservePacing implements Observer.
func (t *callTracker) ObservePacing(shop string, wait time.Duration) {
	if t.next != nil {
		t.next.ObservePacing(shop, wait)
	}
}

// ObserveThrottled implements Observer.
func (t *callTracker) ObserveThrottled(shop string, wait time.Duration) {
	if t.next != nil {
		t.next.ObserveThrottled(shop, wait)
	}
}

// ObserveRetry implements Observer.
func (t *callTracker) ObserveRetry(shop, reason string, wait time.Duration) {
	if t.next != nil {
		t.next.ObserveRetry(shop, reason, wait)
	}
}

// Cost is a GraphQL answer's extensions.cost.
type Cost struct {
	Requested int
	// Actual is -1 when the query did not run (THROTTLED).
	Actual             int
	MaximumAvailable   float64
	CurrentlyAvailable float64
	RestoreRate        float64
}

func costOf(c *goshopify.GraphQLCost) Cost {
	out := Cost{
		Requested: c.RequestedQueryCost, Actual: -1, MaximumAvailable: c.ThrottleStatus.MaximumAvailable,
		CurrentlyAvailable: c.ThrottleStatus.CurrentlyAvailable, RestoreRate: c.ThrottleStatus.RestoreRate,
	}
	if c.ActualQueryCost != nil {
		out.Actual = *c.ActualQueryCost
	}
	return out
}

// costPacer is kassa's view of a shop's GraphQL bucket.
type costPacer struct {
	mu        sync.Mutex
	known     bool
	max       float64
	available float64
	restore   float64
	at        time.Time
	// requested is what each query was charged the last time, by query text.
	requested map[string]int
}

// levelAt is the estimated number of points available at now; the caller holds mu.
func (p *costPacer) levelAt(now time.Time) float64 {
	return math.Min(p.max, p.available+now.Sub(p.at).Seconds()*p.restore)
}

// wait returns how long to wait before sending query, and takes its cost from the
// estimate.
func (p *costPacer) wait(query string, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	need := float64(p.requested[query])
	if !p.known || need == 0 || p.restore <= 0 {
		return 0
	}
	level := p.levelAt(now)
	var d time.Duration
	if need > level {
		d = time.Duration(math.Ceil((need - level) / p.restore * float64(time.Second)))
		level = need
		now = now.Add(d)
	}
	p.available, p.at = level-need, now
	return d
}

// expect sets what query will request next time (its variables change its cost).
func (p *costPacer) expect(query string, cost int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.requested == nil {
		p.requested = map[string]int{}
	}
	p.requested[query] = cost
}

// observe takes an answer's cost as the new estimate.
func (p *costPacer) observe(query string, c Cost, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.requested == nil {
		p.requested = map[string]int{}
	}
	if c.Requested > 0 {
		p.requested[query] = c.Requested
	}
	if c.MaximumAvailable > 0 {
		p.known, p.max, p.available, p.restore, p.at = true, c.MaximumAvailable, c.CurrentlyAvailable, c.RestoreRate, now
	}
}

// throttledWait is how long a THROTTLED query waits: until the bucket holds its requested
// cost again, and at least a second when Shopify gave no figures.
func throttledWait(c Cost) time.Duration {
	if c.RestoreRate <= 0 {
		return time.Second
	}
	missing := float64(c.Requested) - c.CurrentlyAvailable
	return max(time.Duration(math.Ceil(missing/c.RestoreRate*float64(time.Second))), 0)
}

// ErrThrottled is returned (wrapped) when a query was still THROTTLED after the waits
// DefaultMaxThrottledQueries allows.
var ErrThrottled = errors.New("shopify kept throttling the query")

// GraphQLError is an answer's top-level GraphQL errors (not userErrors): Shopify's
// messages, e.g. MAX_COST_EXCEEDED or ACCESS_DENIED.
type GraphQLError struct {
	Messages []string
}

func (e *GraphQLError) Error() string {
	return "Shopify refused the query: " + CleanText(strings.Join(e.Messages, "; "))
}

// Query runs a GraphQL query or mutation against the shop's Admin API and decodes its data
// into out (a pointer). It paces the query on the shop's cost-based limit and waits out
// THROTTLED answers, every wait ending with ctx. GraphQL errors come back as *GraphQLError
// with Shopify's messages; a 401 that renewing the token did not cure matches
// ErrUnauthorized.
func (c *Client) Query(ctx context.Context, query string, vars map[string]any, out any) (Cost, error) {
	for throttled := 0; ; {
		if d := c.pacer.wait(query, c.clock.Now()); d > 0 {
			c.observer.ObservePacing(c.shop, d)
			c.log.Debug().Dur("wait", d).Msg("shopify graphql pacing")
			if err := c.clock.Sleep(ctx, d); err != nil {
				return Cost{}, fmt.Errorf("wait for shopify's query cost limit: %w", err)
			}
		}
		c.mu.Lock()
		c.gs.RateLimits.GraphQLCost = nil
		err := c.gs.GraphQL.Query(ctx, query, vars, out)
		var cost Cost
		if gc := c.gs.RateLimits.GraphQLCost; gc != nil {
			cost = costOf(gc)
		}
		c.mu.Unlock()
		if cost.MaximumAvailable > 0 {
			c.pacer.observe(query, cost, c.clock.Now())
		}
		var rl goshopify.RateLimitError
		if errors.As(err, &rl) && rl.Status == 200 {
			throttled++
			wait := throttledWait(cost)
			c.observer.ObserveThrottled(c.shop, wait)
			c.log.Debug().Dur("wait", wait).Int("requested_cost", cost.Requested).Msg("shopify graphql throttled")
			if throttled > DefaultMaxThrottledQueries {
				return cost, fmt.Errorf("%w (%d times)", ErrThrottled, throttled)
			}
			if err := c.clock.Sleep(ctx, wait); err != nil {
				return cost, fmt.Errorf("wait after a throttled shopify query: %w", err)
			}
			continue
		}
		if err != nil {
			var re goshopify.ResponseError
			if errors.As(err, &re) && re.Status == 200 {
				return cost, &GraphQLError{Messages: re.Errors}
			}
			return cost, classifyAuth(err)
		}
		return cost, nil
	}
}

// UserError is one entry of a mutation's userErrors.
type UserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

// UserErrors is a mutation Shopify refused, with Shopify's messages.
type UserErrors struct {
	Mutation string
	Errors   []UserError
}

func (e *UserErrors) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, u := range e.Errors {
		msgs = append(msgs, u.Message)
	}
	return fmt.Sprintf("Shopify refused %s: %s", e.Mutation, CleanText(strings.Join(msgs, "; ")))
}

// CleanText is text from Shopify made safe to show on a terminal or in a log: valid UTF-8,
// without control or direction characters, at most 200 characters.
func CleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029 {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// userErrors returns a *UserErrors for a mutation's userErrors, or nil when there are none.
func userErrors(mutation string, errs []UserError) error {
	if len(errs) == 0 {
		return nil
	}
	return &UserErrors{Mutation: mutation, Errors: errs}
}
