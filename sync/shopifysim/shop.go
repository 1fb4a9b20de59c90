package shopifysim

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// Order topics the simulator delivers.
const (
	TopicOrdersCreate    = "orders/create"
	TopicOrdersUpdated   = "orders/updated"
	TopicOrdersPaid      = "orders/paid"
	TopicOrdersCancelled = "orders/cancelled"
)

// OrderTopics are the order webhook topics, the ones Options.WebhookURL subscribes to:
// an order placed, updated, paid, cancelled, edited (orders/edited), refunded
// (refunds/create).
var OrderTopics = []string{TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersPaid, TopicOrdersCancelled, TopicOrdersEdited, TopicRefundsCreate}

// PlaceOrder adds an order as if a buyer had just placed it and delivers orders/create
// (and orders/paid when it is paid) to the subscribed webhooks.
func (s *Server) PlaceOrder(o shopdata.Order) error {
	raw, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode order %d: %w", o.ID, err)
	}
	return s.PlaceRawOrder(raw)
}

// PlaceRawOrder is PlaceOrder for an order given as JSON; the JSON is served as it is.
func (s *Server) PlaceRawOrder(raw json.RawMessage) error {
	o, err := s.store.addRaw(raw)
	if err != nil {
		return fmt.Errorf("place order: %w", err)
	}
	s.catalog.decrementForOrder(o.raw)
	topics := []string{TopicOrdersCreate}
	if o.financial == "paid" {
		topics = append(topics, TopicOrdersPaid)
	}
	s.hooks.emit(topics, o.raw)
	return nil
}

// AddOrders places several orders, in order; it stops at the first that cannot be added.
func (s *Server) AddOrders(orders ...shopdata.Order) error {
	for _, o := range orders {
		if err := s.PlaceOrder(o); err != nil {
			return err
		}
	}
	return nil
}

// NewOrder generates the next order of the shop at the clock's now, places it (delivering
// its webhooks) and returns it. A shop not built from Options.Generate gets a generator
// seeded with 1 on first use, whose catalogue is then added to the products and whose
// order numbers continue after the highest one the shop already has, so that order names
// (the receipt numbers kassa files them under) stay unique.
func (s *Server) NewOrder() (shopdata.Order, error) {
	s.genMu.Lock()
	if s.gen == nil {
		first := 1001
		if n := s.store.maxOrderNumber(); n >= int64(first) {
			first = int(n) + 1
		}
		s.gen = shopdata.NewGenerator(shopdata.GenerateOptions{
			Seed: 1, Now: s.clock(), Location: s.loc, Currency: s.currency(), Shop: s.Shop, FirstOrderNumber: first,
		})
		s.catalog.loadCatalog(s.gen.Catalog())
		s.catalog.initStock()
	}
	o := s.gen.NewOrder(s.clock())
	s.genMu.Unlock()
	if err := s.PlaceOrder(o); err != nil {
		return shopdata.Order{}, err
	}
	return o, nil
}

// Order returns the stored JSON of one order, ignoring the 60-day window.
func (s *Server) Order(id int64) (json.RawMessage, error) {
	o, ok := s.store.get(id)
	if !ok {
		return nil, fmt.Errorf("order %d: %w", id, ErrOrderNotFound)
	}
	return json.RawMessage(o.raw), nil
}

// AllOrders returns every order's JSON, oldest first, ignoring the 60-day window (for
// checkers that compare what was imported with what the shop holds).
func (s *Server) AllOrders() []json.RawMessage { return s.store.all() }

// UpdateOrder changes an order the way a merchant or Shopify would: fn edits the order's
// JSON object (numbers are json.Number), updated_at is set to the clock's now unless fn
// changed it, and orders/updated is delivered, plus orders/paid when financial_status
// became "paid" and orders/cancelled when cancelled_at became set.
func (s *Server) UpdateOrder(id int64, fn func(order map[string]any)) (json.RawMessage, error) {
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	old, ok := s.store.get(id)
	if !ok {
		return nil, fmt.Errorf("update order %d: %w", id, ErrOrderNotFound)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(old.raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("update order %d: decode: %w", id, err)
	}
	before := m["updated_at"]
	fn(m)
	if m["updated_at"] == before {
		m["updated_at"] = s.formatTime(s.clock())
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("update order %d: encode: %w", id, err)
	}
	o, err := parseOrder(raw)
	if err != nil {
		return nil, fmt.Errorf("update order %d: %w", id, err)
	}
	if o.id != id {
		return nil, fmt.Errorf("update order %d: the id must not change", id)
	}
	s.store.replace(o)
	topics := []string{TopicOrdersUpdated}
	if o.financial == "paid" && old.financial != "paid" {
		topics = append(topics, TopicOrdersPaid)
	}
	if o.cancelled && !old.cancelled {
		topics = append(topics, TopicOrdersCancelled)
	}
	s.hooks.emit(topics, o.raw)
	return json.RawMessage(o.raw), nil
}

// SetTransactions fixes the transactions served for an order (replacing generated ones).
func (s *Server) SetTransactions(orderID int64, txs []json.RawMessage) {
	s.store.setTransactions(orderID, txs)
}

// transactionsOf returns an order's transactions: those set with SetTransactions, else
// those the generator derives from the order, else a "transactions" array embedded in the
// order JSON (older payloads carry one), else none.
func (s *Server) transactionsOf(o *storedOrder) []json.RawMessage {
	if txs, ok := s.store.transactions(o.id); ok {
		return txs
	}
	var embedded struct {
		Transactions []json.RawMessage `json:"transactions"`
	}
	if err := json.Unmarshal(o.raw, &embedded); err == nil && embedded.Transactions != nil {
		return embedded.Transactions
	}
	var typed shopdata.Order
	if err := json.Unmarshal(o.raw, &typed); err != nil {
		return nil
	}
	s.genMu.Lock()
	g := s.gen
	if g == nil {
		g = shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 1, Now: s.clock(), Location: s.loc, Shop: s.Shop})
	}
	txs := g.Transactions(typed)
	s.genMu.Unlock()
	out := make([]json.RawMessage, 0, len(txs))
	for _, t := range txs {
		b, err := json.Marshal(t)
		if err != nil {
			continue
		}
		out = append(out, b)
	}
	return out
}
