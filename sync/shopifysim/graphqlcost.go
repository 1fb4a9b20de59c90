package shopifysim

import (
	"encoding/base64"
	"errors"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Shopify's GraphQL Admin API is limited by calculated query cost
// (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): a scalar or enum costs 0,
// an object 1, a connection 2 plus, for each of the first (or last) N nodes it may return,
// the node's cost; a mutation costs 10. The requested cost is computed from the query before
// it runs and taken from the bucket (a list asked for by ids, nodes(ids:), costs its
// object's cost for each id); after it ran, the actual cost (with the nodes a
// connection really returned) is computed and the difference given back. A query whose
// requested cost is over 1000 is refused (MAX_COST_EXCEEDED) and one the bucket cannot
// pay for is answered THROTTLED.

const (
	mutationCost = 10
	// maxQueryCost is the largest requested cost of one query.
	maxQueryCost = 1000
	// maxPageSize is the most nodes a connection gives at once.
	maxPageSize = 250
)

// isConnection reports whether an object type is a Relay connection.
func isConnection(def *ast.Definition) bool {
	return def.Kind == ast.Object && strings.HasSuffix(def.Name, "Connection") && def.Fields.ForName("pageInfo") != nil
}

// objectCost is what one returned object of type def costs: a connection 2, the edge and
// page info objects inside a connection nothing (their nodes count), any other object 1.
func objectCost(def *ast.Definition) int {
	switch {
	case isConnection(def):
		return 2
	case strings.HasSuffix(def.Name, "Edge") || def.Name == "PageInfo":
		return 0
	}
	return 1
}

// requestedCost is the cost of the operation computed before running it.
func (rc *gqlRequest) requestedCost() int {
	return rc.staticCost(rc.rootType(), rc.op.SelectionSet, rc.op.Operation == ast.Mutation)
}

func (rc *gqlRequest) staticCost(typ *ast.Definition, sel ast.SelectionSet, mutationRoot bool) int {
	total := 0
	for _, g := range rc.collectFields(typ.Name, sel, nil, map[string]int{}, map[string]bool{}) {
		f := g.fields[0]
		def := typ.Fields.ForName(f.Name)
		if def == nil || strings.HasPrefix(f.Name, "__") {
			continue
		}
		if mutationRoot {
			total += mutationCost
			continue
		}
		args := f.ArgumentMap(rc.vars)
		cost := rc.typeCost(def.Type, mergedSelection(g.fields), args)
		if ids, ok := args["ids"].([]any); ok && def.Type.Elem != nil {
			// A list of objects by id (nodes(ids:)): each id's object is paid for.
			cost *= len(ids)
		}
		total += cost
	}
	return total
}

// typeCost is the requested cost of a field of type t with selection sel.
func (rc *gqlRequest) typeCost(t *ast.Type, sel ast.SelectionSet, args map[string]any) int {
	def := rc.schema.Types[t.Name()]
	if def == nil || def.IsLeafType() {
		return 0
	}
	if def.IsAbstractType() {
		most := 0
		for _, pt := range rc.schema.PossibleTypes[def.Name] {
			most = max(most, 1+rc.staticCost(pt, sel, false))
		}
		return most
	}
	if !isConnection(def) {
		return 1 + rc.staticCost(def, sel, false)
	}
	n, ok := argInt(args, "first")
	if !ok {
		n, _ = argInt(args, "last")
	}
	n = max(n, 0)
	perNode := 0
	for _, g := range rc.collectFields(def.Name, sel, nil, map[string]int{}, map[string]bool{}) {
		f := g.fields[0]
		fd := def.Fields.ForName(f.Name)
		if fd == nil {
			continue
		}
		switch f.Name {
		case "nodes":
			perNode += rc.typeCost(fd.Type, mergedSelection(g.fields), nil)
		case "edges":
			edge := rc.schema.Types[fd.Type.Name()]
			for _, eg := range rc.collectFields(edge.Name, mergedSelection(g.fields), nil, map[string]int{}, map[string]bool{}) {
				if nd := edge.Fields.ForName(eg.fields[0].Name); nd != nil && eg.fields[0].Name == "node" {
					perNode += rc.typeCost(nd.Type, mergedSelection(eg.fields), nil)
				}
			}
		}
	}
	return 2 + n*perNode
}

// throttleStatus is extensions.cost.throttleStatus.
type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable int     `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// queryCost is extensions.cost.
type queryCost struct {
	RequestedQueryCost int            `json:"requestedQueryCost"`
	ActualQueryCost    *int           `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
}

// costBucket is the shop's GraphQL bucket of points, restored continuously. Like the REST
// bucket it runs on the monotonic clock, not on the injected one. An unlimited bucket (no
// plan) never refuses and reports itself full at the standard plan's figures.
type costBucket struct {
	mu        sync.Mutex
	max       float64
	restore   float64
	available float64
	at        time.Time
}

func newCostBucket(p Plan) *costBucket {
	b := &costBucket{max: float64(p.GraphQLBucket), restore: p.GraphQLRestore, at: time.Now()}
	b.available = b.max
	return b
}

func (b *costBucket) unlimited() bool { return b.max <= 0 || b.restore <= 0 }

// refill brings the bucket up to now; the caller holds mu.
func (b *costBucket) refill() {
	now := time.Now()
	b.available = math.Min(b.max, b.available+now.Sub(b.at).Seconds()*b.restore)
	b.at = now
}

func (b *costBucket) status() throttleStatus {
	if b.unlimited() {
		return throttleStatus{
			MaximumAvailable: float64(PlanStandard.GraphQLBucket), CurrentlyAvailable: PlanStandard.GraphQLBucket,
			RestoreRate: PlanStandard.GraphQLRestore,
		}
	}
	return throttleStatus{MaximumAvailable: b.max, CurrentlyAvailable: int(math.Floor(b.available)), RestoreRate: b.restore}
}

// take takes a query's requested cost from the bucket, or reports that it cannot.
func (b *costBucket) take(cost int) (bool, throttleStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unlimited() {
		return true, b.status()
	}
	b.refill()
	if float64(cost) > b.available {
		return false, b.status()
	}
	b.available -= float64(cost)
	return true, b.status()
}

// refund gives back what a query was charged beyond its actual cost.
func (b *costBucket) refund(n int) throttleStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unlimited() {
		return b.status()
	}
	b.refill()
	b.available = math.Min(b.max, b.available+float64(max(n, 0)))
	return b.status()
}

// errPageArgs is the error of a connection asked for without first or last.
var errPageArgs = &codedError{code: "BAD_REQUEST", msg: "you must provide one of first or last"}

// gqlConnection pages nodes as a connection field answers: first/after or last/before,
// with reverse applied first. Cursors are opaque (base64 of the node's key).
func gqlConnection(nodes []any, key func(any) string, args map[string]any) (map[string]any, error) {
	first, hasFirst := argInt(args, "first")
	last, hasLast := argInt(args, "last")
	if !hasFirst && !hasLast {
		return nil, errPageArgs
	}
	if (hasFirst && (first < 0 || first > maxPageSize)) || (hasLast && (last < 0 || last > maxPageSize)) {
		return nil, &codedError{code: "BAD_REQUEST", msg: "first and last must be between 0 and 250"}
	}
	if argBool(args, "reverse") {
		rev := make([]any, len(nodes))
		for i, n := range nodes {
			rev[len(nodes)-1-i] = n
		}
		nodes = rev
	}
	cursor := func(n any) string { return base64.StdEncoding.EncodeToString([]byte(`{"key":"` + key(n) + `"}`)) }
	start, end := 0, len(nodes)
	if after, ok := argString(args, "after"); ok && after != "" {
		i := indexOfCursor(nodes, cursor, after)
		if i < 0 {
			return nil, errors.New("invalid cursor for after")
		}
		start = i + 1
	}
	if before, ok := argString(args, "before"); ok && before != "" {
		i := indexOfCursor(nodes, cursor, before)
		if i < 0 {
			return nil, errors.New("invalid cursor for before")
		}
		end = i
	}
	if start > end {
		start = end
	}
	window := nodes[start:end]
	hasNext, hasPrev := end < len(nodes), start > 0
	if hasFirst && len(window) > first {
		window, hasNext = window[:first], true
	}
	if hasLast && len(window) > last {
		window, hasPrev = window[len(window)-last:], true
	}
	edges := make([]any, len(window))
	for i, n := range window {
		edges[i] = map[string]any{"cursor": cursor(n), "node": n}
	}
	page := map[string]any{"hasNextPage": hasNext, "hasPreviousPage": hasPrev, "startCursor": nil, "endCursor": nil}
	if len(window) > 0 {
		page["startCursor"], page["endCursor"] = cursor(window[0]), cursor(window[len(window)-1])
	}
	return map[string]any{"edges": edges, "nodes": window, "pageInfo": page}, nil
}

func indexOfCursor(nodes []any, cursor func(any) string, c string) int {
	for i, n := range nodes {
		if cursor(n) == c {
			return i
		}
	}
	return -1
}
