package shopifyapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
)

// Bulk query operations (shopify.dev/docs/api/usage/bulk-operations/queries): Get all asks
// Shopify to run the orders query on its side (bulkOperationRunQuery), follows the
// operation until it is COMPLETED, then downloads its result, a JSONL file, and hands the
// orders on while the download goes on.
//
// The rows are flat: an order's line items, shipping lines and fulfillment orders are rows
// of their own carrying the order's id as "__parentId". The ordering kassa relies on is
// the one groupObjects: true documents ("places child objects directly below their
// corresponding parent objects"): every child row comes after its order's row and before
// the row of the next order but one window of BulkHoldBack orders. kassa asks for grouped
// output (bulk_run.graphql), keeps the last orders of the file in memory until
// BulkHoldBack later orders have begun, and hands them on in pages, so memory holds at
// most a page plus the hold-back whatever the file's size. A row whose order was already
// handed on (or never seen) means the file is not ordered as documented: the read stops
// with ErrBulkOrdering rather than import an order without some of its lines.

// BulkHoldBack is how many orders a bulk read keeps back after the last complete page, in
// case their rows arrive after a later order's.
const BulkHoldBack = 64

// ErrBulkOrdering is returned when a bulk result's rows are not grouped under their order.
var ErrBulkOrdering = errors.New("the bulk export's rows are not grouped under their orders")

// ErrBulkURLExpired is returned when a bulk result's URL has expired: a new bulk
// operation must be run.
var ErrBulkURLExpired = errors.New("the bulk export's download link has expired")

// BulkOperation is the state of a bulk operation.
type BulkOperation struct {
	ID          string
	Status      string // CREATED, RUNNING, COMPLETED, CANCELING, CANCELED, FAILED, EXPIRED
	ErrorCode   string // ACCESS_DENIED, INTERNAL_SERVER_ERROR, TIMEOUT when FAILED
	ObjectCount int64
	RootCount   int64
	FileSize    int64
	URL         string
	PartialURL  string
	CreatedAt   time.Time
	CompletedAt time.Time
}

// Done reports whether the operation has stopped running.
func (b BulkOperation) Done() bool {
	switch b.Status {
	case "CREATED", "RUNNING", "CANCELING":
		return false
	}
	return true
}

type gqlBulkOperation struct {
	ID              shopifyjson.Text `json:"id"`
	Status          shopifyjson.Text `json:"status"`
	ErrorCode       shopifyjson.Text `json:"errorCode"`
	ObjectCount     shopifyjson.Int  `json:"objectCount"`
	RootObjectCount shopifyjson.Int  `json:"rootObjectCount"`
	FileSize        shopifyjson.Int  `json:"fileSize"`
	URL             shopifyjson.Text `json:"url"`
	PartialDataURL  shopifyjson.Text `json:"partialDataUrl"`
	CreatedAt       shopifyjson.Time `json:"createdAt"`
	CompletedAt     shopifyjson.Time `json:"completedAt"`
}

func (g *gqlBulkOperation) operation() BulkOperation {
	if g == nil {
		return BulkOperation{}
	}
	return BulkOperation{
		ID: string(g.ID), Status: string(g.Status), ErrorCode: string(g.ErrorCode), ObjectCount: int64(g.ObjectCount),
		RootCount: int64(g.RootObjectCount), FileSize: int64(g.FileSize), URL: string(g.URL), PartialURL: string(g.PartialDataURL),
		CreatedAt: g.CreatedAt.Time, CompletedAt: g.CompletedAt.Time,
	}
}

// BulkOrdersQuery is the bulk query of every order created at or after since.
func BulkOrdersQuery(since time.Time) string {
	q := document("bulk_orders")
	// Drop the comment lines: the query is sent as a string.
	var b strings.Builder
	for _, l := range strings.Split(q, "\n") {
		if !strings.HasPrefix(l, "#") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return strings.Replace(b.String(), "CREATED_AT_MIN", SearchTime(since), 1)
}

// RunBulkQuery starts a bulk query operation. Shopify's refusals (another operation
// running, an invalid query) come back as *UserErrors.
func (c *Client) RunBulkQuery(ctx context.Context, query string) (BulkOperation, error) {
	var data struct {
		BulkOperationRunQuery *struct {
			BulkOperation *gqlBulkOperation `json:"bulkOperation"`
			UserErrors    []UserError       `json:"userErrors"`
		} `json:"bulkOperationRunQuery"`
	}
	if _, err := c.Query(ctx, document("bulk_run"), map[string]any{"query": query}, &data); err != nil {
		return BulkOperation{}, fmt.Errorf("start the bulk export: %w", err)
	}
	p := data.BulkOperationRunQuery
	if p == nil {
		return BulkOperation{}, errors.New("start the bulk export: Shopify answered without a result")
	}
	if err := userErrors("bulkOperationRunQuery", p.UserErrors); err != nil {
		return BulkOperation{}, err
	}
	op := p.BulkOperation.operation()
	if op.ID == "" {
		return op, errors.New("start the bulk export: Shopify answered without an operation")
	}
	return op, nil
}

// GetBulkOperation reads a bulk operation's state; an id Shopify does not know matches
// ErrNotFound.
func (c *Client) GetBulkOperation(ctx context.Context, id string) (BulkOperation, error) {
	var data struct {
		BulkOperation *gqlBulkOperation `json:"bulkOperation"`
	}
	if _, err := c.Query(ctx, document("bulk_operation"), map[string]any{"id": id}, &data); err != nil {
		return BulkOperation{}, fmt.Errorf("read the bulk export's state: %w", err)
	}
	if data.BulkOperation == nil {
		return BulkOperation{}, notFoundError{fmt.Errorf("bulk operation %s: Shopify shows no such operation", id)}
	}
	return data.BulkOperation.operation(), nil
}

// CancelBulkOperation asks Shopify to cancel a bulk operation.
func (c *Client) CancelBulkOperation(ctx context.Context, id string) error {
	var data struct {
		BulkOperationCancel *struct {
			UserErrors []UserError `json:"userErrors"`
		} `json:"bulkOperationCancel"`
	}
	if _, err := c.Query(ctx, document("bulk_cancel"), map[string]any{"id": id}, &data); err != nil {
		return fmt.Errorf("cancel the bulk export: %w", err)
	}
	if data.BulkOperationCancel != nil {
		return userErrors("bulkOperationCancel", data.BulkOperationCancel.UserErrors)
	}
	return nil
}

// maxDownloadAttempts bounds how often a bulk download is resumed after the connection
// broke.
const maxDownloadAttempts = 6

// ReadBulkOrders downloads a bulk export of orders (bulk_orders.graphql) from url and calls
// fn with its orders in pages of up to pageSize, as they are assembled from the rows
// downloaded so far. A download cut off halfway is resumed where it stopped (an HTTP Range
// request); an expired URL is ErrBulkURLExpired. An order that cannot be decoded comes
// with DecodeErr set.
func (c *Client) ReadBulkOrders(ctx context.Context, url string, pageSize int, fn func(page []Order) error) error {
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer hc.CloseIdleConnections()
	// The export names each order's refunds; their details are read by id (see
	// bulk_orders.graphql) before the page is handed on.
	a := newBulkAssembler(pageSize, func(page []Order) error {
		if err := c.withRefundDetails(ctx, page); err != nil {
			return stopError{err}
		}
		return fn(page)
	})
	var offset int64
	for attempt := 1; ; attempt++ {
		n, err := c.downloadFrom(ctx, hc, url, offset, a)
		offset += n
		if err == nil {
			return a.finish()
		}
		var stop stopError
		if errors.As(err, &stop) || ctx.Err() != nil || attempt >= maxDownloadAttempts {
			return err
		}
		wait := time.Duration(attempt) * 500 * time.Millisecond
		c.log.Warn().Err(err).Int64("offset", offset).Dur("wait", wait).Msg("bulk download broke off; resuming")
		c.observer.ObserveRetry(c.shop, "bulk download", wait)
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// stopError is an error a download does not retry.
type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }
func (e stopError) Unwrap() error { return e.err }

// downloadFrom reads the file from offset and feeds its complete lines to a; it returns
// how many bytes of complete lines it consumed.
func (c *Client) downloadFrom(ctx context.Context, hc *http.Client, url string, offset int64, a *bulkAssembler) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, stopError{fmt.Errorf("bulk export URL: %w", err)}
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("download the bulk export: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent:
	case resp.StatusCode == http.StatusOK:
		if offset > 0 {
			// The server sent the whole file again: skip what was read.
			if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
				return 0, fmt.Errorf("download the bulk export: %w", err)
			}
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return 0, nil
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if bytes.Contains(body, []byte("ExpiredToken")) || bytes.Contains(body, []byte("expired")) {
			return 0, stopError{ErrBulkURLExpired}
		}
		if resp.StatusCode >= 500 {
			return 0, fmt.Errorf("download the bulk export: HTTP %d", resp.StatusCode)
		}
		return 0, stopError{fmt.Errorf("download the bulk export: HTTP %d: %s", resp.StatusCode, CleanText(string(body)))}
	}
	r := bufio.NewReaderSize(resp.Body, 256<<10)
	var consumed int64
	var long []byte
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			continue
		}
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		if err == io.EOF {
			// The body ended as announced: a last line without its newline is complete.
			if len(bytes.TrimSpace(line)) > 0 {
				if ferr := a.row(line); ferr != nil {
					return consumed, stopError{ferr}
				}
				consumed += int64(len(line))
			}
			return consumed, nil
		}
		if err != nil {
			// Cut off: the partial line is read again from its start.
			return consumed, fmt.Errorf("download the bulk export: %w", err)
		}
		if ferr := a.row(line); ferr != nil {
			return consumed, stopError{ferr}
		}
		consumed += int64(len(line))
	}
}

// bulkAssembler builds orders from a bulk export's rows (see the package comment above).
type bulkAssembler struct {
	pageSize int
	fn       func([]Order) error
	open     []*bulkOrder          // orders not handed on yet, in file order
	byID     map[string]*bulkOrder // the open orders by global id
	done     map[string]bool       // orders handed on
}

type bulkOrder struct {
	gid                string
	row                []byte
	lines, ships, fuls [][]byte
}

func newBulkAssembler(pageSize int, fn func([]Order) error) *bulkAssembler {
	if pageSize <= 0 || pageSize > MaxPageSize {
		pageSize = MaxPageSize
	}
	return &bulkAssembler{pageSize: pageSize, fn: fn, byID: map[string]*bulkOrder{}, done: map[string]bool{}}
}

var (
	parentKey = []byte(`"__parentId":"`)
	idKey     = []byte(`"id":"`)
)

// stringAfter returns the JSON string value that follows key at i (unescaped gids only).
func stringAfter(b []byte, i int, key []byte) string {
	rest := b[i+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	return string(rest[:end])
}

// row takes one line of the file.
func (a *bulkAssembler) row(line []byte) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil
	}
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return fmt.Errorf("the bulk export has a line that is not a JSON object: %.60q", line)
	}
	// __parentId is written as the row's last key; a gid never holds an escaped character.
	pi := bytes.LastIndex(line, parentKey)
	ii := bytes.Index(line, idKey)
	id := ""
	if ii >= 0 {
		id = stringAfter(line, ii, idKey)
	}
	own := append([]byte(nil), line...)
	if pi < 0 {
		if !strings.HasPrefix(id, "gid://shopify/Order/") {
			return fmt.Errorf("the bulk export has a top-level row that is not an order: %.60q", line)
		}
		o := &bulkOrder{gid: id, row: own}
		a.open = append(a.open, o)
		a.byID[id] = o
		if len(a.open) >= a.pageSize+BulkHoldBack {
			return a.flush(a.pageSize)
		}
		return nil
	}
	parent := stringAfter(line, pi, parentKey)
	o := a.byID[parent]
	if o == nil {
		if a.done[parent] {
			return fmt.Errorf("%w: a row of order %s came after the order was imported", ErrBulkOrdering, parent)
		}
		return fmt.Errorf("%w: a row names order %s, which the export has not shown", ErrBulkOrdering, parent)
	}
	switch {
	case strings.HasPrefix(id, "gid://shopify/LineItem/"):
		o.lines = append(o.lines, own)
	case strings.HasPrefix(id, "gid://shopify/ShippingLine/"):
		o.ships = append(o.ships, own)
	case strings.HasPrefix(id, "gid://shopify/FulfillmentOrder/"):
		o.fuls = append(o.fuls, own)
	default:
		return fmt.Errorf("the bulk export has a row kassa did not ask for: %.60q", line)
	}
	return nil
}

// flush hands on the first n open orders as one page.
func (a *bulkAssembler) flush(n int) error {
	n = min(n, len(a.open))
	if n == 0 {
		return nil
	}
	page := make([]Order, 0, n)
	for _, o := range a.open[:n] {
		delete(a.byID, o.gid)
		a.done[o.gid] = true
		ord, _ := DecodeGraphQLOrder(o.assemble())
		page = append(page, ord)
	}
	a.open = append(a.open[:0], a.open[n:]...)
	return a.fn(page)
}

// finish hands on the orders still open at the end of the file.
func (a *bulkAssembler) finish() error {
	for len(a.open) > 0 {
		if err := a.flush(a.pageSize); err != nil {
			return err
		}
	}
	return nil
}

// assemble is the order's row with its children as the connections of the orders query.
func (o *bulkOrder) assemble() []byte {
	size := len(o.row) + 96
	for _, l := range [][][]byte{o.lines, o.ships, o.fuls} {
		for _, r := range l {
			size += len(r) + 1
		}
	}
	b := make([]byte, 0, size)
	b = append(b, o.row[:len(o.row)-1]...)
	conn := func(name string, rows [][]byte) {
		b = append(b, `,"`...)
		b = append(b, name...)
		b = append(b, `":{"nodes":[`...)
		for i, r := range rows {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, r...)
		}
		b = append(b, "]}"...)
	}
	conn("lineItems", o.lines)
	conn("shippingLines", o.ships)
	conn("fulfillmentOrders", o.fuls)
	return append(b, '}')
}
