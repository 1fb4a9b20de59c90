package shopifysim

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Bulk query operations (shopify.dev/docs/api/usage/bulk-operations/queries): a
// bulkOperationRunQuery runs a query on the shop's side in the background, with no cost
// limit, and writes its result as a JSONL file, one object a line. Connections are
// flattened: every node of a nested connection is a line of its own, carrying the id of
// the object it belongs to as "__parentId" (so the parent's query must select its id).
// With groupObjects a node's children follow it directly, before the next node of its
// connection; without it (the default since 2026-01) a child is only guaranteed to come
// after its parent (the simulator writes an order's children after the next order). The
// status moves CREATED → RUNNING → COMPLETED (or FAILED with an errorCode, or CANCELED);
// objectCount counts the lines written so far; a completed operation's url is a signed
// download URL that expires (the results are kept seven days, after which the operation is
// EXPIRED). On completion Shopify sends the bulk_operations/finish webhook. At most five
// bulk query operations run at a time per shop (2026-01 and later).

const (
	// maxBulkQueries is how many bulk query operations may run at a time.
	maxBulkQueries = 5
	// maxBulkConnections bounds the connections of a bulk query, maxBulkDepth their nesting.
	maxBulkConnections = 5
	maxBulkDepth       = 2
	// DefaultBulkURLTTL is how long a bulk operation's result stays downloadable.
	DefaultBulkURLTTL = 7 * 24 * time.Hour
	bulkGIDPrefix     = "gid://shopify/BulkOperation/"
)

// BulkOptions tunes the simulator's bulk operations.
type BulkOptions struct {
	// Rate is how many objects per second a bulk query writes (Shopify's preparation
	// speed); 0 is as fast as it can.
	Rate float64
	// URLTTL is how long the result's URL and the result stay available; default
	// DefaultBulkURLTTL. Measured on the server's clock.
	URLTTL time.Duration
	// FailWith makes every bulk query fail with this errorCode (ACCESS_DENIED,
	// INTERNAL_SERVER_ERROR or TIMEOUT) after it has started.
	FailWith string
	// TruncateDownloads is how many downloads of a result file are cut off halfway (the
	// connection closes before Content-Length bytes).
	TruncateDownloads int
	// ExpireDownloads is how many downloads are answered as if the URL had expired (as
	// when the result is fetched too late).
	ExpireDownloads int
}

type bulkOp struct {
	id          int64
	query       string
	group       bool
	status      string
	errorCode   string
	createdAt   time.Time
	completedAt time.Time
	objects     int64
	roots       int64
	size        int64
	path        string
	token       string
	cancel      context.CancelFunc
}

type bulkOps struct {
	s         *Server
	mu        sync.Mutex
	ops       []*bulkOp
	dir       string
	opts      BulkOptions
	truncated int
	lapsed    int
	wg        sync.WaitGroup
	downloads int
}

func newBulkOps(s *Server, o BulkOptions) *bulkOps {
	if o.URLTTL <= 0 {
		o.URLTTL = DefaultBulkURLTTL
	}
	return &bulkOps{s: s, opts: o}
}

// BulkFaults are faults of bulk operations a test asks for.
type BulkFaults struct {
	// FailWith makes the bulk queries started from now on fail with this errorCode.
	FailWith string
	// Truncate cuts the next Truncate downloads off halfway.
	Truncate int
	// Expire answers the next Expire downloads as expired.
	Expire int
}

// SetBulkFaults replaces the bulk operations' faults.
func (s *Server) SetBulkFaults(f BulkFaults) {
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	s.bulk.opts.FailWith, s.bulk.opts.TruncateDownloads, s.bulk.opts.ExpireDownloads = f.FailWith, f.Truncate, f.Expire
	s.bulk.truncated, s.bulk.lapsed = 0, 0
}

// BulkDownloads is how many times a bulk result file was requested.
func (s *Server) BulkDownloads() int {
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	return s.bulk.downloads
}

// BulkOperations is how many bulk operations were started.
func (s *Server) BulkOperations() int {
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	return len(s.bulk.ops)
}

func (b *bulkOps) stop() {
	b.mu.Lock()
	for _, op := range b.ops {
		if op.cancel != nil {
			op.cancel()
		}
	}
	b.mu.Unlock()
	b.wg.Wait()
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// expired reports whether a finished operation's result is gone; the caller holds mu.
func (b *bulkOps) expired(op *bulkOp) bool {
	return op.status == "COMPLETED" && b.s.clock().After(op.completedAt.Add(b.opts.URLTTL))
}

// node renders an operation as the BulkOperation object; the caller holds mu.
func (b *bulkOps) node(op *bulkOp) map[string]any {
	status := op.status
	var url any
	if b.expired(op) {
		status = "EXPIRED"
	} else if op.status == "COMPLETED" && op.objects > 0 {
		url = b.url(op)
	}
	var errCode, completed, size any
	if op.errorCode != "" {
		errCode = op.errorCode
	}
	if !op.completedAt.IsZero() {
		completed = op.completedAt.UTC().Format(time.RFC3339)
	}
	if op.status == "COMPLETED" {
		size = strconv.FormatInt(op.size, 10)
	}
	return map[string]any{
		"id": bulkGIDPrefix + strconv.FormatInt(op.id, 10), "type": "QUERY", "status": status, "errorCode": errCode,
		"createdAt": op.createdAt.UTC().Format(time.RFC3339), "completedAt": completed,
		"objectCount": strconv.FormatInt(op.objects, 10), "rootObjectCount": strconv.FormatInt(op.roots, 10),
		"fileSize": size, "url": url, "partialDataUrl": nil, "query": op.query,
	}
}

// url is the signed download URL of a completed operation's result.
func (b *bulkOps) url(op *bulkOp) string {
	expires := op.completedAt.Add(b.opts.URLTTL).Unix()
	return fmt.Sprintf("%s/_bulk/%s/bulk-%d.jsonl?Expires=%d&Signature=%s", b.s.URL, op.token, op.id, expires, b.signature(op.token, expires))
}

func (b *bulkOps) signature(token string, expires int64) string {
	m := hmac.New(sha256.New, []byte(b.s.Secret))
	fmt.Fprintf(m, "%s:%d", token, expires)
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// bulkQueryShape checks a bulk query as Shopify does: at least one connection, at most
// five, nested at most two deep.
func (rc *gqlRequest) bulkQueryShape() string {
	n, depth := rc.countConnections(rc.rootType(), rc.op.SelectionSet, 0)
	switch {
	case n == 0:
		return "Bulk queries must contain at least one connection."
	case n > maxBulkConnections:
		return fmt.Sprintf("Bulk queries cannot contain more than %d connections.", maxBulkConnections)
	case depth > maxBulkDepth:
		return fmt.Sprintf("Bulk queries cannot contain connections with a nesting depth greater than %d.", maxBulkDepth)
	}
	return ""
}

func (rc *gqlRequest) countConnections(typ *ast.Definition, sel ast.SelectionSet, depth int) (n, deepest int) {
	deepest = depth
	for _, g := range rc.collectFields(typ.Name, sel, nil, map[string]int{}, map[string]bool{}) {
		fd := typ.Fields.ForName(g.fields[0].Name)
		if fd == nil {
			continue
		}
		def := rc.schema.Types[fd.Type.Name()]
		if def == nil || def.IsLeafType() {
			continue
		}
		sub := mergedSelection(g.fields)
		if isConnection(def) {
			n++
			nodeType, nodeSel := rc.connectionNode(def, sub)
			if nodeType != nil {
				k, d := rc.countConnections(nodeType, nodeSel, depth+1)
				n += k
				deepest = max(deepest, d)
			}
			continue
		}
		if def.IsAbstractType() {
			continue
		}
		k, d := rc.countConnections(def, sub, depth)
		n += k
		deepest = max(deepest, d)
	}
	return n, deepest
}

// connectionNode is the node type of a connection and the selection asked of its nodes
// (under edges.node or nodes).
func (rc *gqlRequest) connectionNode(conn *ast.Definition, sel ast.SelectionSet) (*ast.Definition, ast.SelectionSet) {
	var nodeType *ast.Definition
	var nodeSel ast.SelectionSet
	for _, g := range rc.collectFields(conn.Name, sel, nil, map[string]int{}, map[string]bool{}) {
		switch g.fields[0].Name {
		case "nodes":
			nodeType = rc.schema.Types[conn.Fields.ForName("nodes").Type.Name()]
			nodeSel = append(nodeSel, mergedSelection(g.fields)...)
		case "edges":
			edge := rc.schema.Types[conn.Fields.ForName("edges").Type.Name()]
			for _, eg := range rc.collectFields(edge.Name, mergedSelection(g.fields), nil, map[string]int{}, map[string]bool{}) {
				if eg.fields[0].Name == "node" {
					nodeType = rc.schema.Types[edge.Fields.ForName("node").Type.Name()]
					nodeSel = append(nodeSel, mergedSelection(eg.fields)...)
				}
			}
		}
	}
	return nodeType, nodeSel
}

// allConnection is a connection of every node, as a bulk query reads them (first and
// after do not apply).
func allConnection(nodes []any) map[string]any {
	edges := make([]any, len(nodes))
	for i, n := range nodes {
		edges[i] = map[string]any{"cursor": "", "node": n}
	}
	return map[string]any{"edges": edges, "nodes": nodes, "pageInfo": map[string]any{
		"hasNextPage": false, "hasPreviousPage": false, "startCursor": nil, "endCursor": nil,
	}}
}

// bulkResolvers serve the bulk operation query fields and mutations.
func (b *bulkOps) resolvers() map[string]map[string]gqlFieldFunc {
	return map[string]map[string]gqlFieldFunc{
		"QueryRoot": {
			"bulkOperation": func(_ *gqlRequest, _ any, args map[string]any) (any, error) {
				id, _ := argString(args, "id")
				b.mu.Lock()
				defer b.mu.Unlock()
				for _, op := range b.ops {
					if bulkGIDPrefix+strconv.FormatInt(op.id, 10) == id {
						return b.node(op), nil
					}
				}
				return nil, nil
			},
			"currentBulkOperation": func(_ *gqlRequest, _ any, args map[string]any) (any, error) {
				if t, _ := argString(args, "type"); t == "MUTATION" {
					return nil, nil
				}
				b.mu.Lock()
				defer b.mu.Unlock()
				if len(b.ops) == 0 {
					return nil, nil
				}
				return b.node(b.ops[len(b.ops)-1]), nil
			},
		},
		"Mutation": {
			"bulkOperationRunQuery": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				query, _ := argString(args, "query")
				group := argBool(args, "groupObjects")
				return b.run(rc, query, group), nil
			},
			"bulkOperationCancel": func(_ *gqlRequest, _ any, args map[string]any) (any, error) {
				id, _ := argString(args, "id")
				b.mu.Lock()
				defer b.mu.Unlock()
				for _, op := range b.ops {
					if bulkGIDPrefix+strconv.FormatInt(op.id, 10) != id {
						continue
					}
					if op.status != "CREATED" && op.status != "RUNNING" {
						return map[string]any{"bulkOperation": b.node(op), "userErrors": []any{
							userError([]string{"id"}, fmt.Sprintf("A bulk operation cannot be canceled when it is %s", strings.ToLower(op.status))),
						}}, nil
					}
					op.status = "CANCELING"
					if op.cancel != nil {
						op.cancel()
					}
					return map[string]any{"bulkOperation": b.node(op), "userErrors": []any{}}, nil
				}
				return map[string]any{"bulkOperation": nil, "userErrors": []any{userError([]string{"id"}, "Bulk operation does not exist")}}, nil
			},
		},
	}
}

func bulkUserError(code, msg string) map[string]any {
	return map[string]any{"bulkOperation": nil, "userErrors": []any{map[string]any{"code": code, "field": []string{"query"}, "message": msg}}}
}

// run validates a bulk query and starts it.
func (b *bulkOps) run(parent *gqlRequest, query string, group bool) map[string]any {
	doc, op, vars, errs := gqlParse(parent.schema, query, "", nil)
	if errs != nil {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Message
		}
		return bulkUserError("INVALID", "Invalid bulk query: "+strings.Join(msgs, "; "))
	}
	if op.Operation != ast.Query {
		return bulkUserError("INVALID", "Bulk queries must be queries; use bulkOperationRunMutation for mutations.")
	}
	rc := &gqlRequest{s: parent.s, schema: parent.schema, resolvers: parent.resolvers, doc: doc, op: op, vars: vars, token: parent.token, bulk: true}
	if msg := rc.bulkQueryShape(); msg != "" {
		return bulkUserError("INVALID", msg)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	running := 0
	for _, o := range b.ops {
		if o.status == "CREATED" || o.status == "RUNNING" || o.status == "CANCELING" {
			running++
		}
	}
	if running >= maxBulkQueries {
		return bulkUserError("LIMIT_REACHED", fmt.Sprintf("A maximum of %d bulk query operations can run at the same time.", maxBulkQueries))
	}
	if b.dir == "" {
		dir, err := os.MkdirTemp("", "shopifysim-bulk-")
		if err != nil {
			return bulkUserError("INVALID", "The simulator cannot store bulk results: "+err.Error())
		}
		b.dir = dir
	}
	ctx, cancel := context.WithCancel(b.s.baseCtx)
	bop := &bulkOp{
		id: b.s.newID(), query: query, group: group, status: "CREATED", createdAt: b.s.clock(),
		token: randomHex(16), cancel: cancel,
	}
	bop.path = filepath.Join(b.dir, bop.token+".jsonl")
	b.ops = append(b.ops, bop)
	node := b.node(bop)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer cancel()
		b.execute(ctx, rc, bop)
	}()
	return map[string]any{"bulkOperation": node, "userErrors": []any{}}
}

// bulkWriter writes a bulk result's lines, paced at the configured rate.
type bulkWriter struct {
	b       *bulkOps
	op      *bulkOp
	w       *bufio.Writer
	ctx     context.Context
	start   time.Time
	rate    float64
	pending [][]byte // ungrouped output: the previous root's children, written after the next root
}

func (w *bulkWriter) line(obj *orderedObject, root bool) error {
	line, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	if _, err := w.w.Write(append(line, '\n')); err != nil {
		return err
	}
	w.b.mu.Lock()
	w.op.objects++
	if root {
		w.op.roots++
	}
	n := w.op.objects
	w.b.mu.Unlock()
	if w.rate > 0 {
		due := w.start.Add(time.Duration(float64(n) / w.rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-w.ctx.Done():
				t.Stop()
				return w.ctx.Err()
			case <-t.C:
			}
		}
	}
	return w.ctx.Err()
}

// execute runs a bulk query to its result file.
func (b *bulkOps) execute(ctx context.Context, rc *gqlRequest, op *bulkOp) {
	b.mu.Lock()
	if op.status == "CREATED" {
		op.status = "RUNNING"
	}
	failWith, rate := b.opts.FailWith, b.opts.Rate
	b.mu.Unlock()
	f, err := os.Create(op.path)
	if err != nil {
		b.finish(op, "FAILED", "INTERNAL_SERVER_ERROR")
		return
	}
	defer f.Close()
	w := &bulkWriter{b: b, op: op, w: bufio.NewWriterSize(f, 64<<10), ctx: ctx, start: time.Now(), rate: rate}
	err = rc.writeBulk(w)
	if err == nil {
		err = w.flushPending()
	}
	if err == nil {
		err = w.w.Flush()
	}
	switch {
	case ctx.Err() != nil:
		b.finish(op, "CANCELED", "")
	case failWith != "":
		b.finish(op, "FAILED", failWith)
	case err != nil:
		b.s.log.Debug().Err(err).Msg("bulk operation failed")
		b.finish(op, "FAILED", "INTERNAL_SERVER_ERROR")
	default:
		if st, err := f.Stat(); err == nil {
			b.mu.Lock()
			op.size = st.Size()
			b.mu.Unlock()
		}
		b.finish(op, "COMPLETED", "")
	}
}

// finish ends an operation and sends bulk_operations/finish.
func (b *bulkOps) finish(op *bulkOp, status, errorCode string) {
	b.mu.Lock()
	op.status, op.errorCode, op.completedAt = status, errorCode, b.s.clock()
	body := map[string]any{
		"admin_graphql_api_id": bulkGIDPrefix + strconv.FormatInt(op.id, 10),
		"completed_at":         op.completedAt.UTC().Format(time.RFC3339),
		"created_at":           op.createdAt.UTC().Format(time.RFC3339),
		"error_code":           nil,
		"status":               strings.ToLower(status),
		"type":                 "query",
	}
	if errorCode != "" {
		body["error_code"] = strings.ToLower(errorCode)
	}
	b.mu.Unlock()
	raw, _ := json.Marshal(body)
	if b.s.hooks != nil {
		b.s.hooks.emit([]string{"bulk_operations/finish"}, raw)
	}
}

// writeBulk runs the bulk query's root fields: the orders connection order by order (so
// that a large shop is never held whole), any other root field resolved and flattened.
func (rc *gqlRequest) writeBulk(w *bulkWriter) error {
	root := rc.rootType()
	for _, g := range rc.collectFields(root.Name, rc.op.SelectionSet, nil, map[string]int{}, map[string]bool{}) {
		f := g.fields[0]
		fd := root.Fields.ForName(f.Name)
		if fd == nil {
			continue
		}
		def := rc.schema.Types[fd.Type.Name()]
		sel := mergedSelection(g.fields)
		if f.Name == "orders" {
			args := f.ArgumentMap(rc.vars)
			if !rc.s.hasScope(rc, "read_orders") {
				return fmt.Errorf("access denied for orders")
			}
			query, _ := argString(args, "query")
			sortKey, _ := argString(args, "sortKey")
			orders, _, err := rc.s.matchingOrders(query, sortKey, argBool(args, "reverse"))
			if err != nil {
				return err
			}
			nodeType, nodeSel := rc.connectionNode(def, sel)
			for _, o := range orders {
				node, err := gqlOrder(o.raw, rc.s.currency(), rc.s.Locations())
				if err != nil {
					return err
				}
				obj, ok := rc.selectionSet(nodeType, node, nodeSel, nil, true)
				if !ok {
					return fmt.Errorf("order %d: %v", o.id, rc.errors)
				}
				if err := w.flatten(rc, nodeType, obj, nodeSel, "", true); err != nil {
					return err
				}
			}
			continue
		}
		fn := rc.resolvers[root.Name][f.Name]
		if fn == nil || !isConnection(def) {
			continue
		}
		value, err := fn(rc, nil, f.ArgumentMap(rc.vars))
		if err != nil {
			return err
		}
		m, _ := value.(map[string]any)
		nodes, _ := m["nodes"].([]any)
		nodeType, nodeSel := rc.connectionNode(def, sel)
		for _, n := range nodes {
			obj, ok := rc.selectionSet(nodeType, n, nodeSel, nil, true)
			if !ok {
				return fmt.Errorf("%s: %v", f.Name, rc.errors)
			}
			if err := w.flatten(rc, nodeType, obj, nodeSel, "", true); err != nil {
				return err
			}
		}
	}
	return nil
}

// flatten writes obj as a line (with __parentId when it is a child) and the nodes of its
// connections as lines of their own.
func (w *bulkWriter) flatten(rc *gqlRequest, typ *ast.Definition, obj *orderedObject, sel ast.SelectionSet, parentID string, root bool) error {
	type child struct {
		typ *ast.Definition
		sel ast.SelectionSet
		obj *orderedObject
	}
	var children []child
	for _, g := range rc.collectFields(typ.Name, sel, nil, map[string]int{}, map[string]bool{}) {
		fd := typ.Fields.ForName(g.fields[0].Name)
		if fd == nil {
			continue
		}
		def := rc.schema.Types[fd.Type.Name()]
		if def == nil || !isConnection(def) {
			continue
		}
		conn, _ := obj.vals[g.key].(*orderedObject)
		obj.remove(g.key)
		if conn == nil {
			continue
		}
		nodeType, nodeSel := rc.connectionNode(def, mergedSelection(g.fields))
		var nodes []any
		if ns, ok := conn.vals["nodes"].([]any); ok {
			nodes = ns
		} else if es, ok := conn.vals["edges"].([]any); ok {
			for _, e := range es {
				if eo, ok := e.(*orderedObject); ok {
					nodes = append(nodes, eo.vals["node"])
				}
			}
		}
		for _, n := range nodes {
			if no, ok := n.(*orderedObject); ok {
				children = append(children, child{nodeType, nodeSel, no})
			}
		}
	}
	id, _ := obj.vals["id"].(string)
	if parentID != "" {
		obj.set("__parentId", parentID)
	}
	if root && !w.op.group {
		// Ungrouped: the previous root's children come after this root.
		if err := w.line(obj, true); err != nil {
			return err
		}
		if err := w.flushPending(); err != nil {
			return err
		}
		for _, c := range children {
			c.obj.set("__parentId", id)
			b, err := c.obj.MarshalJSON()
			if err != nil {
				return err
			}
			w.pending = append(w.pending, b)
		}
		return nil
	}
	if err := w.line(obj, root); err != nil {
		return err
	}
	for _, c := range children {
		if err := w.flatten(rc, c.typ, c.obj, c.sel, id, false); err != nil {
			return err
		}
	}
	return nil
}

func (w *bulkWriter) flushPending() error {
	for _, b := range w.pending {
		if err := w.line(&orderedObject{raw: b}, false); err != nil {
			return err
		}
	}
	w.pending = w.pending[:0]
	return nil
}

// serveBulkResult serves a bulk result file at its signed URL: 400 ExpiredToken once the
// URL expired, Range requests honoured, and the configured number of downloads cut off
// halfway.
func (b *bulkOps) serveResult(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/_bulk/")
	token, _, _ := strings.Cut(rest, "/")
	q := r.URL.Query()
	expires, _ := strconv.ParseInt(q.Get("Expires"), 10, 64)
	b.mu.Lock()
	b.downloads++
	var op *bulkOp
	for _, o := range b.ops {
		if o.token == token && o.status == "COMPLETED" {
			op = o
		}
	}
	truncate, expire := false, false
	if op != nil && b.lapsed < b.opts.ExpireDownloads {
		b.lapsed++
		expire = true
	} else if op != nil && b.truncated < b.opts.TruncateDownloads {
		b.truncated++
		truncate = true
	}
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
	if op == nil || !hmac.Equal([]byte(q.Get("Signature")), []byte(b.signature(token, expires))) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<?xml version='1.0' encoding='UTF-8'?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>`)
		return
	}
	if expire || b.s.clock().Unix() > expires {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Details>Request signature expired at: `+time.Unix(expires, 0).UTC().Format(time.RFC3339)+`</Details></Error>`)
		return
	}
	f, err := os.Open(op.path)
	if err != nil {
		http.Error(w, "gone", http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/jsonl")
	if truncate && r.Header.Get("Range") == "" {
		w.Header().Set("Content-Length", strconv.FormatInt(op.size, 10))
		w.WriteHeader(http.StatusOK)
		_, _ = io.CopyN(w, f, op.size/2)
		return
	}
	st, err := f.Stat()
	if err != nil {
		http.Error(w, "gone", http.StatusNotFound)
		return
	}
	http.ServeContent(w, r, "", st.ModTime(), f)
}
