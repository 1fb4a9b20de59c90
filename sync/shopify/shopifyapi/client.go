package shopifyapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
)

// DefaultAPIVersion is the Admin API version kassa speaks unless told otherwise: the
// latest stable version on 2026-12-02, served until at least October 2027.
const DefaultAPIVersion = "2026-10"

// MaxPageSize is Shopify's largest page of a list (limit=250).
const MaxPageSize = 250

// ErrNotFound is returned (wrapped) when Shopify answers 404, e.g. for an order outside
// the 60 days an app without read_all_orders may see.
var ErrNotFound = errors.New("not found in shopify")

var apiVersionPattern = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}|unstable)$`)

// Config configures a Client.
type Config struct {
	// Shop is the shop's name ("kassa-demo") or myshopify domain ("kassa-demo.myshopify.com").
	Shop string
	// AccessToken is the static Admin API access token of a legacy custom app. It is sent
	// in a header and never logged. Tokens, when set, is used instead.
	AccessToken string
	// Tokens gives the access token of every request and renews it once when Shopify
	// answers 401 (a Dev Dashboard app's client-credentials token).
	Tokens TokenSource
	// APIVersion is the Admin API version; default DefaultAPIVersion.
	APIVersion string
	// BaseURL, when set, receives the requests meant for https://{shop}.myshopify.com
	// (the simulator's URL in tests and demos).
	BaseURL string
	// Logger receives debug lines about requests; default: none.
	Logger *zerolog.Logger
	// Observer is told about attempts, pacing, 429s and retries; default: none.
	Observer Observer
	// Transport tunes pacing and retries; its BaseURL, Logger and Observer are taken from
	// the fields above when those are set.
	Transport TransportOptions
}

// Client reads a shop's orders through go-shopify v4.7.0 over a Transport: go-shopify
// builds every request (URL, API version, query, access token); counts and single orders
// are its calls, made one at a time because go-shopify's client records per-request state
// without locking, while pages of orders are sent by the Client itself and decoded by
// kassa's decoder (see ordersPage). It is safe for concurrent use.
type Client struct {
	shop      string
	version   string // the pinned API version
	transport *Transport
	http      *http.Client // over the token and retry transports; go-shopify's requests go through it too
	apiPath   string       // "admin/api/2026-10"
	log       zerolog.Logger
	calls     *callTracker
	clock     Clock
	observer  Observer
	pacer     costPacer

	costMu     sync.Mutex
	perOrder   map[int]int // what one order of a page costs, by line items asked per order
	bucketSize float64

	mu sync.Mutex // serialises use of gs
	gs *goshopify.Client
}

// New builds a Client.
func New(cfg Config) (*Client, error) {
	shop := strings.ToLower(strings.TrimSpace(cfg.Shop))
	if shop == "" {
		return nil, errors.New("shopify client: shop is required")
	}
	tokens := cfg.Tokens
	if tokens == nil {
		if cfg.AccessToken == "" {
			return nil, errors.New("shopify client: access token is required")
		}
		tokens = StaticToken(cfg.AccessToken)
	}
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	if !apiVersionPattern.MatchString(version) {
		// go-shopify would silently fall back to the unversioned /admin/ path.
		return nil, fmt.Errorf("shopify client: api version %q: want YYYY-MM or unstable", version)
	}
	topts := cfg.Transport
	if cfg.BaseURL != "" {
		topts.BaseURL = cfg.BaseURL
	}
	if cfg.Logger != nil {
		topts.Logger = cfg.Logger
	}
	if cfg.Observer != nil {
		topts.Observer = cfg.Observer
	}
	calls := &callTracker{next: topts.Observer, version: version}
	topts.Observer = calls
	rt, err := NewTransport(topts)
	if err != nil {
		return nil, fmt.Errorf("shopify client: %w", err)
	}
	// No Timeout on the http.Client: it would cut across the Transport's retries and
	// waits. Each attempt has its own timeout and the caller's context bounds the whole.
	hc := &http.Client{Transport: &authTransport{shop: goshopify.ShopFullName(shop), tokens: tokens, next: rt}}
	// No token here: go-shopify would fix it for the client's life. authTransport sets
	// each request's.
	gs, err := goshopify.NewClient(goshopify.App{}, shop, "",
		goshopify.WithVersion(version),
		goshopify.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("shopify client: %w", err)
	}
	log := zerolog.Nop()
	if cfg.Logger != nil {
		log = cfg.Logger.With().Str("component", "shopify_client").Str("shop", goshopify.ShopFullName(shop)).Logger()
	}
	return &Client{
		shop: goshopify.ShopFullName(shop), version: version, transport: rt, http: hc, apiPath: "admin/api/" + version,
		gs: gs, log: log, calls: calls, clock: rt.opts.Clock, observer: rt.opts.Observer,
	}, nil
}

// APIVersion returns the API version the client asks for.
func (c *Client) APIVersion() string { return c.version }

// Calls returns what the client's requests saw so far.
func (c *Client) Calls() CallStats { return c.calls.stats() }

// Shop returns the shop's myshopify domain.
func (c *Client) Shop() string { return c.shop }

// Close releases idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// ListOptions filters orders. Filters apply to the first page; Shopify carries them in the
// cursor of the following pages.
type ListOptions struct {
	// Status is open, closed, cancelled or any; default "any" (Shopify's own default,
	// open, would silently miss closed and cancelled orders).
	Status string
	// SinceID lists only orders with a larger id, in ascending id order. Shopify's count
	// does not filter on it; CountOrders ignores it.
	SinceID        int64
	CreatedAtMin   time.Time
	CreatedAtMax   time.Time
	UpdatedAtMin   time.Time
	UpdatedAtMax   time.Time
	ProcessedAtMin time.Time
	// FinancialStatus filters on the payment state (paid, pending, ...); default any.
	FinancialStatus string
	// Limit is the page size; default and maximum MaxPageSize. CountOrders ignores it.
	Limit int
}

func (o ListOptions) status() goshopify.OrderStatus {
	if o.Status == "" {
		return goshopify.OrderStatusAny
	}
	return goshopify.OrderStatus(o.Status)
}

func (o ListOptions) listOptions() (*goshopify.OrderListOptions, error) {
	limit := o.Limit
	switch {
	case limit == 0:
		limit = MaxPageSize
	case limit < 0 || limit > MaxPageSize:
		return nil, fmt.Errorf("page size %d: want 1 to %d", limit, MaxPageSize)
	}
	if o.SinceID < 0 {
		return nil, fmt.Errorf("since id %d: want a positive order id", o.SinceID)
	}
	lo := &goshopify.OrderListOptions{
		ListOptions: goshopify.ListOptions{
			Limit:        limit,
			CreatedAtMin: o.CreatedAtMin,
			CreatedAtMax: o.CreatedAtMax,
			UpdatedAtMin: o.UpdatedAtMin,
			UpdatedAtMax: o.UpdatedAtMax,
		},
		Status:          o.status(),
		FinancialStatus: goshopify.OrderFinancialStatus(o.FinancialStatus),
		ProcessedAtMin:  o.ProcessedAtMin,
	}
	if o.SinceID > 0 {
		since := uint64(o.SinceID)
		lo.SinceId = &since
	}
	return lo, nil
}

// CountOrders returns how many orders match opts (orders/count.json).
func (c *Client) CountOrders(ctx context.Context, opts ListOptions) (int, error) {
	co := goshopify.OrderCountOptions{
		CreatedAtMin:    opts.CreatedAtMin,
		CreatedAtMax:    opts.CreatedAtMax,
		UpdatedAtMin:    opts.UpdatedAtMin,
		UpdatedAtMax:    opts.UpdatedAtMax,
		Status:          opts.status(),
		FinancialStatus: goshopify.OrderFinancialStatus(opts.FinancialStatus),
	}
	c.mu.Lock()
	n, err := c.gs.Order.Count(ctx, co)
	c.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("count shopify orders: %w", classify(err))
	}
	return n, nil
}

// ListOrders calls fn with each page of orders matching opts, in Shopify's order (by id
// ascending when SinceID is set, newest first otherwise), holding one page at a time. An
// order that cannot be decoded does not fail its page: it comes with DecodeErr set, its ID
// and Name as far as they could be read, and its Raw bytes. An error from fn stops the
// listing and is returned as it is.
func (c *Client) ListOrders(ctx context.Context, opts ListOptions, fn func(page []Order) error) error {
	first, err := opts.listOptions()
	if err != nil {
		return fmt.Errorf("list shopify orders: %w", err)
	}
	var next any = first
	for pageNo := 1; ; pageNo++ {
		body, nextPage, err := c.ordersPage(ctx, next)
		if err != nil {
			return fmt.Errorf("list shopify orders, page %d: %w", pageNo, classify(err))
		}
		raws, err := decodePage(body)
		if err != nil {
			return fmt.Errorf("list shopify orders, page %d: %w", pageNo, err)
		}
		orders := make([]Order, 0, len(raws))
		for _, raw := range raws {
			// The raw orders are slices of the page's body, which nothing else holds.
			o, err := decodeOwnedOrder(raw)
			if err != nil {
				o.DecodeErr = err
				c.log.Debug().Int64("order_id", o.ID).Err(err).Msg("undecodable shopify order")
			}
			orders = append(orders, o)
		}
		c.log.Debug().Int("page", pageNo).Int("orders", len(orders)).Msg("shopify orders page")
		if err := fn(orders); err != nil {
			return err
		}
		if nextPage == nil {
			return nil
		}
		next = nextPage
	}
}

// ordersPage asks for one page of orders.json and returns its body and the options of the
// next page (nil after the last). go-shopify builds the request (URL, API version, query,
// access token); the answer comes straight from the Transport, which has read its body whole,
// so that the page is decoded once, by kassa's decoder: go-shopify's own calls would first
// scan and copy it with encoding/json. options is what go-shopify encodes into the query: the
// first page's filters, then the cursor of the Link header.
func (c *Client) ordersPage(ctx context.Context, options any) ([]byte, *goshopify.ListOptions, error) {
	// NewRequest only reads the go-shopify client's settings: no need to hold c.mu.
	req, err := c.gs.NewRequest(ctx, http.MethodGet, c.apiPath+"/orders.json", nil, options)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if err := goshopify.CheckResponseError(resp); err != nil {
		_ = resp.Body.Close()
		return nil, nil, err
	}
	body, err := readBytes(resp)
	if err != nil {
		return nil, nil, err
	}
	next, err := nextPage(resp.Header.Get("Link"))
	if err != nil {
		return nil, nil, err
	}
	return body, next, nil
}

// linkPattern is one link of a Link header as Shopify writes it.
var linkPattern = regexp.MustCompile(`^ *<([^>]+)>; rel="(previous|next)" *$`)

// nextPage reads the cursor of the next page from a Link header
// (<https://...orders.json?limit=250&page_info=abc>; rel="next", <...>; rel="previous"), as
// go-shopify reads it: the page_info and limit of the next link, nil when there is none. A
// link that cannot be read is an error rather than a silently shorter listing.
func nextPage(header string) (*goshopify.ListOptions, error) {
	if header == "" {
		return nil, nil
	}
	var next *goshopify.ListOptions
	for _, link := range strings.Split(header, ",") {
		m := linkPattern.FindStringSubmatch(link)
		if m == nil {
			return nil, fmt.Errorf("unreadable pagination link %q", shopifyjson.Truncate(link))
		}
		u, err := url.Parse(m[1])
		if err != nil {
			return nil, fmt.Errorf("pagination link %q: %w", shopifyjson.Truncate(m[1]), err)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("pagination link %q: %w", shopifyjson.Truncate(m[1]), err)
		}
		page := &goshopify.ListOptions{PageInfo: q.Get("page_info")}
		if page.PageInfo == "" {
			return nil, fmt.Errorf("pagination link %q has no page_info", shopifyjson.Truncate(m[1]))
		}
		if l := q.Get("limit"); l != "" {
			if page.Limit, err = strconv.Atoi(l); err != nil {
				return nil, fmt.Errorf("pagination link %q: limit %q", shopifyjson.Truncate(m[1]), l)
			}
		}
		if m[2] == "next" {
			next = page
		}
	}
	return next, nil
}

// GetOrder fetches one order by id. An order Shopify does not show (unknown, or older than
// 60 days without read_all_orders) is an error wrapping ErrNotFound.
func (c *Client) GetOrder(ctx context.Context, id int64) (Order, error) {
	var res struct {
		Order json.RawMessage `json:"order"`
	}
	c.mu.Lock()
	err := c.gs.Get(ctx, fmt.Sprintf("orders/%d.json", id), &res, nil)
	c.mu.Unlock()
	if err != nil {
		return Order{}, fmt.Errorf("get shopify order %d: %w", id, classify(err))
	}
	if len(res.Order) == 0 || string(res.Order) == "null" {
		return Order{}, fmt.Errorf("get shopify order %d: answer without an order", id)
	}
	o, err := DecodeOrder(res.Order)
	if err != nil {
		return o, fmt.Errorf("get shopify order %d: %w", id, err)
	}
	return o, nil
}

// notFoundError keeps go-shopify's error text and detail while matching ErrNotFound.
type notFoundError struct{ err error }

func (e notFoundError) Error() string   { return e.err.Error() }
func (e notFoundError) Unwrap() []error { return []error{ErrNotFound, e.err} }

// classify marks Shopify's 404 as ErrNotFound; other errors pass unchanged.
func classify(err error) error {
	err = unwrapAuth(err)
	var re goshopify.ResponseError
	if errors.As(err, &re) && re.Status == http.StatusNotFound {
		return notFoundError{err: err}
	}
	return err
}
