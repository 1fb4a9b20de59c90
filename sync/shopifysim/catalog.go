package shopifysim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// Location is a shop location as locations.json serves it. Nullable fields are pointers so
// that locations decoded from Shopify's payloads are served back unchanged.
type Location struct {
	ID                    int64   `json:"id"`
	Name                  string  `json:"name"`
	Address1              string  `json:"address1"`
	Address2              *string `json:"address2"`
	City                  string  `json:"city"`
	Zip                   string  `json:"zip"`
	Province              *string `json:"province"`
	Country               string  `json:"country"`
	Phone                 *string `json:"phone"`
	CreatedAt             string  `json:"created_at"`
	UpdatedAt             string  `json:"updated_at"`
	CountryCode           string  `json:"country_code"`
	CountryName           string  `json:"country_name"`
	ProvinceCode          *string `json:"province_code"`
	Legacy                bool    `json:"legacy"`
	Active                bool    `json:"active"`
	AdminGraphqlAPIID     string  `json:"admin_graphql_api_id"`
	LocalizedCountryName  string  `json:"localized_country_name"`
	LocalizedProvinceName *string `json:"localized_province_name"`
}

// DefaultLocationID is the id of the single location a shop has unless Options.Locations
// says otherwise.
const DefaultLocationID = 65_000_000_001

type variant struct {
	id                  int64
	productID           int64
	title               string
	price               decimal.Decimal
	compareAtPrice      *decimal.Decimal
	sku                 string
	position            int
	inventoryPolicy     string
	inventoryManagement *string
	options             [3]*string
	taxable             bool
	barcode             *string
	grams               int
	weight              decimal.Decimal
	weightUnit          string
	inventoryItemID     int64
	requiresShipping    bool
	createdAt           string
	updatedAt           string
}

type product struct {
	id          int64
	title       string
	bodyHTML    string
	vendor      string
	productType string
	handle      string
	tags        string
	status      string
	createdAt   string
	updatedAt   string
	variants    []*variant
}

type levelKey struct{ item, location int64 }

type level struct {
	available int
	// committed is what orders placed and not fulfilled yet hold; on hand is available +
	// committed (inventory.go).
	committed int
	updatedAt string
}

// catalog holds products, variants, locations and inventory levels.
type catalog struct {
	s         *Server
	mu        sync.Mutex
	products  map[int64]*product
	variants  map[int64]*variant
	items     map[int64]*variant // by inventory item id
	locations []Location
	levels    map[levelKey]*level
	pending   []*variant
	// history is every change of a quantity, oldest first; idempotent the results of
	// mutations sent with @idempotent, by key; groups numbers adjustment groups
	// (inventory.go).
	history    []InventoryChange
	idempotent map[string]*idempotentResult
	groups     int64
	// holds are the SetHolds waiting for the next inventorySetQuantities; sets counts the
	// inventorySetQuantities mutations received.
	holds []*SetHold
	sets  int
}

func newCatalog(s *Server) *catalog {
	c := &catalog{
		s: s, products: map[int64]*product{}, variants: map[int64]*variant{}, items: map[int64]*variant{},
		levels: map[levelKey]*level{},
	}
	c.locations = s.opts.Locations
	if len(c.locations) == 0 {
		now := s.formatTime(s.clock())
		c.locations = []Location{{
			ID: DefaultLocationID, Name: "Main store", Address1: "Rue Neuve 1", City: "Brussels", Zip: "1000",
			Country: "BE", CountryCode: "BE", CountryName: "Belgium", CreatedAt: now, UpdatedAt: now, Active: true,
			AdminGraphqlAPIID: fmt.Sprintf("gid://shopify/Location/%d", DefaultLocationID), LocalizedCountryName: "Belgium",
		}}
	}
	return c
}

var nonHandle = regexp.MustCompile(`[^a-z0-9]+`)

func handleize(s string) string {
	return strings.Trim(nonHandle.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// loadCatalog adds generated catalogue items as products; stock is set by initStock.
func (c *catalog) loadCatalog(items []shopdata.CatalogItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.s.formatTime(c.s.clock())
	for _, it := range items {
		if _, dup := c.variants[it.VariantID]; dup {
			continue
		}
		p, ok := c.products[it.ProductID]
		if !ok {
			p = &product{
				id: it.ProductID, title: it.ProductTitle, vendor: it.Vendor, handle: handleize(it.ProductTitle),
				status: "active", createdAt: now, updatedAt: now,
			}
			if it.GiftCard {
				p.productType = "Gift Card"
			}
			c.products[p.id] = p
		}
		v := &variant{
			id: it.VariantID, productID: it.ProductID, title: it.VariantTitle, price: it.Price, sku: it.SKU,
			position: len(p.variants) + 1, inventoryPolicy: "deny", taxable: it.Taxable, grams: it.Grams,
			weight: decimal.NewFromInt(int64(it.Grams)), weightUnit: "g", inventoryItemID: it.InventoryItemID,
			requiresShipping: it.RequiresShipping, createdAt: now, updatedAt: now,
		}
		title := it.VariantTitle
		v.options[0] = &title
		if it.Tracked {
			m := "shopify"
			v.inventoryManagement = &m
		}
		p.variants = append(p.variants, v)
		c.variants[v.id] = v
		c.items[v.inventoryItemID] = v
		c.pending = append(c.pending, v)
	}
}

// initStock gives every tracked variant loaded since the last call its initial stock at
// every location.
func (c *catalog) initStock() {
	c.mu.Lock()
	defer c.mu.Unlock()
	qty := 25
	if c.s.opts.InitialStock != nil {
		qty = *c.s.opts.InitialStock
	}
	now := c.s.formatTime(c.s.clock())
	for _, v := range c.pending {
		if v.inventoryManagement == nil {
			continue
		}
		for _, l := range c.locations {
			k := levelKey{v.inventoryItemID, l.ID}
			if _, ok := c.levels[k]; !ok {
				c.levels[k] = &level{available: qty, updatedAt: now}
			}
		}
	}
	c.pending = nil
}

// decrementForOrder takes an order's tracked line items out of the first location's
// available stock into its committed stock, as Shopify does when an order is placed.
func (c *catalog) decrementForOrder(raw []byte) {
	var o struct {
		LineItems []struct {
			VariantID *int64 `json:"variant_id"`
			Quantity  int    `json:"quantity"`
		} `json:"line_items"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.s.formatTime(c.s.clock())
	for _, li := range o.LineItems {
		if li.VariantID == nil {
			continue
		}
		v, ok := c.variants[*li.VariantID]
		if !ok || v.inventoryManagement == nil || len(c.locations) == 0 {
			continue
		}
		k := levelKey{v.inventoryItemID, c.locations[0].ID}
		if l, ok := c.levels[k]; ok {
			// Placing an order moves its units from available to committed.
			l.available -= li.Quantity
			l.committed += li.Quantity
			l.updatedAt = now
		}
	}
}

// PrimaryLocation is the id of the shop's primary location: the first of its locations
// (the one GraphQL's location without an id and shop.json's primary_location_id name).
func (s *Server) PrimaryLocation() int64 {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	if len(s.catalog.locations) == 0 {
		return 0
	}
	return s.catalog.locations[0].ID
}

// hasLocation reports whether id is a location of the shop.
func (s *Server) hasLocation(id int64) bool {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	return s.catalog.hasLocation(id)
}

// Locations returns the shop's locations.
func (s *Server) Locations() []Location {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	return append([]Location(nil), s.catalog.locations...)
}

// Available returns the available quantity of an inventory item at a location, and whether
// the item is stocked there.
func (s *Server) Available(inventoryItemID, locationID int64) (int, bool) {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	l, ok := s.catalog.levels[levelKey{inventoryItemID, locationID}]
	if !ok {
		return 0, false
	}
	return l.available, true
}

// SetInventoryLevel stocks an inventory item at a location with the given quantity, even an
// item the shop's products do not know (to serve fixture data).
func (s *Server) SetInventoryLevel(inventoryItemID, locationID int64, available int) {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	s.catalog.levels[levelKey{inventoryItemID, locationID}] = &level{available: available, updatedAt: s.formatTime(s.clock())}
}

// ---- JSON rendering ----

type variantJSON struct {
	ID                   int64            `json:"id"`
	ProductID            int64            `json:"product_id"`
	Title                string           `json:"title"`
	Price                string           `json:"price"`
	SKU                  string           `json:"sku"`
	Position             int              `json:"position"`
	InventoryPolicy      string           `json:"inventory_policy"`
	CompareAtPrice       *string          `json:"compare_at_price"`
	FulfillmentService   string           `json:"fulfillment_service"`
	InventoryManagement  *string          `json:"inventory_management"`
	Option1              *string          `json:"option1"`
	Option2              *string          `json:"option2"`
	Option3              *string          `json:"option3"`
	CreatedAt            string           `json:"created_at"`
	UpdatedAt            string           `json:"updated_at"`
	Taxable              bool             `json:"taxable"`
	Barcode              *string          `json:"barcode"`
	Grams                int              `json:"grams"`
	ImageID              *int64           `json:"image_id"`
	Weight               json.Number      `json:"weight"`
	WeightUnit           string           `json:"weight_unit"`
	InventoryItemID      int64            `json:"inventory_item_id"`
	InventoryQuantity    int              `json:"inventory_quantity"`
	OldInventoryQuantity int              `json:"old_inventory_quantity"`
	RequiresShipping     bool             `json:"requires_shipping"`
	AdminGraphqlAPIID    string           `json:"admin_graphql_api_id"`
	PresentmentPrices    []map[string]any `json:"presentment_prices"`
}

type productOptionJSON struct {
	ID        int64    `json:"id"`
	ProductID int64    `json:"product_id"`
	Name      string   `json:"name"`
	Position  int      `json:"position"`
	Values    []string `json:"values"`
}

type productJSON struct {
	ID                int64               `json:"id"`
	Title             string              `json:"title"`
	BodyHTML          string              `json:"body_html"`
	Vendor            string              `json:"vendor"`
	ProductType       string              `json:"product_type"`
	CreatedAt         string              `json:"created_at"`
	Handle            string              `json:"handle"`
	UpdatedAt         string              `json:"updated_at"`
	PublishedAt       string              `json:"published_at"`
	TemplateSuffix    *string             `json:"template_suffix"`
	PublishedScope    string              `json:"published_scope"`
	Tags              string              `json:"tags"`
	Status            string              `json:"status"`
	AdminGraphqlAPIID string              `json:"admin_graphql_api_id"`
	Variants          []variantJSON       `json:"variants"`
	Options           []productOptionJSON `json:"options"`
	Images            []any               `json:"images"`
	Image             *struct{}           `json:"image"`
}

// quantity is the variant's total available stock over all locations (caller holds mu).
func (c *catalog) quantity(v *variant) int {
	n := 0
	for _, l := range c.locations {
		if lv, ok := c.levels[levelKey{v.inventoryItemID, l.ID}]; ok {
			n += lv.available
		}
	}
	return n
}

func (c *catalog) renderVariant(v *variant) variantJSON {
	var cmp *string
	if v.compareAtPrice != nil {
		s := v.compareAtPrice.StringFixed(2)
		cmp = &s
	}
	q := c.quantity(v)
	price := v.price.StringFixed(2)
	return variantJSON{
		ID: v.id, ProductID: v.productID, Title: v.title, Price: price, SKU: v.sku, Position: v.position,
		InventoryPolicy: v.inventoryPolicy, CompareAtPrice: cmp, FulfillmentService: "manual",
		InventoryManagement: v.inventoryManagement, Option1: v.options[0], Option2: v.options[1], Option3: v.options[2],
		CreatedAt: v.createdAt, UpdatedAt: v.updatedAt, Taxable: v.taxable, Barcode: v.barcode, Grams: v.grams,
		Weight: json.Number(v.weight.String()), WeightUnit: v.weightUnit, InventoryItemID: v.inventoryItemID,
		InventoryQuantity: q, OldInventoryQuantity: q, RequiresShipping: v.requiresShipping,
		AdminGraphqlAPIID: fmt.Sprintf("gid://shopify/ProductVariant/%d", v.id),
		PresentmentPrices: []map[string]any{{
			"price": map[string]string{"amount": price, "currency_code": c.s.currency()}, "compare_at_price": cmp,
		}},
	}
}

func (c *catalog) renderProduct(p *product) productJSON {
	out := productJSON{
		ID: p.id, Title: p.title, BodyHTML: p.bodyHTML, Vendor: p.vendor, ProductType: p.productType,
		CreatedAt: p.createdAt, Handle: p.handle, UpdatedAt: p.updatedAt, PublishedAt: p.createdAt,
		PublishedScope: "global", Tags: p.tags, Status: p.status,
		AdminGraphqlAPIID: fmt.Sprintf("gid://shopify/Product/%d", p.id),
		Variants:          []variantJSON{}, Images: []any{},
	}
	var values [3][]string
	for _, v := range p.variants {
		out.Variants = append(out.Variants, c.renderVariant(v))
		for i, o := range v.options {
			if o != nil && !contains(values[i], *o) {
				values[i] = append(values[i], *o)
			}
		}
	}
	for i, vals := range values {
		if len(vals) == 0 {
			continue
		}
		name := "Title"
		if i > 0 || len(vals) > 1 || vals[0] != "Default Title" {
			name = []string{"Option1", "Option2", "Option3"}[i]
		}
		out.Options = append(out.Options, productOptionJSON{
			ID: p.id*10 + int64(i), ProductID: p.id, Name: name, Position: i + 1, Values: vals,
		})
	}
	if out.Options == nil {
		out.Options = []productOptionJSON{}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ---- products ----

type variantInput struct {
	ID                  int64            `json:"id"`
	Title               *string          `json:"title"`
	SKU                 *string          `json:"sku"`
	Price               *decimal.Decimal `json:"price"`
	CompareAtPrice      *decimal.Decimal `json:"compare_at_price"`
	Position            *int             `json:"position"`
	InventoryPolicy     *string          `json:"inventory_policy"`
	InventoryManagement *string          `json:"inventory_management"`
	Option1             *string          `json:"option1"`
	Option2             *string          `json:"option2"`
	Option3             *string          `json:"option3"`
	Taxable             *bool            `json:"taxable"`
	Barcode             *string          `json:"barcode"`
	Grams               *int             `json:"grams"`
	Weight              *decimal.Decimal `json:"weight"`
	WeightUnit          *string          `json:"weight_unit"`
	RequiresShipping    *bool            `json:"requires_shipping"`
	InventoryQuantity   *int             `json:"inventory_quantity"`
}

type productInput struct {
	Title       *string         `json:"title"`
	BodyHTML    *string         `json:"body_html"`
	Vendor      *string         `json:"vendor"`
	ProductType *string         `json:"product_type"`
	Handle      *string         `json:"handle"`
	Tags        *string         `json:"tags"`
	Status      *string         `json:"status"`
	Variants    *[]variantInput `json:"variants"`
}

func (c *catalog) routeProducts(w http.ResponseWriter, r *apiRequest, rest []string) {
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		c.listProducts(w, r)
	case len(rest) == 0 && r.Method == http.MethodPost:
		c.createProduct(w, r)
	case len(rest) == 1 && rest[0] == "count":
		c.mu.Lock()
		n := len(c.products)
		c.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]int{"count": n})
	case len(rest) == 1:
		id, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil {
			writeJSONError(w, http.StatusNotFound, "Not Found")
			return
		}
		switch r.Method {
		case http.MethodGet:
			c.mu.Lock()
			p, ok := c.products[id]
			var out productJSON
			if ok {
				out = c.renderProduct(p)
			}
			c.mu.Unlock()
			if !ok {
				writeJSONError(w, http.StatusNotFound, "Not Found")
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"product": out})
		case http.MethodPut:
			c.updateProduct(w, r, id)
		case http.MethodDelete:
			c.deleteProduct(w, id)
		default:
			writeMethodNotAllowed(w)
		}
	case len(rest) == 2 && rest[1] == "variants" && r.Method == http.MethodGet:
		id, _ := strconv.ParseInt(rest[0], 10, 64)
		c.mu.Lock()
		p, ok := c.products[id]
		var out []variantJSON
		if ok {
			out = c.renderProduct(p).Variants
		}
		c.mu.Unlock()
		if !ok {
			writeJSONError(w, http.StatusNotFound, "Not Found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"variants": out})
	default:
		writeJSONError(w, http.StatusNotFound, "Not Found")
	}
}

var productFilterKeys = []string{"ids", "since_id", "vendor", "product_type", "title", "handle", "status"}

func (c *catalog) listProducts(w http.ResponseWriter, r *apiRequest) {
	q := r.URL.Query()
	limit, ok := queryLimit(w, q)
	if !ok {
		return
	}
	filterQ := url.Values{}
	var cursor *pageInfo
	if pi := q.Get("page_info"); pi != "" {
		if k := pageInfoConflict(q); k != "" {
			writePageInfoConflict(w, k)
			return
		}
		p, ok := decodePageInfo(pi)
		if !ok {
			writeFieldError(w, http.StatusBadRequest, "page_info", "Invalid value.")
			return
		}
		cursor = &p
		filterQ, _ = url.ParseQuery(p.Filters)
	} else {
		for _, k := range productFilterKeys {
			if v, ok := q[k]; ok {
				filterQ[k] = v
			}
		}
	}
	match := productMatcher(filterQ)

	c.mu.Lock()
	all := make([]*product, 0, len(c.products))
	for _, p := range c.products {
		if match(p) {
			all = append(all, p)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	var start, end int
	if cursor != nil {
		if cursor.Direction == "next" {
			start = sort.Search(len(all), func(i int) bool { return all[i].id > cursor.LastID })
			end = min(start+limit, len(all))
		} else {
			end = sort.Search(len(all), func(i int) bool { return all[i].id >= cursor.LastID })
			start = max(0, end-limit)
		}
	} else {
		end = min(limit, len(all))
	}
	page := all[start:end]
	out := make([]json.RawMessage, 0, len(page))
	fields := parseFields(q.Get("fields"))
	for _, p := range page {
		b, _ := json.Marshal(c.renderProduct(p))
		out = append(out, selectFields(b, fields))
	}
	c.mu.Unlock()

	filters := filterQ.Encode()
	var links []string
	if start > 0 && len(page) > 0 {
		links = append(links, fmt.Sprintf("<%s>; rel=\"previous\"", c.s.pageURL(r, limit, q.Get("fields"),
			pageInfo{Direction: "prev", LastID: page[0].id, Filters: filters})))
	}
	if end < len(all) && len(page) > 0 {
		links = append(links, fmt.Sprintf("<%s>; rel=\"next\"", c.s.pageURL(r, limit, q.Get("fields"),
			pageInfo{Direction: "next", LastID: page[len(page)-1].id, Filters: filters})))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	writeJSON(w, http.StatusOK, map[string]any{"products": out})
}

func productMatcher(q url.Values) func(*product) bool {
	var ids map[int64]bool
	if v := q.Get("ids"); v != "" {
		ids = map[int64]bool{}
		for _, s := range strings.Split(v, ",") {
			if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
				ids[id] = true
			}
		}
	}
	sinceID, _ := strconv.ParseInt(q.Get("since_id"), 10, 64)
	statuses := parseFields(q.Get("status"))
	return func(p *product) bool {
		if ids != nil && !ids[p.id] {
			return false
		}
		if p.id <= sinceID {
			return false
		}
		if v := q.Get("vendor"); v != "" && p.vendor != v {
			return false
		}
		if v := q.Get("product_type"); v != "" && p.productType != v {
			return false
		}
		if v := q.Get("title"); v != "" && !strings.Contains(strings.ToLower(p.title), strings.ToLower(v)) {
			return false
		}
		if v := q.Get("handle"); v != "" && p.handle != v {
			return false
		}
		if statuses != nil && !contains(statuses, p.status) {
			return false
		}
		return true
	}
}

func (c *catalog) createProduct(w http.ResponseWriter, r *apiRequest) {
	var body struct {
		Product *productInput `json:"product"`
	}
	if !readJSON(w, r.Request, &body) {
		return
	}
	in := body.Product
	if in == nil {
		writeFieldError(w, http.StatusBadRequest, "product", "Required parameter missing or invalid")
		return
	}
	if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{"title": {"can't be blank"}}})
		return
	}
	now := c.s.formatTime(c.s.clock())
	p := &product{id: c.s.newID(), status: "active", createdAt: now, updatedAt: now}
	p.apply(in)
	if p.handle == "" {
		p.handle = handleize(p.title)
	}
	variants := []variantInput{{}}
	if in.Variants != nil && len(*in.Variants) > 0 {
		variants = *in.Variants
	}
	c.mu.Lock()
	for _, vi := range variants {
		c.addVariant(p, vi, now)
	}
	c.products[p.id] = p
	out := c.renderProduct(p)
	c.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"product": out})
}

func (p *product) apply(in *productInput) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.title, in.Title)
	set(&p.bodyHTML, in.BodyHTML)
	set(&p.vendor, in.Vendor)
	set(&p.productType, in.ProductType)
	set(&p.handle, in.Handle)
	set(&p.tags, in.Tags)
	set(&p.status, in.Status)
}

// addVariant creates a variant with its inventory item; a tracked variant is stocked at
// every location (with inventory_quantity when given, else 0). Caller holds mu.
func (c *catalog) addVariant(p *product, vi variantInput, now string) {
	v := &variant{
		id: c.s.newID(), productID: p.id, price: decimal.Zero, position: len(p.variants) + 1, inventoryPolicy: "deny",
		taxable: true, weight: decimal.Zero, weightUnit: "kg", requiresShipping: true, createdAt: now, updatedAt: now,
	}
	v.inventoryItemID = c.s.newID()
	v.apply(vi)
	if v.options[0] == nil && v.options[1] == nil && v.options[2] == nil {
		d := "Default Title"
		v.options[0] = &d
	}
	v.title = variantTitle(v)
	p.variants = append(p.variants, v)
	c.variants[v.id] = v
	c.items[v.inventoryItemID] = v
	if v.inventoryManagement != nil {
		qty := 0
		if vi.InventoryQuantity != nil {
			qty = *vi.InventoryQuantity
		}
		for _, l := range c.locations {
			c.levels[levelKey{v.inventoryItemID, l.ID}] = &level{available: qty, updatedAt: now}
		}
	}
}

func variantTitle(v *variant) string {
	var parts []string
	for _, o := range v.options {
		if o != nil && *o != "" {
			parts = append(parts, *o)
		}
	}
	if len(parts) == 0 {
		return "Default Title"
	}
	return strings.Join(parts, " / ")
}

func (v *variant) apply(vi variantInput) {
	if vi.SKU != nil {
		v.sku = *vi.SKU
	}
	if vi.Price != nil {
		v.price = *vi.Price
	}
	if vi.CompareAtPrice != nil {
		cp := *vi.CompareAtPrice
		v.compareAtPrice = &cp
	}
	if vi.Position != nil && *vi.Position > 0 {
		v.position = *vi.Position
	}
	if vi.InventoryPolicy != nil && *vi.InventoryPolicy != "" {
		v.inventoryPolicy = *vi.InventoryPolicy
	}
	if vi.InventoryManagement != nil {
		// go-shopify sends "" for "not tracked"; Shopify renders that as null.
		if *vi.InventoryManagement == "" {
			v.inventoryManagement = nil
		} else {
			m := *vi.InventoryManagement
			v.inventoryManagement = &m
		}
	}
	for i, o := range []*string{vi.Option1, vi.Option2, vi.Option3} {
		if o != nil && *o != "" {
			val := *o
			v.options[i] = &val
		}
	}
	if vi.Taxable != nil {
		v.taxable = *vi.Taxable
	}
	if vi.Barcode != nil && *vi.Barcode != "" {
		b := *vi.Barcode
		v.barcode = &b
	}
	if vi.Grams != nil {
		v.grams = *vi.Grams
	}
	if vi.Weight != nil {
		v.weight = *vi.Weight
	}
	if vi.WeightUnit != nil && *vi.WeightUnit != "" {
		v.weightUnit = *vi.WeightUnit
	}
	// requires_shipping is ignored on input: go-shopify always sends false (no omitempty),
	// which would otherwise turn every variant it creates into a non-shipping one.
}

// updateProduct applies a PUT. A variants array is the full set: listed ids are updated,
// entries without id are created, and variants left out are removed, as in Shopify's
// documented example.
func (c *catalog) updateProduct(w http.ResponseWriter, r *apiRequest, id int64) {
	var body struct {
		Product *productInput `json:"product"`
	}
	if !readJSON(w, r.Request, &body) {
		return
	}
	if body.Product == nil {
		writeFieldError(w, http.StatusBadRequest, "product", "Required parameter missing or invalid")
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.products[id]
	if !ok {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	now := c.s.formatTime(c.s.clock())
	p.apply(body.Product)
	p.updatedAt = now
	if body.Product.Variants != nil {
		keep := map[int64]bool{}
		for _, vi := range *body.Product.Variants {
			if vi.ID != 0 {
				keep[vi.ID] = true
			}
		}
		for _, vi := range *body.Product.Variants {
			if vi.ID != 0 {
				if _, ok := c.variants[vi.ID]; !ok || c.variants[vi.ID].productID != p.id {
					writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{
						"variants": {fmt.Sprintf("variant %d does not belong to product %d", vi.ID, p.id)}}})
					return
				}
			}
		}
		var kept []*variant
		for _, v := range p.variants {
			if keep[v.id] {
				kept = append(kept, v)
			} else {
				c.removeVariant(v)
			}
		}
		p.variants = kept
		for _, vi := range *body.Product.Variants {
			if vi.ID == 0 {
				c.addVariant(p, vi, now)
				continue
			}
			v := c.variants[vi.ID]
			v.apply(vi)
			v.title = variantTitle(v)
			if vi.Title != nil && *vi.Title != "" && vi.Option1 == nil {
				v.title = *vi.Title
			}
			v.updatedAt = now
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"product": c.renderProduct(p)})
}

// removeVariant forgets a variant, its inventory item and levels (caller holds mu).
func (c *catalog) removeVariant(v *variant) {
	delete(c.variants, v.id)
	delete(c.items, v.inventoryItemID)
	for _, l := range c.locations {
		delete(c.levels, levelKey{v.inventoryItemID, l.ID})
	}
}

func (c *catalog) deleteProduct(w http.ResponseWriter, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.products[id]
	if !ok {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	for _, v := range p.variants {
		c.removeVariant(v)
	}
	delete(c.products, id)
	writeRaw(w, http.StatusOK, []byte("{}"))
}

func (c *catalog) routeVariants(w http.ResponseWriter, r *apiRequest, rest []string) {
	if len(rest) != 1 {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	id, _ := strconv.ParseInt(rest[0], 10, 64)
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.variants[id]
	if !ok {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut:
		var body struct {
			Variant *variantInput `json:"variant"`
		}
		if !readJSON(w, r.Request, &body) {
			return
		}
		if body.Variant != nil {
			v.apply(*body.Variant)
			v.title = variantTitle(v)
			v.updatedAt = c.s.formatTime(c.s.clock())
		}
	default:
		writeMethodNotAllowed(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"variant": c.renderVariant(v)})
}

// ---- locations ----

func (c *catalog) routeLocations(w http.ResponseWriter, r *apiRequest, rest []string) {
	if r.Method != http.MethodGet {
		writeMethodNotAllowed(w)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case len(rest) == 0:
		writeJSON(w, http.StatusOK, map[string]any{"locations": c.locations})
	case len(rest) == 1 && rest[0] == "count":
		writeJSON(w, http.StatusOK, map[string]int{"count": len(c.locations)})
	case len(rest) >= 1:
		id, _ := strconv.ParseInt(rest[0], 10, 64)
		for _, l := range c.locations {
			if l.ID != id {
				continue
			}
			if len(rest) == 1 {
				writeJSON(w, http.StatusOK, map[string]any{"location": l})
				return
			}
			if len(rest) == 2 && rest[1] == "inventory_levels" {
				writeJSON(w, http.StatusOK, map[string]any{"inventory_levels": c.levelsWhere(nil, map[int64]bool{id: true})})
				return
			}
		}
		writeJSONError(w, http.StatusNotFound, "Not Found")
	}
}

// ---- inventory levels ----

type levelJSON struct {
	InventoryItemID   int64  `json:"inventory_item_id"`
	LocationID        int64  `json:"location_id"`
	Available         *int   `json:"available"`
	UpdatedAt         string `json:"updated_at"`
	AdminGraphqlAPIID string `json:"admin_graphql_api_id"`
}

func renderLevel(k levelKey, l *level) levelJSON {
	a := l.available
	return levelJSON{
		InventoryItemID: k.item, LocationID: k.location, Available: &a, UpdatedAt: l.updatedAt,
		AdminGraphqlAPIID: fmt.Sprintf("gid://shopify/InventoryLevel/%d?inventory_item_id=%d", k.location, k.item),
	}
}

// levelsWhere lists levels whose item and location are in the sets (nil = any), sorted by
// item then location (caller holds mu).
func (c *catalog) levelsWhere(items, locations map[int64]bool) []levelJSON {
	out := []levelJSON{}
	for k, l := range c.levels {
		if (items == nil || items[k.item]) && (locations == nil || locations[k.location]) {
			out = append(out, renderLevel(k, l))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].InventoryItemID != out[j].InventoryItemID {
			return out[i].InventoryItemID < out[j].InventoryItemID
		}
		return out[i].LocationID < out[j].LocationID
	})
	return out
}

func idSet(v string) map[int64]bool {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	m := map[int64]bool{}
	for _, s := range strings.Split(v, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			m[id] = true
		}
	}
	return m
}

func (c *catalog) routeInventoryLevels(w http.ResponseWriter, r *apiRequest, rest []string) {
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		q := r.URL.Query()
		limit, ok := queryLimit(w, q)
		if !ok {
			return
		}
		items, locs := idSet(q.Get("inventory_item_ids")), idSet(q.Get("location_ids"))
		if items == nil && locs == nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
				"errors": []string{"Must specify at least one of inventory_item_ids or location_ids"}})
			return
		}
		c.mu.Lock()
		levels := c.levelsWhere(items, locs)
		c.mu.Unlock()
		if len(levels) > limit {
			levels = levels[:limit]
		}
		writeJSON(w, http.StatusOK, map[string]any{"inventory_levels": levels})
	case len(rest) == 0 && r.Method == http.MethodDelete:
		q := r.URL.Query()
		item, _ := strconv.ParseInt(q.Get("inventory_item_id"), 10, 64)
		loc, _ := strconv.ParseInt(q.Get("location_id"), 10, 64)
		c.mu.Lock()
		_, ok := c.levels[levelKey{item, loc}]
		delete(c.levels, levelKey{item, loc})
		c.mu.Unlock()
		if !ok {
			writeJSONError(w, http.StatusNotFound, "Not Found")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case len(rest) == 1 && r.Method == http.MethodPost && (rest[0] == "set" || rest[0] == "adjust" || rest[0] == "connect"):
		c.changeLevel(w, r, rest[0])
	default:
		writeJSONError(w, http.StatusNotFound, "Not Found")
	}
}

func (c *catalog) changeLevel(w http.ResponseWriter, r *apiRequest, op string) {
	var body struct {
		InventoryItemID     int64 `json:"inventory_item_id"`
		LocationID          int64 `json:"location_id"`
		Available           *int  `json:"available"`
		AvailableAdjustment *int  `json:"available_adjustment"`
	}
	if !readJSON(w, r.Request, &body) {
		return
	}
	unprocessable := func(msg string) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []string{msg}})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hasLocation(body.LocationID) {
		unprocessable("Location not found")
		return
	}
	k := levelKey{body.InventoryItemID, body.LocationID}
	l, stocked := c.levels[k]
	v, known := c.items[body.InventoryItemID]
	if !known && !stocked {
		unprocessable("Inventory item not found")
		return
	}
	if known && v.inventoryManagement == nil {
		unprocessable("Inventory item does not have inventory tracking enabled")
		return
	}
	now := c.s.formatTime(c.s.clock())
	switch op {
	case "connect":
		if !stocked {
			l = &level{updatedAt: now}
			c.levels[k] = l
		}
	case "set":
		if body.Available == nil {
			writeFieldError(w, http.StatusBadRequest, "available", "Required parameter missing or invalid")
			return
		}
		if !stocked {
			l = &level{}
			c.levels[k] = l
		}
		l.available, l.updatedAt = *body.Available, now
	case "adjust":
		if body.AvailableAdjustment == nil {
			writeFieldError(w, http.StatusBadRequest, "available_adjustment", "Required parameter missing or invalid")
			return
		}
		if !stocked {
			unprocessable("Inventory item is not stocked at the location")
			return
		}
		l.available, l.updatedAt = l.available+*body.AvailableAdjustment, now
	}
	writeJSON(w, http.StatusOK, map[string]any{"inventory_level": renderLevel(k, l)})
}

func (c *catalog) hasLocation(id int64) bool {
	for _, l := range c.locations {
		if l.ID == id {
			return true
		}
	}
	return false
}
