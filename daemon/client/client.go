// Package client is the typed Go client of kassa's HTTP API (the daemon's /api/v1). The
// register terminal and the daemon's own tests use it; every method is one route, and a
// refused call returns an *Error carrying the HTTP status and the daemon's one-line
// message, written for staff.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Error is a call the daemon refused or could not carry out.
type Error struct {
	// Status is the HTTP status: 400 bad input, 401 no or a bad token, 403 too low a role,
	// 404 unknown, 409 a conflict (session already open, import already running,
	// over-payment), 422 a rule refused it, 5xx the daemon failed.
	Status int
	// Message is the daemon's message, one line, for staff.
	Message string
}

// Error returns the daemon's message.
func (e *Error) Error() string { return e.Message }

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Client calls one daemon with one token. It is safe for concurrent use.
type Client struct {
	base   string
	token  string
	http   *http.Client
	header string // X-Kassa-Client
}

// Option tunes a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// AsTerminal marks the client's requests as the register terminal's, so that the import
// runs it starts are recorded as started from the terminal rather than the API.
func AsTerminal() Option { return func(c *Client) { c.header = "terminal" } }

// New returns a client of the daemon at baseURL (e.g. "http://127.0.0.1:8080") that
// authenticates with token.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// do sends one request and decodes a 2xx answer's JSON into out (when out is not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	return c.call(ctx, method, "/api/v1"+path, query, in, out)
}

// call sends one request to a path of the daemon (from its root) and decodes a 2xx
// answer's JSON into out (when out is not nil).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	if c.header != "" {
		req.Header.Set("X-Kassa-Client", c.header)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("call kassa daemon: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read kassa daemon answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var eb ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			eb.Error = fmt.Sprintf("the kassa daemon answered %s", resp.Status)
		}
		return &Error{Status: resp.StatusCode, Message: eb.Error}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode kassa daemon answer: %w", err)
	}
	return nil
}

func seg(s string) string { return url.PathEscape(s) }

// Me returns the caller's token name and role.
func (c *Client) Me(ctx context.Context) (Me, error) {
	var out Me
	return out, c.do(ctx, http.MethodGet, "/me", nil, nil, &out)
}

// Outlets lists the outlets.
func (c *Client) Outlets(ctx context.Context) ([]Outlet, error) {
	var out []Outlet
	return out, c.do(ctx, http.MethodGet, "/outlets", nil, nil, &out)
}

// Registers lists the registers with their open sessions.
func (c *Client) Registers(ctx context.Context) ([]Register, error) {
	var out []Register
	return out, c.do(ctx, http.MethodGet, "/registers", nil, nil, &out)
}

// Register returns one register's status; ref is its id or name ("Front", "Gent/Front").
func (c *Client) Register(ctx context.Context, ref string) (Register, error) {
	var out Register
	return out, c.do(ctx, http.MethodGet, "/registers/"+seg(ref), nil, nil, &out)
}

// OpenRegister opens a session on the register.
func (c *Client) OpenRegister(ctx context.Context, ref string, req OpenRequest) (Register, error) {
	var out Register
	return out, c.do(ctx, http.MethodPost, "/registers/"+seg(ref)+"/open", nil, req, &out)
}

// CloseRegister closes the register's open session and returns its closing report.
func (c *Client) CloseRegister(ctx context.Context, ref string, req CloseRequest) (ClosingReport, error) {
	var out ClosingReport
	return out, c.do(ctx, http.MethodPost, "/registers/"+seg(ref)+"/close", nil, req, &out)
}

// Sessions lists a register's sessions, newest first, at most limit of them (the daemon's
// default when limit is 0); ref is its id or name ("Front", "Gent/Front").
func (c *Client) Sessions(ctx context.Context, ref string, limit int) ([]Session, error) {
	var v url.Values
	if limit > 0 {
		v = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	var out []Session
	return out, c.do(ctx, http.MethodGet, "/registers/"+seg(ref)+"/sessions", v, nil, &out)
}

// PaymentTypes lists the payment types a payment or a count at close may name.
func (c *Client) PaymentTypes(ctx context.Context) ([]PaymentType, error) {
	var out []PaymentType
	return out, c.do(ctx, http.MethodGet, "/payment-types", nil, nil, &out)
}

// Sales lists sales, newest first, without their lines and payments.
func (c *Client) Sales(ctx context.Context, q SalesQuery) ([]Sale, error) {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("outlet", q.Outlet)
	set("source", q.Source)
	set("from", q.From)
	set("to", q.To)
	set("search", q.Search)
	if q.AwaitingPayment {
		v.Set("awaiting_payment", "true")
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	var out []Sale
	return out, c.do(ctx, http.MethodGet, "/sales", v, nil, &out)
}

// Sale returns one sale with its lines and payments; outlet may be empty unless several
// outlets have this receipt number.
func (c *Client) Sale(ctx context.Context, receipt, outlet string) (Sale, error) {
	var v url.Values
	if outlet != "" {
		v = url.Values{"outlet": {outlet}}
	}
	var out Sale
	return out, c.do(ctx, http.MethodGet, "/sales/"+seg(receipt), v, nil, &out)
}

// ApplyPayment takes a payment for a sale's balance at a register with an open session.
func (c *Client) ApplyPayment(ctx context.Context, req PaymentRequest) (Payment, error) {
	var out Payment
	return out, c.do(ctx, http.MethodPost, "/payments", nil, req, &out)
}

// VoidPayment takes back a payment recorded in error, while the register session that
// took it is still open; the sale owes the amount again.
func (c *Client) VoidPayment(ctx context.Context, paymentID int64, req VoidRequest) (Void, error) {
	var out Void
	return out, c.do(ctx, http.MethodPost, "/payments/"+strconv.FormatInt(paymentID, 10)+"/void", nil, req, &out)
}

// StartImport starts an import run (Get all, Get new or retry failed) and returns it as
// soon as it is running; follow it with ImportRun.
func (c *Client) StartImport(ctx context.Context, req ImportRequest) (ImportRun, error) {
	var out ImportRun
	return out, c.do(ctx, http.MethodPost, "/imports", nil, req, &out)
}

// ImportRuns lists the recent import runs, newest first; shop may be empty for all.
func (c *Client) ImportRuns(ctx context.Context, shop string, limit int) ([]ImportRun, error) {
	v := url.Values{}
	if shop != "" {
		v.Set("shop", shop)
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out []ImportRun
	return out, c.do(ctx, http.MethodGet, "/imports", v, nil, &out)
}

// ImportRun returns one run with its progress.
func (c *Client) ImportRun(ctx context.Context, runID int64) (ImportRun, error) {
	var out ImportRun
	return out, c.do(ctx, http.MethodGet, "/imports/"+strconv.FormatInt(runID, 10), nil, nil, &out)
}

// ImportOutcomes lists what became of each order of a run; outcome ("failed", ...) may be
// empty for all.
func (c *Client) ImportOutcomes(ctx context.Context, runID int64, outcome string) ([]Outcome, error) {
	var v url.Values
	if outcome != "" {
		v = url.Values{"outcome": {outcome}}
	}
	var out []Outcome
	return out, c.do(ctx, http.MethodGet, "/imports/"+strconv.FormatInt(runID, 10)+"/outcomes", v, nil, &out)
}

// WaitImport polls a run every interval until it is no longer running, and returns it.
func (c *Client) WaitImport(ctx context.Context, runID int64, interval time.Duration) (ImportRun, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		run, err := c.ImportRun(ctx, runID)
		if err != nil || run.Status != "running" {
			return run, err
		}
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-t.C:
		}
	}
}

// ClosingReport returns a session's closing report (the X-report while it is open).
func (c *Client) ClosingReport(ctx context.Context, sessionID int64) (ClosingReport, error) {
	var out ClosingReport
	return out, c.do(ctx, http.MethodGet, "/reports/closing/"+strconv.FormatInt(sessionID, 10), nil, nil, &out)
}

// ClosingReportText returns a session's closing report as printable text (48 columns).
func (c *Client) ClosingReportText(ctx context.Context, sessionID int64) (string, error) {
	var out []byte
	err := c.do(ctx, http.MethodGet, "/reports/closing/"+strconv.FormatInt(sessionID, 10), url.Values{"format": {"text"}}, nil, &out)
	return string(out), err
}

// ClosingReportCSV returns a session's closing report as CSV.
func (c *Client) ClosingReportCSV(ctx context.Context, sessionID int64) ([]byte, error) {
	var out []byte
	err := c.do(ctx, http.MethodGet, "/reports/closing/"+strconv.FormatInt(sessionID, 10), url.Values{"format": {"csv"}}, nil, &out)
	return out, err
}

// NightlyReportCSV returns the stored nightly report of an outlet (empty: the only one)
// for a local date as CSV. Managers only.
func (c *Client) NightlyReportCSV(ctx context.Context, outlet, date string) ([]byte, error) {
	v := url.Values{"date": {date}, "format": {"csv"}}
	if outlet != "" {
		v.Set("outlet", outlet)
	}
	var out []byte
	err := c.do(ctx, http.MethodGet, "/reports/nightly", v, nil, &out)
	return out, err
}

// NightlyReport returns the stored nightly report of an outlet (empty: the only one) for a
// local date ("2026-11-24"). Managers only.
func (c *Client) NightlyReport(ctx context.Context, outlet, date string) (NightlyReport, error) {
	v := url.Values{"date": {date}}
	if outlet != "" {
		v.Set("outlet", outlet)
	}
	var out NightlyReport
	return out, c.do(ctx, http.MethodGet, "/reports/nightly", v, nil, &out)
}

// GenerateNightly generates (again) and stores an outlet's nightly report. Managers only.
func (c *Client) GenerateNightly(ctx context.Context, req NightlyRequest) (NightlyReport, error) {
	var out NightlyReport
	return out, c.do(ctx, http.MethodPost, "/reports/nightly", nil, req, &out)
}

// NightlyReportText returns the stored nightly report of an outlet (empty: the only one)
// for a local date as printable text (48 columns). Managers only.
func (c *Client) NightlyReportText(ctx context.Context, outlet, date string) (string, error) {
	v := url.Values{"date": {date}, "format": {"text"}}
	if outlet != "" {
		v.Set("outlet", outlet)
	}
	var out []byte
	err := c.do(ctx, http.MethodGet, "/reports/nightly", v, nil, &out)
	return string(out), err
}

// GenerateNightlyText generates (again) and stores an outlet's nightly report, and
// returns it as printable text (48 columns). Managers only.
func (c *Client) GenerateNightlyText(ctx context.Context, req NightlyRequest) (string, error) {
	var out []byte
	err := c.do(ctx, http.MethodPost, "/reports/nightly", url.Values{"format": {"text"}}, req, &out)
	return string(out), err
}

// Stock lists the stock levels of an outlet (empty: the only one).
func (c *Client) Stock(ctx context.Context, outlet string) ([]StockRow, error) {
	var v url.Values
	if outlet != "" {
		v = url.Values{"outlet": {outlet}}
	}
	var out []StockRow
	return out, c.do(ctx, http.MethodGet, "/stock", v, nil, &out)
}

// ExpiringOrder is an order whose import failed and that Shopify stops handing out at
// LeavesAt (60 days after CreatedAt): fix it and retry before then. AgeDays is its age in
// whole days.
type ExpiringOrder struct {
	Shop           string    `json:"shop"`
	ShopifyOrderID int64     `json:"shopify_order_id"`
	OrderName      string    `json:"order_name"`
	Reason         string    `json:"reason"`
	CreatedAt      time.Time `json:"created_at"`
	LeavesAt       time.Time `json:"leaves_at"`
	AgeDays        int       `json:"age_days"`
}

// ExpiringOrders lists the orders that failed to import and leave Shopify's 60-day window
// within 7 days, the soonest first; of one shop when shop is not empty.
func (c *Client) ExpiringOrders(ctx context.Context, shop string) ([]ExpiringOrder, error) {
	var v url.Values
	if shop != "" {
		v = url.Values{"shop": {shop}}
	}
	var out []ExpiringOrder
	return out, c.do(ctx, http.MethodGet, "/imports/expiring", v, nil, &out)
}

// Connections lists the Shopify connections. Managers only.
func (c *Client) Connections(ctx context.Context) ([]Connection, error) {
	var out []Connection
	return out, c.do(ctx, http.MethodGet, "/connections", nil, nil, &out)
}

// DisconnectShop stops imports for a shop (its history stays). Managers only.
func (c *Client) DisconnectShop(ctx context.Context, shop string) (Connection, error) {
	var out Connection
	return out, c.do(ctx, http.MethodPost, "/connections/"+seg(shop)+"/disconnect", nil, nil, &out)
}

// Readiness is the daemon's /readyz answer: the database's state and each enabled Shopify
// connection's health.
type Readiness struct {
	Status   string          `json:"status"`
	Warnings []string        `json:"warnings"`
	Shopify  []ShopifyHealth `json:"shopify"`
}

// ShopifyHealth is an enabled Shopify connection as /readyz shows it: how it authenticates,
// the API version kassa asks for and the one Shopify last answered in, when its access
// token expires (null: it does not), where its webhooks go ("polling" when nowhere), and
// when a call to Shopify last succeeded.
type ShopifyHealth struct {
	Shop             string     `json:"shop"`
	Auth             string     `json:"auth"`
	APIVersion       string     `json:"api_version"`
	ServedAPIVersion string     `json:"served_api_version"`
	TokenExpiresAt   *time.Time `json:"token_expires_at"`
	Webhooks         string     `json:"webhooks"`
	LastCallAt       *time.Time `json:"last_call_at"`
	// StockPush says whether the outlet's stock is pushed to Shopify ("on", or why not);
	// StockQueued products wait, the oldest change among them at StockOldest;
	// StockLastErr is the last push's error.
	StockPush    string     `json:"stock_push"`
	StockQueued  int        `json:"stock_queued"`
	StockOldest  *time.Time `json:"stock_oldest_unpushed"`
	StockLastErr string     `json:"stock_last_error"`
}

// Ready asks the daemon's /readyz; a daemon that is not ready is an *Error (503) with
// its reason.
func (c *Client) Ready(ctx context.Context) (Readiness, error) {
	var out Readiness
	return out, c.call(ctx, http.MethodGet, "/readyz", nil, nil, &out)
}

// Sell rings up a counter sale at the register (name, or OUTLET/NAME) and returns it with
// its lines, payments and change.
func (c *Client) Sell(ctx context.Context, register string, req SellRequest) (Sale, error) {
	var out Sale
	return out, c.do(ctx, http.MethodPost, "/registers/"+seg(register)+"/sales", nil, req, &out)
}

// ReturnSale takes a return of the sale with this receipt number at the request's register.
func (c *Client) ReturnSale(ctx context.Context, receipt string, req ReturnRequest) (Return, error) {
	var out Return
	return out, c.do(ctx, http.MethodPost, "/sales/"+seg(receipt)+"/returns", nil, req, &out)
}

// VoidSale voids a counter sale of the open session and returns it as it stands.
func (c *Client) VoidSale(ctx context.Context, receipt string, req SaleVoidRequest) (Sale, error) {
	var out Sale
	return out, c.do(ctx, http.MethodPost, "/sales/"+seg(receipt)+"/void", nil, req, &out)
}

// MoveCash pays cash into a register's drawer or takes it out, in its open session.
func (c *Client) MoveCash(ctx context.Context, register string, req CashRequest) (CashMovement, error) {
	var out CashMovement
	return out, c.do(ctx, http.MethodPost, "/registers/"+seg(register)+"/cash", nil, req, &out)
}

// Product finds the product of a barcode or SKU (any case).
func (c *Client) Product(ctx context.Context, code string) (Product, error) {
	var out Product
	return out, c.do(ctx, http.MethodGet, "/products/"+seg(code), nil, nil, &out)
}

// SearchProducts finds published products by barcode, SKU or part of their name.
func (c *Client) SearchProducts(ctx context.Context, text string, limit int) ([]Product, error) {
	v := url.Values{"q": {text}}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out []Product
	return out, c.do(ctx, http.MethodGet, "/products", v, nil, &out)
}

// ReceiptText returns the 48-column receipt of a sale or a return (FRONT-000123,
// #1001-R1).
func (c *Client) ReceiptText(ctx context.Context, receipt string) (string, error) {
	var out []byte
	err := c.do(ctx, http.MethodGet, "/receipts/"+seg(receipt), nil, nil, &out)
	return string(out), err
}

// Quote prices the lines of req (its payments are ignored) as the register would sell
// them, recording nothing.
func (c *Client) Quote(ctx context.Context, register string, req SellRequest) (Quote, error) {
	var out Quote
	return out, c.do(ctx, http.MethodPost, "/registers/"+seg(register)+"/quote", nil, req, &out)
}
