package shopify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// How a run reads orders through the GraphQL Admin API (a connection's OrderAPI
// "graphql", the default):
//
//   - Get all runs one bulk operation over the orders created in the last 60 days, waits
//     for Shopify to prepare the export (polling bulkOperation(id:), woken early by the
//     bulk_operations/finish webhook when it is subscribed), then downloads the JSONL file
//     and writes its orders as they arrive, pages being written while the next ones
//     download. The operation's id is kept on the connection until its export has been
//     read, so that a run stopped halfway (even killed) picks up the same export rather
//     than start another: a connection runs at most one bulk operation at a time. An
//     export whose download link expired is asked for again, once; a FAILED, CANCELED or
//     EXPIRED operation stops the run with Shopify's errorCode, and the next run starts a
//     new one.
//   - Get new reads the orders updated since the connection's high-water mark (the newest
//     updatedAt seen, less UpdatedOverlap so that an order updated while the last run read
//     its pages is not missed), sorted by update time, in pages whose size the query's cost
//     decides, paced on Shopify's throttle status. Each page's transaction moves the mark.
//   - Retry reads each failed order by its id.
//
// Orders read by GraphQL are the same Order a webhook body decodes to, with Shopify's
// numeric ids, so an order that arrives both ways is one sale.

// exportMargin widens the bulk export's window beyond the 60 days kassa imports.
const exportMargin = 7 * 24 * time.Hour

// UpdatedOverlap is how far before the high-water mark a Get new reads.
const UpdatedOverlap = 5 * time.Minute

// reuseExportFor is how recent a finished export of an interrupted run may be for the next
// run to read it rather than ask for a new one.
const reuseExportFor = time.Hour

// GraphQLSource is a Source that also reads orders through the GraphQL Admin API;
// *shopifyapi.Client is one.
type GraphQLSource interface {
	Source
	ListGraphQLOrders(ctx context.Context, q shopifyapi.OrderQuery, fn func(page []shopifyapi.Order) error) error
	GetGraphQLOrder(ctx context.Context, id int64) (shopifyapi.Order, error)
	RunBulkQuery(ctx context.Context, query string) (shopifyapi.BulkOperation, error)
	GetBulkOperation(ctx context.Context, id string) (shopifyapi.BulkOperation, error)
	ReadBulkOrders(ctx context.Context, url string, pageSize int, fn func(page []shopifyapi.Order) error) error
}

// graphQLSource returns src as a GraphQLSource when the connection reads through GraphQL
// and the source can.
func graphQLSource(c Connection, src Source) (GraphQLSource, bool) {
	if c.OrderAPI == OrderAPIREST {
		return nil, false
	}
	g, ok := src.(GraphQLSource)
	return g, ok
}

// BulkExportError is a bulk operation Shopify ended without a result.
type BulkExportError struct {
	Status    string // FAILED, CANCELED or EXPIRED
	ErrorCode string // Shopify's errorCode, "" when it gave none
	ID        string
}

func (e *BulkExportError) Error() string {
	code := e.ErrorCode
	if code == "" {
		code = "no error code"
	}
	return fmt.Sprintf("Shopify's export of the orders (%s) ended %s (%s); run Get all again to ask for a new one", e.ID, e.Status, code)
}

// bulkFinished wakes the runs waiting for a bulk operation (see NotifyBulkFinished).
var bulkFinished = struct {
	mu      sync.Mutex
	waiting map[string][]chan struct{}
}{waiting: map[string][]chan struct{}{}}

// NotifyBulkFinished tells a run waiting for the bulk operation id (gid://shopify/
// BulkOperation/N) that Shopify says it finished: the bulk_operations/finish webhook.
func NotifyBulkFinished(id string) {
	bulkFinished.mu.Lock()
	defer bulkFinished.mu.Unlock()
	for _, c := range bulkFinished.waiting[id] {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func waitBulkNotice(id string) (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	bulkFinished.mu.Lock()
	bulkFinished.waiting[id] = append(bulkFinished.waiting[id], c)
	bulkFinished.mu.Unlock()
	return c, func() {
		bulkFinished.mu.Lock()
		defer bulkFinished.mu.Unlock()
		list := bulkFinished.waiting[id]
		for i, x := range list {
			if x == c {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(bulkFinished.waiting, id)
		} else {
			bulkFinished.waiting[id] = list
		}
	}
}

// setBulkOperation remembers the connection's bulk operation in flight ("" for none).
func setBulkOperation(ctx context.Context, q pg.Queryer, connectionID int64, id string) error {
	if _, err := q.ExecContext(ctx, `UPDATE shopify_connections SET bulk_operation_id = $2 WHERE id = $1`, connectionID, id); err != nil {
		return fmt.Errorf("remember the bulk export: %w", err)
	}
	return nil
}

// rememberUpdated moves the connection's high-water mark of order updates up to t.
func rememberUpdated(ctx context.Context, q pg.Queryer, connectionID int64, t time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE shopify_connections
		SET orders_updated_through = greatest(coalesce(orders_updated_through, $2), $2) WHERE id = $1`, connectionID, t)
	if err != nil {
		return fmt.Errorf("remember the newest order update: %w", err)
	}
	return nil
}

// bulkPollFirst and bulkPollMax bound the wait between two looks at a bulk operation.
const (
	bulkPollFirst = 50 * time.Millisecond
	bulkPollMax   = 5 * time.Second
)

// awaitBulk follows a bulk operation until it stops running, reporting its progress.
func (r *run) awaitBulk(ctx context.Context, src GraphQLSource, op shopifyapi.BulkOperation) (shopifyapi.BulkOperation, error) {
	notice, done := waitBulkNotice(op.ID)
	defer done()
	wait := bulkPollFirst
	for !op.Done() {
		r.report(Progress{Preparing: true, ExportObjects: op.ObjectCount})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return op, ctx.Err()
		case <-notice:
			t.Stop()
		case <-t.C:
		}
		wait = min(wait*2, bulkPollMax)
		next, err := src.GetBulkOperation(ctx, op.ID)
		if err != nil {
			return op, err
		}
		op = next
	}
	r.report(Progress{Preparing: true, ExportObjects: op.ObjectCount})
	return op, nil
}

// startBulk returns the connection's bulk operation to read: the one an earlier run left
// (still running, or finished recently), else a new one.
func (r *run) startBulk(ctx context.Context, src GraphQLSource, since time.Time, fresh bool) (shopifyapi.BulkOperation, error) {
	if id := r.conn.BulkOperationID; id != "" && !fresh {
		op, err := src.GetBulkOperation(ctx, id)
		switch {
		case err == nil && !op.Done():
			r.log.Info().Str("bulk_operation", id).Msg("following the bulk export an earlier run started")
			return op, nil
		case err == nil && op.Status == "COMPLETED" && r.im.now().Sub(op.CompletedAt) < reuseExportFor:
			r.log.Info().Str("bulk_operation", id).Msg("reading the bulk export an earlier run started")
			return op, nil
		case err != nil && !errors.Is(err, shopifyapi.ErrNotFound):
			return op, err
		}
	}
	op, err := src.RunBulkQuery(ctx, shopifyapi.BulkOrdersQuery(since))
	if err != nil {
		return op, err
	}
	r.conn.BulkOperationID = op.ID
	r.log.Info().Str("bulk_operation", op.ID).Msg("bulk export started")
	return op, setBulkOperation(ctx, r.im.DB, r.conn.ID, op.ID)
}

// bulkAll is Get all through a bulk operation.
func (r *run) bulkAll(ctx context.Context, src GraphQLSource) error {
	// Shopify shows the last 60 days (by its own clock); a week more keeps what it shows
	// in the export whatever the two clocks say, and the rules count those as too old.
	since := r.im.now().Add(-MaxOrderAge - exportMargin).Truncate(time.Minute)
	fresh := false
	for attempt := 0; ; attempt++ {
		op, err := r.startBulk(ctx, src, since, fresh)
		if err != nil {
			return err
		}
		if op, err = r.awaitBulk(ctx, src, op); err != nil {
			return err
		}
		if op.Status != "COMPLETED" {
			if err := setBulkOperation(ctx, r.im.DB, r.conn.ID, ""); err != nil {
				return err
			}
			r.conn.BulkOperationID = ""
			if op.Status == "EXPIRED" && attempt == 0 {
				fresh = true
				continue
			}
			return &BulkExportError{Status: op.Status, ErrorCode: op.ErrorCode, ID: op.ID}
		}
		r.setTotal(ctx, int(op.RootCount))
		r.report(Progress{})
		if op.URL != "" {
			err = r.writePages(ctx, func(ctx context.Context, fn func([]shopifyapi.Order) error) error {
				return src.ReadBulkOrders(ctx, op.URL, r.im.pageSize(), fn)
			}, r.im.writers())
		}
		if errors.Is(err, shopifyapi.ErrBulkURLExpired) && attempt == 0 {
			r.log.Warn().Str("bulk_operation", op.ID).Msg("the export's download link expired; asking for a new export")
			fresh = true
			continue
		}
		if err != nil {
			return err
		}
		if err := setBulkOperation(ctx, r.im.DB, r.conn.ID, ""); err != nil {
			return err
		}
		// Get new reads from the newest update the export held, or from when the export
		// began if that is earlier (an order updated while Shopify wrote the export may be
		// in it as it was before). With no order at all, Get new reads every order.
		r.mu.Lock()
		mark := r.updated
		r.mu.Unlock()
		if !op.CreatedAt.IsZero() && op.CreatedAt.Before(mark) {
			mark = op.CreatedAt
		}
		if mark.IsZero() {
			return nil
		}
		return rememberUpdated(ctx, r.im.DB, r.conn.ID, mark)
	}
}

// newSince is where a Get new reads from: the high-water mark less the overlap; zero
// (every order Shopify shows) before any GraphQL import.
func (r *run) newSearch() string {
	if t := r.conn.OrdersUpdatedThrough; t != nil {
		return "updated_at:>=" + shopifyapi.SearchTime(t.Add(-UpdatedOverlap))
	}
	if r.conn.NewestOrderID > 0 {
		// Imported through REST so far: the orders after the newest one seen.
		return fmt.Sprintf("id:>%d", r.conn.NewestOrderID)
	}
	return ""
}

// graphQLNew is Get new through pages of the orders query.
func (r *run) graphQLNew(ctx context.Context, src GraphQLSource) error {
	search := r.newSearch()
	r.log.Info().Str("search", search).Msg("reading orders updated since the last run")
	return r.writePages(ctx, func(ctx context.Context, fn func([]shopifyapi.Order) error) error {
		// The overlap is dropped before the refunds of a page are read.
		return src.ListGraphQLOrders(ctx, shopifyapi.OrderQuery{Search: search, SortKey: "UPDATED_AT", Keep: r.dropOverlap}, fn)
	}, 1)
}

// dropOverlap leaves out of a Get new's page the orders it read again only because of the
// overlap: already in the import log (whatever their outcome; a failed one is for retry),
// and not updated since the high-water mark the run started from. They are not new, and
// the run does not count them.
func (r *run) dropOverlap(ctx context.Context, page []shopifyapi.Order) ([]shopifyapi.Order, error) {
	mark := r.conn.OrdersUpdatedThrough
	if mark == nil {
		return page, nil
	}
	var ids []int64
	for _, o := range page {
		if o.ID > 0 && o.DecodeErr == nil && !o.UpdatedAt.After(*mark) {
			ids = append(ids, o.ID)
		}
	}
	if len(ids) == 0 {
		return page, nil
	}
	seen, err := (RunLog{}).logged(ctx, r.im.DB, r.conn.ID, ids)
	if err != nil {
		return nil, err
	}
	out := page[:0:0]
	for _, o := range page {
		if seen[o.ID] && !o.UpdatedAt.After(*mark) {
			continue
		}
		out = append(out, o)
	}
	return out, nil
}
