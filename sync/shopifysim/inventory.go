package shopifysim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// Stock as Shopify keeps it (shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps):
// per inventory item (one per variant) and location, the quantity states available
// (sellable), committed (ordered, not fulfilled yet) and on_hand (physically there: available
// + committed + the unavailable states, which the simulator keeps at 0). Placing an order
// moves its units from available to committed; fulfilling it takes them from committed,
// and so from on hand. inventorySetQuantities sets available or on_hand to absolute values,
// compared and set: since 2026-04 every quantity carries changeFromQuantity (null opts out
// of the check) and a stale one refuses the whole mutation (CHANGE_FROM_QUANTITY_STALE).
// With @idempotent(key:), a repeated request returns the first one's result, and a key
// reused with other parameters is refused. Every change is kept in the inventory history
// (InventoryChanges), as the merchant's admin shows it.

// InventoryQuantities are an inventory item's quantities at a location.
type InventoryQuantities struct {
	Available, Committed, OnHand int
}

// InventoryChange is one change of an item's named quantity at a location, as the
// inventory history keeps it.
type InventoryChange struct {
	InventoryItemID, LocationID int64
	// Name is available, committed or on_hand.
	Name                 string
	Delta, After         int
	Reason               string
	ReferenceDocumentURI string
	// IdempotencyKey is the key of the mutation that made the change, "" for none.
	IdempotencyKey string
	At             time.Time
}

// idempotentResult is what a mutation with an idempotency key answered.
type idempotentResult struct {
	params string
	result map[string]any
	failed bool
}

// setReasons are the reasons inventorySetQuantities takes.
var setReasons = map[string]bool{
	"correction": true, "cycle_count_available": true, "damaged": true, "movement_created": true,
	"movement_updated": true, "movement_received": true, "movement_canceled": true, "other": true,
	"promotion": true, "quality_control": true, "received": true, "reservation_created": true,
	"reservation_deleted": true, "reservation_updated": true, "restock": true, "safety_stock": true,
	"shrinkage": true,
}

// quantityNames are the quantity names an inventory level answers; the unavailable ones
// and incoming are always 0 in the simulator.
var quantityNames = []string{"available", "committed", "on_hand", "incoming", "reserved", "damaged", "safety_stock", "quality_control"}

const (
	gidInventoryItem   = "gid://shopify/InventoryItem/"
	gidLocation        = "gid://shopify/Location/"
	gidProductVariant  = "gid://shopify/ProductVariant/"
	gidProduct         = "gid://shopify/Product/"
	maxInventoryAmount = 1_000_000_000
)

func gidNumber(gid, prefix string) (int64, bool) {
	s, ok := strings.CutPrefix(gid, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func (l *level) quantity(name string) int {
	switch name {
	case "available":
		return l.available
	case "committed":
		return l.committed
	case "on_hand":
		return l.available + l.committed
	}
	return 0
}

// record adds a change to the inventory history (caller holds mu).
func (c *catalog) record(ch InventoryChange) {
	if ch.Delta == 0 {
		return
	}
	ch.At = c.s.clock()
	c.history = append(c.history, ch)
}

// commitOpenOrders commits the units of the shop's open, unfulfilled orders at the first
// location, so that a generated shop starts as Shopify would hold it: the orders' units are
// committed, what is left is available.
func (c *catalog) commitOpenOrders(orders []json.RawMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.locations) == 0 {
		return
	}
	loc := c.locations[0].ID
	for _, raw := range orders {
		var o struct {
			CancelledAt *string `json:"cancelled_at"`
			LineItems   []struct {
				VariantID           *int64  `json:"variant_id"`
				FulfillableQuantity int     `json:"fulfillable_quantity"`
				FulfillmentStatus   *string `json:"fulfillment_status"`
			} `json:"line_items"`
		}
		if json.Unmarshal(raw, &o) != nil || o.CancelledAt != nil {
			continue
		}
		for _, li := range o.LineItems {
			if li.VariantID == nil || li.FulfillmentStatus != nil || li.FulfillableQuantity <= 0 {
				continue
			}
			v, ok := c.variants[*li.VariantID]
			if !ok || v.inventoryManagement == nil {
				continue
			}
			if l, ok := c.levels[levelKey{v.inventoryItemID, loc}]; ok {
				l.committed += li.FulfillableQuantity
			}
		}
	}
}

// InventoryLevel returns an item's quantities at a location, and whether it is stocked there.
func (s *Server) InventoryLevel(inventoryItemID, locationID int64) (InventoryQuantities, bool) {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	l, ok := s.catalog.levels[levelKey{inventoryItemID, locationID}]
	if !ok {
		return InventoryQuantities{}, false
	}
	return InventoryQuantities{Available: l.available, Committed: l.committed, OnHand: l.available + l.committed}, true
}

// InventoryChanges returns the inventory history, oldest first.
func (s *Server) InventoryChanges() []InventoryChange {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	return append([]InventoryChange(nil), s.catalog.history...)
}

// AdjustAvailable changes an item's available quantity at a location by delta as the
// merchant would in Shopify's admin (reason correction), stocking it there when it was not.
// It fails for an unknown or untracked item or location.
func (s *Server) AdjustAvailable(inventoryItemID, locationID int64, delta int) (InventoryQuantities, error) {
	c := s.catalog
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.items[inventoryItemID]
	if !ok || v.inventoryManagement == nil {
		return InventoryQuantities{}, fmt.Errorf("inventory item %d: not a tracked item of the shop", inventoryItemID)
	}
	if !c.hasLocation(locationID) {
		return InventoryQuantities{}, fmt.Errorf("location %d: not a location of the shop", locationID)
	}
	k := levelKey{inventoryItemID, locationID}
	l, ok := c.levels[k]
	if !ok {
		l = &level{}
		c.levels[k] = l
	}
	l.available += delta
	l.updatedAt = s.formatTime(s.clock())
	for _, name := range []string{"available", "on_hand"} {
		c.record(InventoryChange{InventoryItemID: inventoryItemID, LocationID: locationID, Name: name, Delta: delta, After: l.quantity(name), Reason: "correction"})
	}
	return InventoryQuantities{Available: l.available, Committed: l.committed, OnHand: l.available + l.committed}, nil
}

// FulfillOrder fulfils an order's unfulfilled lines, as the merchant would in Shopify's
// admin: their committed units leave the first location (on hand drops by as much) and the
// order becomes fulfilled (orders/updated is delivered).
func (s *Server) FulfillOrder(id int64) error {
	o, ok := s.store.get(id)
	if !ok {
		return fmt.Errorf("fulfil order %d: %w", id, ErrOrderNotFound)
	}
	var lines struct {
		LineItems []struct {
			VariantID           *int64  `json:"variant_id"`
			FulfillableQuantity int     `json:"fulfillable_quantity"`
			FulfillmentStatus   *string `json:"fulfillment_status"`
		} `json:"line_items"`
	}
	if err := json.Unmarshal(o.raw, &lines); err != nil {
		return fmt.Errorf("fulfil order %d: %w", id, err)
	}
	c := s.catalog
	c.mu.Lock()
	if len(c.locations) > 0 {
		loc := c.locations[0].ID
		for _, li := range lines.LineItems {
			if li.VariantID == nil || li.FulfillmentStatus != nil || li.FulfillableQuantity <= 0 {
				continue
			}
			v, ok := c.variants[*li.VariantID]
			if !ok || v.inventoryManagement == nil {
				continue
			}
			if l, ok := c.levels[levelKey{v.inventoryItemID, loc}]; ok {
				l.committed -= li.FulfillableQuantity
				l.updatedAt = s.formatTime(s.clock())
				for _, name := range []string{"committed", "on_hand"} {
					c.record(InventoryChange{InventoryItemID: v.inventoryItemID, LocationID: loc, Name: name, Delta: -li.FulfillableQuantity,
						After: l.quantity(name), Reason: "fulfillment", ReferenceDocumentURI: fmt.Sprintf("gid://shopify/Order/%d", id)})
				}
			}
		}
	}
	c.mu.Unlock()
	_, err := s.UpdateOrder(id, func(m map[string]any) {
		m["fulfillment_status"] = "fulfilled"
		if items, ok := m["line_items"].([]any); ok {
			for _, it := range items {
				if li, ok := it.(map[string]any); ok && li["fulfillment_status"] == nil {
					li["fulfillment_status"] = "fulfilled"
					li["fulfillable_quantity"] = 0
				}
			}
		}
	})
	return err
}

// WebOrderLine is a line of an order PlaceWebOrder places: a catalogue variant and how many.
type WebOrderLine struct {
	VariantID int64
	Quantity  int
}

// PlaceWebOrder places a paid web order for catalogue variants at their prices, with
// taxes included at 21 % and standard shipping of 5.00, as a buyer would in the web store:
// its units move from available to committed and orders/create and orders/paid are
// delivered.
func (s *Server) PlaceWebOrder(lines ...WebOrderLine) (shopdata.Order, error) {
	if len(lines) == 0 {
		return shopdata.Order{}, errors.New("a web order needs a line")
	}
	cur := s.currency()
	rate := decimal.New(21, -2)
	included := func(d decimal.Decimal) decimal.Decimal {
		return d.Mul(rate).Div(decimal.NewFromInt(1).Add(rate)).Round(2)
	}
	s.placeMu.Lock()
	defer s.placeMu.Unlock()
	id := s.newID()
	number := int(s.store.maxOrderNumber()) + 1
	if number < 1001 {
		number = 1001
	}
	ts := s.formatTime(s.clock())
	o := shopdata.Order{
		ID: id, Name: fmt.Sprintf("#%d", number), Number: number - 1000, OrderNumber: number, Email: "buyer@example.com",
		CreatedAt: ts, ProcessedAt: ts, UpdatedAt: ts, Currency: cur, PresentmentCurrency: cur, FinancialStatus: "paid",
		PaymentGatewayNames: []string{"shopify_payments"}, TaxesIncluded: true, SourceName: "web", Confirmed: true,
		ProcessingMethod: "direct", AdminGraphqlAPIID: fmt.Sprintf("gid://shopify/Order/%d", id),
	}
	sum, tax := decimal.Zero, decimal.Zero
	s.catalog.mu.Lock()
	for i, l := range lines {
		v, ok := s.catalog.variants[l.VariantID]
		if !ok || l.Quantity <= 0 {
			s.catalog.mu.Unlock()
			return shopdata.Order{}, fmt.Errorf("web order line %d: variant %d is not in the catalogue or the quantity is not positive", i+1, l.VariantID)
		}
		p := s.catalog.products[v.productID]
		pid, vid, sku, vt := v.productID, v.id, v.sku, v.title
		var inv *string
		if v.inventoryManagement != nil {
			m := *v.inventoryManagement
			inv = &m
		}
		gross := v.price.Mul(decimal.NewFromInt(int64(l.Quantity)))
		t := included(gross)
		sum, tax = sum.Add(gross), tax.Add(t)
		o.LineItems = append(o.LineItems, shopdata.LineItem{
			ID: id*10 + int64(i) + 1, AdminGraphqlAPIID: fmt.Sprintf("gid://shopify/LineItem/%d", id*10+int64(i)+1),
			ProductID: &pid, VariantID: &vid, SKU: &sku, Title: p.title, VariantTitle: &vt, Name: p.title + " - " + v.title,
			Quantity: l.Quantity, CurrentQuantity: l.Quantity, FulfillableQuantity: l.Quantity, Price: shopdata.NewMoney(v.price),
			TotalDiscount: shopdata.MustMoney("0"), Taxable: true, RequiresShipping: true, VariantInventoryManagement: inv,
			ProductExists: true, FulfillmentService: "manual",
			TaxLines: []shopdata.TaxLine{{Price: shopdata.NewMoney(t), Rate: shopdata.Rate{Decimal: rate}, Title: "BTW"}},
		})
	}
	s.catalog.mu.Unlock()
	ship := decimal.New(500, -2)
	shipTax := included(ship)
	o.ShippingLines = []shopdata.ShippingLine{{
		ID: id*10 + 9, Title: "Standard", Code: "standard", Price: shopdata.NewMoney(ship), DiscountedPrice: shopdata.NewMoney(ship),
		Source: "shopify", TaxLines: []shopdata.TaxLine{{Price: shopdata.NewMoney(shipTax), Rate: shopdata.Rate{Decimal: rate}, Title: "BTW"}},
	}}
	total := sum.Add(ship)
	allTax := tax.Add(shipTax)
	zero := shopdata.MustMoney("0")
	o.TaxLines = []shopdata.TaxLine{{Price: shopdata.NewMoney(allTax), Rate: shopdata.Rate{Decimal: rate}, Title: "BTW"}}
	o.TotalLineItemsPrice, o.SubtotalPrice, o.CurrentSubtotalPrice = shopdata.NewMoney(sum), shopdata.NewMoney(sum), shopdata.NewMoney(sum)
	o.TotalTax, o.CurrentTotalTax = shopdata.NewMoney(allTax), shopdata.NewMoney(allTax)
	o.TotalPrice, o.CurrentTotalPrice = shopdata.NewMoney(total), shopdata.NewMoney(total)
	o.TotalDiscounts, o.CurrentTotalDiscounts, o.TotalOutstanding, o.TotalTipReceived = zero, zero, zero, zero
	o.TotalShippingPriceSet = shopdata.NewPriceSet(shopdata.NewMoney(ship), cur)
	if err := s.PlaceOrder(o); err != nil {
		return shopdata.Order{}, err
	}
	return o, nil
}

// ---- GraphQL ----

func (c *catalog) locationNode(l Location) map[string]any {
	return map[string]any{
		"id": gidLocation + strconv.FormatInt(l.ID, 10), "legacyResourceId": strconv.FormatInt(l.ID, 10), "name": l.Name,
		"isActive": l.Active, "fulfillsOnlineOrders": true,
		"address": map[string]any{
			"address1": l.Address1, "city": l.City, "zip": l.Zip, "countryCode": l.CountryCode,
			"formatted": []string{l.Address1, strings.TrimSpace(l.Zip + " " + l.City), l.CountryName},
		},
		"__location": l.ID,
	}
}

func (c *catalog) productNode(p *product) map[string]any {
	return map[string]any{
		"id": gidProduct + strconv.FormatInt(p.id, 10), "legacyResourceId": strconv.FormatInt(p.id, 10), "title": p.title,
		"handle": p.handle, "vendor": p.vendor, "status": strings.ToUpper(p.status), "isGiftCard": p.productType == "Gift Card",
	}
}

// variantNode is a variant's GraphQL object (caller holds mu).
func (c *catalog) variantNode(v *variant) map[string]any {
	var sku, barcode any
	if v.sku != "" {
		sku = v.sku
	}
	if v.barcode != nil {
		barcode = *v.barcode
	}
	p := c.products[v.productID]
	display := p.title
	if v.title != "Default Title" {
		display += " - " + v.title
	}
	return map[string]any{
		"id": gidProductVariant + strconv.FormatInt(v.id, 10), "legacyResourceId": strconv.FormatInt(v.id, 10),
		"title": v.title, "displayName": display, "sku": sku, "barcode": barcode, "price": v.price.StringFixed(2),
		"product": c.productNode(p), "__variant": v.id,
	}
}

// itemNode is an inventory item's GraphQL object (caller holds mu).
func (c *catalog) itemNode(v *variant) map[string]any {
	var sku any
	if v.sku != "" {
		sku = v.sku
	}
	return map[string]any{
		"id": gidInventoryItem + strconv.FormatInt(v.inventoryItemID, 10), "legacyResourceId": strconv.FormatInt(v.inventoryItemID, 10),
		"sku": sku, "tracked": v.inventoryManagement != nil, "__variant": v.id, "__item": v.inventoryItemID,
	}
}

// levelNode is an inventory level's GraphQL object, nil when the item is not stocked at
// the location (caller holds mu).
func (c *catalog) levelNode(item, location int64) any {
	l, ok := c.levels[levelKey{item, location}]
	if !ok {
		return nil
	}
	return map[string]any{
		"id":        fmt.Sprintf("gid://shopify/InventoryLevel/%d?inventory_item_id=%d", location, item),
		"updatedAt": l.updatedAt, "__item": item, "__location": location,
	}
}

func (c *catalog) location(id int64) (Location, bool) {
	for _, l := range c.locations {
		if l.ID == id {
			return l, true
		}
	}
	return Location{}, false
}

// searchTerms parses the part of Shopify's search syntax the simulator serves on
// inventory items and variants: id:N and sku:S terms joined with OR (nil: everything).
func searchTerms(q string) (ids map[int64]bool, skus map[string]bool, filtered bool) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil, false
	}
	ids, skus = map[int64]bool{}, map[string]bool{}
	for _, term := range strings.Fields(q) {
		if strings.EqualFold(term, "OR") {
			continue
		}
		k, v, ok := strings.Cut(term, ":")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch strings.ToLower(k) {
		case "id":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				ids[n] = true
			}
		case "sku":
			skus[strings.ToLower(v)] = true
		}
	}
	return ids, skus, true
}

// sortedVariants returns the variants by id (caller holds mu).
func (c *catalog) sortedVariants() []*variant {
	out := make([]*variant, 0, len(c.variants))
	for _, v := range c.variants {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func legacyKey(n any) string { return n.(map[string]any)["legacyResourceId"].(string) }

// resolvers serve locations, product variants, inventory items and levels, and
// inventorySetQuantities.
func (c *catalog) resolvers() map[string]map[string]gqlFieldFunc {
	return map[string]map[string]gqlFieldFunc{
		"QueryRoot": {
			"location": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				if !rc.token.has("read_locations") {
					return nil, accessDenied("location", "read_locations")
				}
				c.mu.Lock()
				defer c.mu.Unlock()
				gid, given := argString(args, "id")
				if !given {
					if len(c.locations) == 0 {
						return nil, nil
					}
					return c.locationNode(c.locations[0]), nil
				}
				id, ok := gidNumber(gid, gidLocation)
				if !ok {
					return nil, fmt.Errorf("invalid id: %q", gid)
				}
				if l, ok := c.location(id); ok {
					return c.locationNode(l), nil
				}
				return nil, nil
			},
			"locations": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				if !rc.token.has("read_locations") {
					return nil, accessDenied("locations", "read_locations")
				}
				c.mu.Lock()
				nodes := make([]any, 0, len(c.locations))
				for _, l := range c.locations {
					if l.Active || argBool(args, "includeInactive") {
						nodes = append(nodes, c.locationNode(l))
					}
				}
				c.mu.Unlock()
				return gqlConnection(nodes, legacyKey, args)
			},
			"productVariants": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				if !rc.token.has("read_products") {
					return nil, accessDenied("productVariants", "read_products")
				}
				q, _ := argString(args, "query")
				ids, skus, filtered := searchTerms(q)
				c.mu.Lock()
				var nodes []any
				for _, v := range c.sortedVariants() {
					if filtered && !ids[v.id] && !skus[strings.ToLower(v.sku)] {
						continue
					}
					nodes = append(nodes, c.variantNode(v))
				}
				c.mu.Unlock()
				return gqlConnection(nodes, legacyKey, args)
			},
			"inventoryItem": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				if !rc.token.has("read_inventory") {
					return nil, accessDenied("inventoryItem", "read_inventory")
				}
				gid, _ := argString(args, "id")
				id, ok := gidNumber(gid, gidInventoryItem)
				if !ok {
					return nil, fmt.Errorf("invalid id: %q", gid)
				}
				c.mu.Lock()
				defer c.mu.Unlock()
				if v, ok := c.items[id]; ok {
					return c.itemNode(v), nil
				}
				return nil, nil
			},
			"inventoryItems": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				if !rc.token.has("read_inventory") {
					return nil, accessDenied("inventoryItems", "read_inventory")
				}
				q, _ := argString(args, "query")
				ids, skus, filtered := searchTerms(q)
				c.mu.Lock()
				var nodes []any
				for _, v := range c.sortedVariants() {
					if filtered && !ids[v.inventoryItemID] && !skus[strings.ToLower(v.sku)] {
						continue
					}
					nodes = append(nodes, c.itemNode(v))
				}
				c.mu.Unlock()
				sort.Slice(nodes, func(i, j int) bool {
					return nodes[i].(map[string]any)["__item"].(int64) < nodes[j].(map[string]any)["__item"].(int64)
				})
				return gqlConnection(nodes, legacyKey, args)
			},
		},
		"Location": {
			"inventoryLevel": func(rc *gqlRequest, parent any, args map[string]any) (any, error) {
				if !rc.token.has("read_inventory") {
					return nil, accessDenied("inventoryLevel", "read_inventory")
				}
				gid, _ := argString(args, "inventoryItemId")
				item, ok := gidNumber(gid, gidInventoryItem)
				if !ok {
					return nil, fmt.Errorf("invalid id: %q", gid)
				}
				c.mu.Lock()
				defer c.mu.Unlock()
				return c.levelNode(item, parent.(map[string]any)["__location"].(int64)), nil
			},
		},
		"ProductVariant": {
			"inventoryItem": func(_ *gqlRequest, parent any, _ map[string]any) (any, error) {
				m := parent.(map[string]any)
				id, ok := m["__variant"].(int64)
				if !ok {
					// An order line's variant carries its inventory item as the order had it.
					return m["inventoryItem"], nil
				}
				c.mu.Lock()
				defer c.mu.Unlock()
				v, ok := c.variants[id]
				if !ok {
					return nil, errors.New("the variant was deleted")
				}
				return c.itemNode(v), nil
			},
		},
		"InventoryItem": {
			"variant": func(_ *gqlRequest, parent any, _ map[string]any) (any, error) {
				id, ok := parent.(map[string]any)["__variant"].(int64)
				if !ok {
					return nil, errors.New("the variant of an order line's inventory item is read through the catalogue")
				}
				c.mu.Lock()
				defer c.mu.Unlock()
				v, ok := c.variants[id]
				if !ok {
					return nil, errors.New("the variant was deleted")
				}
				return c.variantNode(v), nil
			},
			"inventoryLevel": func(rc *gqlRequest, parent any, args map[string]any) (any, error) {
				item, ok := parent.(map[string]any)["__item"].(int64)
				if !ok {
					return nil, errors.New("the level of an order line's inventory item is read through the catalogue")
				}
				gid, _ := argString(args, "locationId")
				loc, ok := gidNumber(gid, gidLocation)
				if !ok {
					return nil, fmt.Errorf("invalid id: %q", gid)
				}
				c.mu.Lock()
				defer c.mu.Unlock()
				return c.levelNode(item, loc), nil
			},
		},
		"InventoryLevel": {
			"item": func(_ *gqlRequest, parent any, _ map[string]any) (any, error) {
				c.mu.Lock()
				defer c.mu.Unlock()
				v, ok := c.items[parent.(map[string]any)["__item"].(int64)]
				if !ok {
					return nil, errors.New("the inventory item was deleted")
				}
				return c.itemNode(v), nil
			},
			"location": func(_ *gqlRequest, parent any, _ map[string]any) (any, error) {
				c.mu.Lock()
				defer c.mu.Unlock()
				l, ok := c.location(parent.(map[string]any)["__location"].(int64))
				if !ok {
					return nil, errors.New("the location was deleted")
				}
				return c.locationNode(l), nil
			},
			"quantities": func(_ *gqlRequest, parent any, args map[string]any) (any, error) {
				names, _ := argStrings(args, "names")
				m := parent.(map[string]any)
				item, loc := m["__item"].(int64), m["__location"].(int64)
				c.mu.Lock()
				defer c.mu.Unlock()
				l, ok := c.levels[levelKey{item, loc}]
				if !ok {
					return []any{}, nil
				}
				out := make([]any, 0, len(names))
				for _, n := range names {
					if !containsString(quantityNames, n) {
						return nil, &codedError{code: "BAD_REQUEST", msg: fmt.Sprintf("%q is not a valid quantity name. Valid names: %s", n, strings.Join(quantityNames, ", "))}
					}
					out = append(out, map[string]any{
						"id":   fmt.Sprintf("gid://shopify/InventoryQuantity/%d?inventory_item_id=%d&name=%s", loc, item, n),
						"name": n, "quantity": l.quantity(n), "updatedAt": l.updatedAt,
					})
				}
				return out, nil
			},
		},
		"InventoryAdjustmentGroup": {
			"changes": func(_ *gqlRequest, parent any, args map[string]any) (any, error) {
				all, _ := parent.(map[string]any)["__changes"].([]map[string]any)
				items, _ := argStrings(args, "inventoryItemIds")
				locs, _ := argStrings(args, "locationIds")
				names, _ := argStrings(args, "quantityNames")
				out := []any{}
				for _, ch := range all {
					if (len(items) > 0 && !containsString(items, ch["__itemGID"].(string))) ||
						(len(locs) > 0 && !containsString(locs, ch["__locationGID"].(string))) ||
						(len(names) > 0 && !containsString(names, ch["name"].(string))) {
						continue
					}
					out = append(out, ch)
				}
				return out, nil
			},
		},
		"Mutation": {
			"inventorySetQuantities": c.setQuantities,
		},
	}
}

func setError(code string, field []string, msg string) map[string]any {
	var c any
	if code != "" {
		c = code
	}
	return map[string]any{"code": c, "field": field, "message": msg}
}

func setRefused(errs ...map[string]any) map[string]any {
	list := make([]any, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return map[string]any{"inventoryAdjustmentGroup": nil, "userErrors": list}
}

// validReference reports whether a referenceDocumentUri is a URI with a scheme and
// content; a gid:// URI needs an app, an entity type and an id.
func validReference(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || (u.Opaque == "" && u.Host == "" && u.Path == "") {
		return false
	}
	if u.Scheme == "gid" {
		parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
		return u.Host != "" && len(parts) == 2 && parts[0] != "" && parts[1] != ""
	}
	return true
}

// SetHold holds one inventorySetQuantities mutation in the middle of its request, before
// it is applied, so that a test can kill the client while its set is in flight.
type SetHold struct {
	reached chan struct{}
	release chan bool
}

// HoldNextInventorySet makes the next inventorySetQuantities mutation wait, once received,
// until the hold is released.
func (s *Server) HoldNextInventorySet() *SetHold {
	h := &SetHold{reached: make(chan struct{}), release: make(chan bool, 1)}
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	s.catalog.holds = append(s.catalog.holds, h)
	return h
}

// Reached is closed once the held mutation has arrived.
func (h *SetHold) Reached() <-chan struct{} { return h.reached }

// Release lets the held mutation go on: applied (as when Shopify had received it whole and
// the client went away before the answer), or not (answered an internal error, nothing
// changed). Only the first call counts.
func (h *SetHold) Release(apply bool) {
	select {
	case h.release <- apply:
	default:
	}
}

// InventorySets is how many inventorySetQuantities mutations the shop received, applied or
// not (a repeated idempotency key and a stale quantity count too).
func (s *Server) InventorySets() int {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	return s.catalog.sets
}

// setQuantities is inventorySetQuantities.
func (c *catalog) setQuantities(rc *gqlRequest, _ any, args map[string]any) (any, error) {
	if !rc.token.has("write_inventory") {
		return nil, &codedError{code: "ACCESS_DENIED",
			msg: "Access denied for inventorySetQuantities field. Required access: `write_inventory` access scope. Also: The user must have a permission to update an inventory.",
			ext: map[string]any{"requiredAccess": "`write_inventory` access scope. Also: The user must have a permission to update an inventory."}}
	}
	key := ""
	if rc.field != nil {
		if d := rc.field.Directives.ForName("idempotent"); d != nil {
			key, _ = d.ArgumentMap(rc.vars)["key"].(string)
			if strings.TrimSpace(key) == "" || len(key) > 255 {
				return nil, &codedError{code: "BAD_REQUEST", msg: "The idempotency key must be a non-blank string of at most 255 characters."}
			}
		}
	}
	in, _ := args["input"].(map[string]any)
	paramsJSON, _ := json.Marshal(in)
	params := string(paramsJSON)
	c.mu.Lock()
	c.sets++
	var hold *SetHold
	if len(c.holds) > 0 {
		hold, c.holds = c.holds[0], c.holds[1:]
	}
	c.mu.Unlock()
	if hold != nil {
		close(hold.reached)
		if !<-hold.release {
			return nil, &codedError{code: "INTERNAL_SERVER_ERROR", msg: "Internal error. Looks like something went wrong on our end."}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if key != "" {
		if prev, ok := c.idempotent[key]; ok {
			switch {
			case prev.params != params:
				return setRefused(setError("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", []string{"idempotent", "key"}, "The same idempotency key cannot be used with different operation parameters.")), nil
			case prev.failed:
				return setRefused(setError("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", []string{"idempotent", "key"}, "A previous request with this idempotency key failed. Retry with a new idempotency key.")), nil
			}
			return prev.result, nil
		}
	}
	result := c.applySet(in, key)
	if key != "" {
		if c.idempotent == nil {
			c.idempotent = map[string]*idempotentResult{}
		}
		errs, _ := result["userErrors"].([]any)
		c.idempotent[key] = &idempotentResult{params: params, result: result, failed: len(errs) > 0}
	}
	return result, nil
}

// applySet checks and applies an inventorySetQuantities input (caller holds mu): all of it
// or, when any quantity is refused, none.
func (c *catalog) applySet(in map[string]any, key string) map[string]any {
	name, _ := in["name"].(string)
	reason, _ := in["reason"].(string)
	ref, _ := in["referenceDocumentUri"].(string)
	if name != "available" && name != "on_hand" {
		return setRefused(setError("INVALID_NAME", []string{"input", "name"}, "The quantity name must be either 'available' or 'on_hand'."))
	}
	if !setReasons[reason] {
		return setRefused(setError("INVALID_REASON", []string{"input", "reason"}, "The specified reason is invalid."))
	}
	if _, given := in["referenceDocumentUri"]; given && ref != "" && !validReference(ref) {
		return setRefused(setError("INVALID_REFERENCE_DOCUMENT", []string{"input", "referenceDocumentUri"}, "The specified reference document is invalid."))
	}
	raw, _ := in["quantities"].([]any)
	type change struct {
		k          levelKey
		q          int
		itemGID    string
		locGID     string
		changeFrom *int
	}
	var changes []change
	var errs []map[string]any
	seen := map[levelKey]bool{}
	for i, r := range raw {
		qm, _ := r.(map[string]any)
		field := func(f string) []string { return []string{"input", "quantities", strconv.Itoa(i), f} }
		itemGID, _ := qm["inventoryItemId"].(string)
		locGID, _ := qm["locationId"].(string)
		q, _ := argInt(qm, "quantity")
		item, okItem := gidNumber(itemGID, gidInventoryItem)
		loc, okLoc := gidNumber(locGID, gidLocation)
		v, known := c.items[item]
		switch {
		case !okItem || !known:
			errs = append(errs, setError("INVALID_INVENTORY_ITEM", field("inventoryItemId"), "The specified inventory item could not be found."))
			continue
		case !okLoc || !c.hasLocation(loc):
			errs = append(errs, setError("INVALID_LOCATION", field("locationId"), "The specified location could not be found."))
			continue
		case v.inventoryManagement == nil:
			errs = append(errs, setError("NON_MUTABLE_INVENTORY_ITEM", field("inventoryItemId"), "The specified inventory item is not allowed to be adjusted via API."))
			continue
		}
		k := levelKey{item, loc}
		if seen[k] {
			errs = append(errs, setError("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", field("inventoryItemId"), "The combination of inventoryItemId and locationId must be unique."))
			continue
		}
		seen[k] = true
		switch {
		case q > maxInventoryAmount:
			errs = append(errs, setError("INVALID_QUANTITY_TOO_HIGH", field("quantity"), "The quantity can't be higher than 1,000,000,000."))
			continue
		case q < -maxInventoryAmount:
			errs = append(errs, setError("INVALID_QUANTITY_TOO_LOW", field("quantity"), "The quantity can't be lower than -1,000,000,000."))
			continue
		case q < 0 && name == "on_hand":
			errs = append(errs, setError("INVALID_QUANTITY_NEGATIVE", field("quantity"), "The quantity can't be negative."))
			continue
		}
		cf, given := qm["changeFromQuantity"]
		if !given {
			errs = append(errs, setError("", field("changeFromQuantity"), "changeFromQuantity is required for each quantity: give the quantity last read, or null to opt out of the check."))
			continue
		}
		ch := change{k: k, q: q, itemGID: itemGID, locGID: locGID}
		if cf != nil {
			n, _ := argInt(qm, "changeFromQuantity")
			ch.changeFrom = &n
			current := 0
			if l, ok := c.levels[k]; ok {
				current = l.quantity(name)
			}
			if current != n {
				errs = append(errs, setError("CHANGE_FROM_QUANTITY_STALE", field("changeFromQuantity"), "The changeFromQuantity value does not match persisted value."))
				continue
			}
		}
		changes = append(changes, ch)
	}
	if len(errs) > 0 {
		return setRefused(errs...)
	}
	now := c.s.formatTime(c.s.clock())
	c.groups++
	var out []map[string]any
	for _, ch := range changes {
		l, ok := c.levels[ch.k]
		if !ok {
			// Setting a quantity stocks the item at the location (2026-10 no longer refuses
			// with ITEM_NOT_STOCKED_AT_LOCATION).
			l = &level{}
			c.levels[ch.k] = l
		}
		delta := ch.q - l.quantity(name)
		l.available += delta
		l.updatedAt = now
		other := "on_hand"
		if name == "on_hand" {
			other = "available"
		}
		for _, n := range []string{name, other} {
			c.record(InventoryChange{InventoryItemID: ch.k.item, LocationID: ch.k.location, Name: n, Delta: delta, After: l.quantity(n),
				Reason: reason, ReferenceDocumentURI: ref, IdempotencyKey: key})
			v := c.items[ch.k.item]
			loc, _ := c.location(ch.k.location)
			var ledger any
			if ref != "" {
				ledger = ref
			}
			out = append(out, map[string]any{
				"name": n, "delta": delta, "quantityAfterChange": l.quantity(n), "item": c.itemNode(v), "location": c.locationNode(loc),
				"ledgerDocumentUri": ledger, "__itemGID": ch.itemGID, "__locationGID": ch.locGID,
			})
		}
	}
	var refAny any
	if ref != "" {
		refAny = ref
	}
	return map[string]any{
		"inventoryAdjustmentGroup": map[string]any{
			"id": fmt.Sprintf("gid://shopify/InventoryAdjustmentGroup/%d", c.groups), "createdAt": c.s.clock().UTC().Format(time.RFC3339),
			"reason": reason, "referenceDocumentUri": refAny, "__changes": out,
		},
		"userErrors": []any{},
	}
}

// serveInventoryControl answers the stock controls of /_sim/:
//
//	GET  /_sim/inventory?inventory_item_id=N[&location_id=L]
//	     the item's quantities at the location (default the primary one)
//	POST /_sim/inventory  {"inventory_item_id": N, "location_id": L, "available_adjustment": D}
//	     change stock "in Shopify", as the merchant would in the admin
//	POST /_sim/web-orders {"lines": [{"variant_id": V, "quantity": Q}]}
//	     place a paid web order (PlaceWebOrder)
//	POST /_sim/fulfillments {"order_id": N}
//	     fulfil an order (FulfillOrder)
func (s *Server) serveInventoryControl(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/_sim/inventory" {
		item, _ := strconv.ParseInt(r.URL.Query().Get("inventory_item_id"), 10, 64)
		loc, _ := strconv.ParseInt(r.URL.Query().Get("location_id"), 10, 64)
		if loc == 0 {
			if ls := s.Locations(); len(ls) > 0 {
				loc = ls[0].ID
			}
		}
		q, ok := s.InventoryLevel(item, loc)
		if !ok {
			writeJSONError(w, http.StatusNotFound, "the item is not stocked at the location")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"inventory_item_id": item, "location_id": loc, "available": q.Available, "committed": q.Committed, "on_hand": q.OnHand})
		return
	}
	if r.Method != http.MethodPost {
		writeMethodNotAllowed(w)
		return
	}
	var body struct {
		InventoryItemID     int64 `json:"inventory_item_id"`
		LocationID          int64 `json:"location_id"`
		AvailableAdjustment int   `json:"available_adjustment"`
		OrderID             int64 `json:"order_id"`
		Lines               []struct {
			VariantID int64 `json:"variant_id"`
			Quantity  int   `json:"quantity"`
		} `json:"lines"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		writeJSONError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	switch r.URL.Path {
	case "/_sim/inventory":
		if body.LocationID == 0 {
			if ls := s.Locations(); len(ls) > 0 {
				body.LocationID = ls[0].ID
			}
		}
		q, err := s.AdjustAvailable(body.InventoryItemID, body.LocationID, body.AvailableAdjustment)
		if err != nil {
			writeJSONError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"available": q.Available, "committed": q.Committed, "on_hand": q.OnHand})
	case "/_sim/web-orders":
		lines := make([]WebOrderLine, len(body.Lines))
		for i, l := range body.Lines {
			lines[i] = WebOrderLine{VariantID: l.VariantID, Quantity: l.Quantity}
		}
		o, err := s.PlaceWebOrder(lines...)
		if err != nil {
			writeJSONError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"order": o})
	case "/_sim/fulfillments":
		if err := s.FulfillOrder(body.OrderID); err != nil {
			writeJSONError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"fulfilled": body.OrderID})
	default:
		writeJSONError(w, http.StatusNotFound, "Not Found")
	}
}

// SetVariantSKU changes a variant's SKU as the merchant would in Shopify's admin.
func (s *Server) SetVariantSKU(variantID int64, sku string) error {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	v, ok := s.catalog.variants[variantID]
	if !ok {
		return fmt.Errorf("variant %d: not in the catalogue", variantID)
	}
	v.sku = sku
	v.updatedAt = s.formatTime(s.clock())
	return nil
}

// SetVariantBarcode changes a variant's barcode as the merchant would in Shopify's admin
// ("" removes it).
func (s *Server) SetVariantBarcode(variantID int64, barcode string) error {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	v, ok := s.catalog.variants[variantID]
	if !ok {
		return fmt.Errorf("variant %d: not in the catalogue", variantID)
	}
	v.barcode = nil
	if barcode != "" {
		v.barcode = &barcode
	}
	v.updatedAt = s.formatTime(s.clock())
	return nil
}
