package shopifysim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// ErrOrderNotFound is returned for an order id the shop does not have.
var ErrOrderNotFound = errors.New("order not found")

// storedOrder is an order as served (raw JSON) plus the fields the simulator filters on.
type storedOrder struct {
	id          int64
	raw         []byte
	created     time.Time
	updated     time.Time
	processed   time.Time
	closed      bool
	cancelled   bool
	financial   string
	fulfillment string  // "" for null
	number      int64   // order_number, 0 when absent
	refunds     []int64 // the ids of the order's refunds
}

// orderStore holds the shop's orders in two sorted indexes so that listing pages never
// sorts: by (created_at, id) for the default newest-first order, and by id for since_id.
type orderStore struct {
	mu        sync.RWMutex
	byCreated []*storedOrder
	byIDOrder []*storedOrder
	byID      map[int64]*storedOrder
	txs       map[int64][]json.RawMessage
	// refundOf maps a refund's id to its order's, for reading refunds by id.
	refundOf map[int64]int64
}

func newOrderStore() *orderStore {
	return &orderStore{byID: map[int64]*storedOrder{}, txs: map[int64][]json.RawMessage{}, refundOf: map[int64]int64{}}
}

// orderFields are the parts of an order the simulator reads.
type orderFields struct {
	ID                json.Number `json:"id"`
	CreatedAt         *string     `json:"created_at"`
	UpdatedAt         *string     `json:"updated_at"`
	ProcessedAt       *string     `json:"processed_at"`
	ClosedAt          *string     `json:"closed_at"`
	CancelledAt       *string     `json:"cancelled_at"`
	FinancialStatus   *string     `json:"financial_status"`
	FulfillmentStatus *string     `json:"fulfillment_status"`
	OrderNumber       *int64      `json:"order_number"`
	Refunds           []struct {
		ID json.Number `json:"id"`
	} `json:"refunds"`
}

// parseOrder validates an order JSON object and extracts its filter fields.
func parseOrder(raw []byte) (*storedOrder, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("order is not a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("order is not valid JSON: %w", err)
	}
	var f orderFields
	if err := json.Unmarshal(buf.Bytes(), &f); err != nil {
		return nil, fmt.Errorf("decode order fields: %w", err)
	}
	id, err := strconv.ParseInt(f.ID.String(), 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("order id %q is not a positive integer", f.ID)
	}
	o := &storedOrder{id: id, raw: buf.Bytes()}
	if f.CreatedAt == nil {
		return nil, fmt.Errorf("order %d has no created_at", id)
	}
	if o.created, err = parseTimestamp(*f.CreatedAt); err != nil {
		return nil, fmt.Errorf("order %d created_at: %w", id, err)
	}
	o.updated, o.processed = o.created, o.created
	if f.UpdatedAt != nil {
		if o.updated, err = parseTimestamp(*f.UpdatedAt); err != nil {
			return nil, fmt.Errorf("order %d updated_at: %w", id, err)
		}
	}
	if f.ProcessedAt != nil {
		if o.processed, err = parseTimestamp(*f.ProcessedAt); err != nil {
			return nil, fmt.Errorf("order %d processed_at: %w", id, err)
		}
	}
	o.closed = f.ClosedAt != nil
	o.cancelled = f.CancelledAt != nil
	if f.FinancialStatus != nil {
		o.financial = *f.FinancialStatus
	}
	if f.FulfillmentStatus != nil {
		o.fulfillment = *f.FulfillmentStatus
	}
	if f.OrderNumber != nil {
		o.number = *f.OrderNumber
	}
	for _, r := range f.Refunds {
		if rid, err := strconv.ParseInt(r.ID.String(), 10, 64); err == nil {
			o.refunds = append(o.refunds, rid)
		}
	}
	return o, nil
}

// parseTimestamp reads an ISO-8601 timestamp as Shopify accepts it: RFC 3339 with offset,
// or a bare date (midnight UTC).
func parseTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 timestamp with offset", s)
}

func (st *orderStore) len() int {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return len(st.byID)
}

// addTyped stores a typed order. Its filter fields are read from the struct rather than
// parsed back from the JSON, which makes loading a large generated shop several times faster.
func (st *orderStore) addTyped(o shopdata.Order) (*storedOrder, error) {
	so, err := fromTyped(o)
	if err != nil {
		return nil, err
	}
	return st.add(so)
}

func fromTyped(o shopdata.Order) (*storedOrder, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encode order %d: %w", o.ID, err)
	}
	if o.ID <= 0 {
		return nil, fmt.Errorf("order id %d is not a positive integer", o.ID)
	}
	so := &storedOrder{
		id: o.ID, raw: raw, closed: o.ClosedAt != nil, cancelled: o.CancelledAt != nil, financial: o.FinancialStatus,
		number: int64(o.OrderNumber),
	}
	if o.FulfillmentStatus != nil {
		so.fulfillment = *o.FulfillmentStatus
	}
	for _, r := range o.Refunds {
		so.refunds = append(so.refunds, r.ID)
	}
	if so.created, err = parseTimestamp(o.CreatedAt); err != nil {
		return nil, fmt.Errorf("order %d created_at: %w", o.ID, err)
	}
	so.updated, so.processed = so.created, so.created
	if o.UpdatedAt != "" {
		if so.updated, err = parseTimestamp(o.UpdatedAt); err != nil {
			return nil, fmt.Errorf("order %d updated_at: %w", o.ID, err)
		}
	}
	if o.ProcessedAt != "" {
		if so.processed, err = parseTimestamp(o.ProcessedAt); err != nil {
			return nil, fmt.Errorf("order %d processed_at: %w", o.ID, err)
		}
	}
	return so, nil
}

func (st *orderStore) addRaw(raw []byte) (*storedOrder, error) {
	o, err := parseOrder(raw)
	if err != nil {
		return nil, err
	}
	return st.add(o)
}

func (st *orderStore) add(o *storedOrder) (*storedOrder, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, dup := st.byID[o.id]; dup {
		return nil, fmt.Errorf("order %d already exists", o.id)
	}
	st.insert(o)
	return o, nil
}

// replace swaps in a new version of an existing order.
func (st *orderStore) replace(o *storedOrder) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.byID[o.id]; ok {
		st.remove(o.id)
	}
	st.insert(o)
}

func createdLess(a, b *storedOrder) bool {
	if !a.created.Equal(b.created) {
		return a.created.Before(b.created)
	}
	return a.id < b.id
}

func (st *orderStore) insert(o *storedOrder) {
	st.byID[o.id] = o
	for _, rid := range o.refunds {
		st.refundOf[rid] = o.id
	}
	i := sort.Search(len(st.byCreated), func(i int) bool { return !createdLess(st.byCreated[i], o) })
	st.byCreated = append(st.byCreated, nil)
	copy(st.byCreated[i+1:], st.byCreated[i:])
	st.byCreated[i] = o
	j := sort.Search(len(st.byIDOrder), func(i int) bool { return st.byIDOrder[i].id >= o.id })
	st.byIDOrder = append(st.byIDOrder, nil)
	copy(st.byIDOrder[j+1:], st.byIDOrder[j:])
	st.byIDOrder[j] = o
}

func (st *orderStore) remove(id int64) {
	old := st.byID[id]
	delete(st.byID, id)
	for _, rid := range old.refunds {
		delete(st.refundOf, rid)
	}
	i := sort.Search(len(st.byCreated), func(i int) bool { return !createdLess(st.byCreated[i], old) })
	if i < len(st.byCreated) && st.byCreated[i].id == id {
		st.byCreated = append(st.byCreated[:i], st.byCreated[i+1:]...)
	}
	j := sort.Search(len(st.byIDOrder), func(i int) bool { return st.byIDOrder[i].id >= id })
	if j < len(st.byIDOrder) && st.byIDOrder[j].id == id {
		st.byIDOrder = append(st.byIDOrder[:j], st.byIDOrder[j+1:]...)
	}
}

func (st *orderStore) get(id int64) (*storedOrder, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	o, ok := st.byID[id]
	return o, ok
}

// all returns every order's raw JSON, oldest first.
func (st *orderStore) all() []json.RawMessage {
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := make([]json.RawMessage, len(st.byCreated))
	for i, o := range st.byCreated {
		out[i] = json.RawMessage(o.raw)
	}
	return out
}

// maxOrderNumber is the highest order_number in the shop (0 when none has one).
func (st *orderStore) maxOrderNumber() int64 {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var n int64
	for _, o := range st.byCreated {
		n = max(n, o.number)
	}
	return n
}

func (st *orderStore) setTransactions(id int64, txs []json.RawMessage) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.txs[id] = txs
}

func (st *orderStore) transactions(id int64) ([]json.RawMessage, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	txs, ok := st.txs[id]
	return txs, ok
}

// cursorKey is a position in a listing order.
type cursorKey struct {
	created time.Time
	id      int64
}

// orderView is a listing order over the store: items ascending by key, presented either
// descending (newest first) or ascending (since_id lists).
type orderView struct {
	items []*storedOrder
	byID  bool
	desc  bool
}

func (v orderView) at(p int) *storedOrder {
	if v.desc {
		return v.items[len(v.items)-1-p]
	}
	return v.items[p]
}

// cmp compares o with k in presentation order: negative when o comes before k.
func (v orderView) cmp(o *storedOrder, k cursorKey) int {
	c := 0
	if !v.byID && !o.created.Equal(k.created) {
		c = o.created.Compare(k.created)
	} else if o.id != k.id {
		c = 1
		if o.id < k.id {
			c = -1
		}
	}
	if v.desc {
		return -c
	}
	return c
}

// page returns up to limit orders matching match, after (direction "next") or before
// (direction "prev") the cursor key, or from the start when after is nil; and whether
// matching orders exist before and after the page.
func (v orderView) page(match func(*storedOrder) bool, direction string, k *cursorKey, limit int) (out []*storedOrder, hasPrev, hasNext bool) {
	n := len(v.items)
	first, last := -1, -1
	if k == nil || direction != "prev" {
		start := 0
		if k != nil {
			start = sort.Search(n, func(p int) bool { return v.cmp(v.at(p), *k) > 0 })
		}
		for p := start; p < n && len(out) < limit; p++ {
			if o := v.at(p); match(o) {
				if first < 0 {
					first = p
				}
				last = p
				out = append(out, o)
			}
		}
		if first < 0 {
			first, last = start, start-1
		}
	} else {
		end := sort.Search(n, func(p int) bool { return v.cmp(v.at(p), *k) >= 0 })
		for p := end - 1; p >= 0 && len(out) < limit; p-- {
			if o := v.at(p); match(o) {
				if last < 0 {
					last = p
				}
				first = p
				out = append(out, o)
			}
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		if last < 0 {
			first, last = end, end-1
		}
	}
	for p := first - 1; p >= 0; p-- {
		if match(v.at(p)) {
			hasPrev = true
			break
		}
	}
	for p := last + 1; p < n; p++ {
		if match(v.at(p)) {
			hasNext = true
			break
		}
	}
	return out, hasPrev, hasNext
}
