package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// api serves /api/v1.
type api struct {
	db *sqlx.DB
	// replica, when set, serves the reads that may be a moment behind (see onReplica).
	replica     *sqlx.DB
	replicaDown *refusalLog
	clock       func() time.Time
	log         zerolog.Logger
	metrics     *Metrics
	tokens      TokenStore
	runner      *runner
	maxBody     int64
}

// call is one authenticated API request.
type call struct {
	ctx context.Context
	w   http.ResponseWriter
	r   *http.Request
	tok Token
	api *api
}

func (c *call) decode(v any) error { return decodeBody(c.w, c.r, c.api.maxBody, v) }

// by is who does what the request asks: the name given, else the token's.
func (c *call) by(given string) string {
	if s := strings.TrimSpace(given); s != "" {
		return s
	}
	return c.tok.Name
}

// actor is who does what the request asks, as recorded: the staff member's name (given,
// else the token's) next to the token's id.
func (c *call) actor(given string) register.Actor {
	id := c.tok.ID
	return register.Actor{By: c.by(given), TokenID: &id}
}

type handler func(c *call) (reply, error)

// Route is one route of the API and the role it needs; the auth table test walks them.
type Route struct {
	Pattern string
	Role    Role
}

// routes registers every API route on mux and returns them.
func (a *api) routes(mux *http.ServeMux) []Route {
	var out []Route
	add := func(pattern string, role Role, h handler) {
		out = append(out, Route{Pattern: pattern, Role: role})
		mux.Handle(pattern, a.wrap(pattern, role, h))
	}
	add("GET /api/v1/me", RoleCashier, a.me)
	add("GET /api/v1/outlets", RoleCashier, a.outlets)
	add("GET /api/v1/registers", RoleCashier, a.registers)
	add("GET /api/v1/registers/{register}", RoleCashier, a.registerStatus)
	add("POST /api/v1/registers/{register}/open", RoleCashier, a.openRegister)
	add("POST /api/v1/registers/{register}/close", RoleCashier, a.closeRegister)
	add("GET /api/v1/registers/{register}/sessions", RoleCashier, a.registerSessions)
	add("GET /api/v1/payment-types", RoleCashier, a.paymentTypes)
	add("GET /api/v1/sales", RoleCashier, a.listSales)
	add("GET /api/v1/sales/{receipt}", RoleCashier, a.showSale)
	add("POST /api/v1/payments", RoleCashier, a.applyPayment)
	add("POST /api/v1/payments/{payment}/void", RoleCashier, a.voidPayment)
	add("POST /api/v1/registers/{register}/sales", RoleCashier, a.sell)
	add("POST /api/v1/registers/{register}/quote", RoleCashier, a.quote)
	add("POST /api/v1/registers/{register}/cash", RoleCashier, a.moveCash)
	add("POST /api/v1/sales/{receipt}/returns", RoleCashier, a.returnSale)
	add("POST /api/v1/sales/{receipt}/void", RoleCashier, a.voidSale)
	add("GET /api/v1/returns/{receipt}", RoleCashier, a.showReturn)
	add("GET /api/v1/receipts/{receipt}", RoleCashier, a.receipt)
	add("GET /api/v1/products", RoleCashier, a.searchProducts)
	add("GET /api/v1/products/{code}", RoleCashier, a.product)
	add("POST /api/v1/imports", RoleCashier, a.startImport)
	add("GET /api/v1/imports", RoleCashier, a.listImports)
	add("GET /api/v1/imports/expiring", RoleCashier, a.expiringImports)
	add("GET /api/v1/imports/{run}", RoleCashier, a.showImport)
	add("GET /api/v1/imports/{run}/outcomes", RoleCashier, a.importOutcomes)
	add("GET /api/v1/reports/closing/{session}", RoleCashier, a.closingReport)
	add("GET /api/v1/reports/nightly", RoleManager, a.nightlyReport)
	add("POST /api/v1/reports/nightly", RoleManager, a.generateNightly)
	add("GET /api/v1/stock", RoleCashier, a.stock)
	add("GET /api/v1/connections", RoleManager, a.connections)
	add("POST /api/v1/connections/{shop}/disconnect", RoleManager, a.disconnect)
	add("POST /api/v1/outlets/{outlet}/rename", RoleManager, a.renameOutlet)
	add("POST /api/v1/outlets/{outlet}/archive", RoleManager, a.archiveOutlet)
	add("POST /api/v1/registers/{register}/rename", RoleManager, a.renameRegister)
	add("POST /api/v1/registers/{register}/archive", RoleManager, a.archiveRegister)
	mux.Handle("/api/", a.wrap("unknown", RoleCashier, func(c *call) (reply, error) {
		if allowed := allowedMethods(mux, c.r); len(allowed) > 0 {
			c.w.Header().Set("Allow", strings.Join(allowed, ", "))
			return reply{}, &httpError{status: http.StatusMethodNotAllowed,
				msg: fmt.Sprintf("%s %s: this route takes %s", c.r.Method, c.r.URL.Path, strings.Join(allowed, " or "))}
		}
		return reply{}, notFound("no such API route: %s %s", c.r.Method, c.r.URL.Path)
	}))
	return out
}

// allowedMethods lists the methods some API route serves r's path with, when r's own
// method is not one of them.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "/api/" && m != r.Method {
			out = append(out, m)
		}
	}
	return out
}

// statusWriter remembers the status a handler wrote, for the metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written and passes it on.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// wrap authenticates the request, checks the role, runs h and writes its answer.
func (a *api) wrap(route string, role Role, h handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw}
		defer func() {
			a.metrics.apiRequests.WithLabelValues(route, strconv.Itoa(w.status)).Inc()
			a.metrics.apiDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}()
		tok, err := a.authenticate(r)
		if err != nil {
			st := statusOf(err)
			if errors.Is(err, ErrBadToken) || errors.Is(err, ErrTokenRevoked) || st == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="kassa"`)
				writeError(w, http.StatusUnauthorized, err.Error())
				return
			}
			a.log.Error().Err(err).Str("route", route).Msg("authenticate")
			writeError(w, http.StatusInternalServerError, "internal error: see the daemon's log")
			return
		}
		if !tok.Role.allows(role) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("this needs a %s token; %q is a %s token", role, tok.Name, tok.Role))
			return
		}
		c := &call{ctx: r.Context(), w: w, r: r, tok: tok, api: a}
		out, err := h(c)
		if err != nil {
			st := statusOf(err)
			if st >= 500 {
				a.log.Error().Err(err).Str("route", route).Str("token", tok.Name).Msg("api request failed")
				writeError(w, st, "internal error: see the daemon's log")
				return
			}
			writeError(w, st, err.Error())
			return
		}
		if out.body != nil {
			w.Header().Set("Content-Type", out.contentType)
			w.WriteHeader(out.status)
			_, _ = w.Write(out.body)
			return
		}
		writeJSON(w, out.status, out.value)
	})
}

func (a *api) authenticate(r *http.Request) (Token, error) {
	h := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(h, " ")
	if h == "" {
		return Token{}, &httpError{status: http.StatusUnauthorized, msg: "this needs a bearer token: create one with 'kassa token create'"}
	}
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return Token{}, &httpError{status: http.StatusUnauthorized, msg: "the Authorization header must be 'Bearer TOKEN'"}
	}
	return a.tokens.Authenticate(r.Context(), a.db, strings.TrimSpace(token))
}

func (a *api) me(c *call) (reply, error) {
	return jsonReply(http.StatusOK, client.Me{Name: c.tok.Name, Role: string(c.tok.Role)}), nil
}

func (a *api) outlets(c *call) (reply, error) {
	list, err := inventory.Store{}.Outlets(c.ctx, a.db)
	if err != nil {
		return reply{}, err
	}
	out := make([]client.Outlet, 0, len(list))
	for _, o := range list {
		out = append(out, client.Outlet{ID: o.ID, Name: o.Name, Timezone: o.Timezone, Currency: o.Currency})
	}
	return jsonReply(http.StatusOK, out), nil
}

// findOutlet resolves an outlet name, live or archived; an empty name means the only
// live outlet there is (inventory.FindOutlet). It only words the refusals for the API.
func (a *api) findOutlet(ctx context.Context, name string) (inventory.Outlet, error) {
	o, err := inventory.Store{}.FindOutlet(ctx, a.db, name)
	switch {
	case errors.Is(err, inventory.ErrNoOutlet):
		return o, notFound("%s", err)
	case errors.Is(err, inventory.ErrOutletNotNamed):
		return o, badRequest("%s with outlet=NAME", err)
	}
	return o, err
}

// findRegister resolves a register by id or name ("Front", "Gent/Front").
func (a *api) findRegister(ctx context.Context, ref string) (register.Register, error) {
	st := register.Store{Clock: a.clock}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return st.Get(ctx, a.db, id)
	}
	return st.Find(ctx, a.db, ref)
}

// locations caches the outlets' time zones for one request.
type locations struct {
	a     *api
	ctx   context.Context
	cache map[int64]*time.Location
}

func (l *locations) of(outletID int64) *time.Location {
	if loc, ok := l.cache[outletID]; ok {
		return loc
	}
	loc := time.UTC
	if o, err := (inventory.Store{}).Outlet(l.ctx, l.a.db, outletID); err == nil {
		if ol, err := o.Location(); err == nil {
			loc = ol
		}
	}
	if l.cache == nil {
		l.cache = map[int64]*time.Location{}
	}
	l.cache[outletID] = loc
	return loc
}

func (a *api) registerView(ctx context.Context, locs *locations, r register.Register) (client.Register, error) {
	out := client.Register{ID: r.ID, Name: r.Name, Outlet: r.OutletName, Archived: r.Archived()}
	sess, err := register.Store{Clock: a.clock}.CurrentSession(ctx, a.db, r.ID)
	if errors.Is(err, register.ErrNoOpenSession) {
		return out, nil
	}
	if err != nil {
		return client.Register{}, err
	}
	out.Open = true
	v := sessionView(sess, locs.of(r.OutletID))
	out.Session = &v
	return out, nil
}

// sessionView is a session as the API shows it, its times in the outlet's zone.
func sessionView(s register.Session, loc *time.Location) client.Session {
	out := client.Session{
		ID: s.ID, OpenedAt: s.OpenedAt.In(loc).Format(time.RFC3339), OpenedBy: s.OpenedBy,
		OpeningFloat: money.String(s.OpeningFloat), ClosedBy: s.ClosedBy, ZNumber: s.ZNumber,
	}
	if s.ClosedAt != nil {
		at := s.ClosedAt.In(loc).Format(time.RFC3339)
		out.ClosedAt = &at
	}
	return out
}

func (a *api) registers(c *call) (reply, error) {
	list, err := register.Store{Clock: a.clock}.List(c.ctx, a.db, 0)
	if err != nil {
		return reply{}, err
	}
	locs := &locations{a: a, ctx: c.ctx}
	out := make([]client.Register, 0, len(list))
	for _, r := range list {
		v, err := a.registerView(c.ctx, locs, r)
		if err != nil {
			return reply{}, err
		}
		out = append(out, v)
	}
	return jsonReply(http.StatusOK, out), nil
}

func (a *api) registerStatus(c *call) (reply, error) {
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	v, err := a.registerView(c.ctx, &locations{a: a, ctx: c.ctx}, r)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, v), nil
}

func (a *api) registerSessions(c *call) (reply, error) {
	limit := 20
	if s := c.r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return reply{}, badRequest("limit must be a number from 1 to 500, not %q", s)
		}
		limit = n
	}
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	list, err := register.Store{Clock: a.clock}.Sessions(c.ctx, a.db, r.ID, limit)
	if err != nil {
		return reply{}, err
	}
	loc := (&locations{a: a, ctx: c.ctx}).of(r.OutletID)
	out := make([]client.Session, 0, len(list))
	for _, s := range list {
		out = append(out, sessionView(s, loc))
	}
	return jsonReply(http.StatusOK, out), nil
}

func (a *api) paymentTypes(c *call) (reply, error) {
	list, err := sales.Store{}.PaymentTypes(c.ctx, a.db)
	if err != nil {
		return reply{}, err
	}
	out := make([]client.PaymentType, 0, len(list))
	for _, t := range list {
		out = append(out, client.PaymentType{Name: t.Name, Counted: t.Counted})
	}
	return jsonReply(http.StatusOK, out), nil
}

func (a *api) openRegister(c *call) (reply, error) {
	var req client.OpenRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	float, err := money.Parse(strings.TrimSpace(req.OpeningFloat))
	if err != nil {
		return reply{}, badRequest("opening_float: %s", err)
	}
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	if _, err := (register.Store{Clock: a.clock}).OpenSessionAs(c.ctx, a.db, r.ID, float, c.actor(req.By)); err != nil {
		return reply{}, fmt.Errorf("register %q: %w", r.Name, err)
	}
	v, err := a.registerView(c.ctx, &locations{a: a, ctx: c.ctx}, r)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusCreated, v), nil
}

func (a *api) closeRegister(c *call) (reply, error) {
	var req client.CloseRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	counts := make([]register.Count, 0, len(req.Counts))
	for _, in := range req.Counts {
		pt, err := sales.Store{}.PaymentTypeByName(c.ctx, a.db, in.Type)
		if errors.Is(err, sales.ErrUnknownPaymentType) || errors.Is(err, sales.ErrNotFound) {
			return reply{}, badRequest("counts: unknown payment type %q", in.Type)
		}
		if err != nil {
			return reply{}, err
		}
		amount, err := money.Parse(strings.TrimSpace(in.Counted))
		if err != nil {
			return reply{}, badRequest("counts: %s: %s", in.Type, err)
		}
		for _, prev := range counts {
			if prev.PaymentTypeID == pt.ID {
				return reply{}, &httpError{status: http.StatusUnprocessableEntity,
					msg: fmt.Sprintf("counts: %s is counted twice: give each payment type once", pt.Name)}
			}
		}
		counts = append(counts, register.Count{PaymentTypeID: pt.ID, Counted: amount})
	}
	rep, err := register.Service{Clock: a.clock}.CloseAs(c.ctx, a.db, r.ID, counts, c.actor(req.By))
	if err != nil {
		return reply{}, fmt.Errorf("register %q: %w", r.Name, err)
	}
	return jsonReply(http.StatusOK, closingView(rep)), nil
}

func (a *api) listSales(c *call) (reply, error) {
	q := c.r.URL.Query()
	var f sales.Filter
	loc := time.UTC
	if name := q.Get("outlet"); name != "" {
		o, err := inventory.Store{}.OutletByName(c.ctx, a.db, name)
		if err != nil {
			return reply{}, err
		}
		f.OutletID = o.ID
		if loc, err = o.Location(); err != nil {
			return reply{}, err
		}
	} else if o, err := a.findOutlet(c.ctx, ""); err == nil {
		loc, _ = o.Location()
	}
	var err error
	if s := q.Get("from"); s != "" {
		if f.From, err = sales.ParseDayOrTime(s, loc, false); err != nil {
			return reply{}, badRequest("from: %s", err)
		}
	}
	if s := q.Get("to"); s != "" {
		if f.To, err = sales.ParseDayOrTime(s, loc, true); err != nil {
			return reply{}, badRequest("to: %s", err)
		}
	}
	switch s := q.Get("source"); s {
	case "", sales.SourcePOS, sales.SourceShopify:
		f.Source = s
	default:
		return reply{}, badRequest("source must be pos or shopify, not %q", s)
	}
	if s := q.Get("awaiting_payment"); s != "" {
		if f.AwaitingPayment, err = strconv.ParseBool(s); err != nil {
			return reply{}, badRequest("awaiting_payment must be true or false, not %q", s)
		}
	}
	f.Search = q.Get("search")
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 1 || f.Limit > 500 {
			return reply{}, badRequest("limit must be a number from 1 to 500, not %q", s)
		}
	}
	if s := q.Get("offset"); s != "" {
		if f.Offset, err = strconv.Atoi(s); err != nil || f.Offset < 0 {
			return reply{}, badRequest("offset must be a whole number, 0 or more, not %q", s)
		}
	}
	var list []sales.Sale
	err = a.onReplica(c.ctx, func(q *sqlx.DB) error {
		var err error
		list, err = sales.Store{}.List(c.ctx, q, f)
		if err == nil {
			err = register.Store{}.NameSales(c.ctx, q, list)
		}
		return err
	})
	if err != nil {
		return reply{}, err
	}
	out := make([]client.Sale, 0, len(list))
	for _, s := range list {
		out = append(out, saleView(s.View(false)))
	}
	return jsonReply(http.StatusOK, out), nil
}

func (a *api) showSale(c *call) (reply, error) {
	var outletID int64
	if name := c.r.URL.Query().Get("outlet"); name != "" {
		o, err := inventory.Store{}.OutletByName(c.ctx, a.db, name)
		if err != nil {
			return reply{}, err
		}
		outletID = o.ID
	}
	s, err := sales.Store{}.SaleByReceipt(c.ctx, a.db, outletID, c.r.PathValue("receipt"))
	if err == nil {
		err = register.Store{}.NameSale(c.ctx, a.db, &s)
	}
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, saleView(s.View(true))), nil
}

func (a *api) applyPayment(c *call) (reply, error) {
	var req client.PaymentRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	if strings.TrimSpace(req.Register) == "" || (strings.TrimSpace(req.Receipt) == "" && req.SaleID == 0) || strings.TrimSpace(req.PaymentType) == "" {
		return reply{}, badRequest("a payment needs register, receipt (or sale_id) and payment_type")
	}
	var at time.Time
	if req.PaidAt != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, req.PaidAt); err != nil {
			return reply{}, badRequest("paid_at must be an RFC 3339 time, e.g. 2026-11-24T14:05:00+01:00")
		}
	}
	r, err := a.findRegister(c.ctx, req.Register)
	if err != nil {
		return reply{}, err
	}
	who := c.actor(req.By)
	p, err := register.Service{Clock: a.clock}.ApplyPayment(c.ctx, a.db, register.PaymentRequest{
		RegisterID: r.ID, Receipt: req.Receipt, SaleID: req.SaleID, PaymentType: req.PaymentType, Amount: strings.TrimSpace(req.Amount),
		At: at, By: who.By, TokenID: who.TokenID,
	})
	if err != nil {
		return reply{}, err
	}
	token := c.tok.Name
	return jsonReply(http.StatusCreated, client.Payment{
		PaymentID: p.PaymentID, SessionID: p.SessionID, Receipt: p.Receipt, Register: p.Register, Type: p.PaymentType,
		Amount: money.String(p.Amount), PaidAt: p.PaidAt.Format(time.RFC3339),
		BalanceBefore: money.String(p.BalanceBefore), Balance: money.String(p.Balance), Status: p.Status,
		SaleTotal: money.String(p.SaleTotal), RecordedBy: p.RecordedBy, Token: &token,
	}), nil
}

func (a *api) voidPayment(c *call) (reply, error) {
	id, err := pathID(c, "payment")
	if err != nil {
		return reply{}, err
	}
	var req client.VoidRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	who := c.actor(req.By)
	v, err := register.Service{Clock: a.clock}.VoidPayment(c.ctx, a.db, register.VoidRequest{
		PaymentID: id, Receipt: req.Receipt, Reason: req.Reason, By: who.By, TokenID: who.TokenID,
	})
	if err != nil {
		return reply{}, err
	}
	token := c.tok.Name
	return jsonReply(http.StatusCreated, client.Void{
		VoidID: v.VoidID, PaymentID: v.PaymentID, SessionID: v.SessionID, Receipt: v.Receipt, Register: v.Register,
		Type: v.PaymentType, Amount: money.String(v.Amount), PaidAt: v.PaidAt.Format(time.RFC3339),
		VoidedAt: v.VoidedAt.Format(time.RFC3339), Reason: v.Reason, RecordedBy: v.RecordedBy, Token: &token,
		BalanceBefore: money.String(v.BalanceBefore), Balance: money.String(v.Balance), Status: v.Status,
		SaleTotal: money.String(v.SaleTotal),
	}), nil
}

func (a *api) startImport(c *call) (reply, error) {
	var req client.ImportRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	mode := shopify.Mode(req.Mode)
	switch mode {
	case shopify.ModeAll, shopify.ModeNew, shopify.ModeRetry:
	default:
		return reply{}, badRequest("mode must be all, new or retry, not %q", req.Mode)
	}
	conn, err := shopify.ConnectionStore{}.Find(c.ctx, a.db, req.Shop)
	if err != nil {
		return reply{}, err
	}
	trigger := shopify.TriggerAPI
	if c.r.Header.Get("X-Kassa-Client") == "terminal" {
		trigger = shopify.TriggerTerminal
	}
	runID, err := a.runner.start(c.ctx, conn, mode, trigger)
	if err != nil {
		return reply{}, err
	}
	run, err := importRunByID(c.ctx, a.db, runID)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusAccepted, run), nil
}

// expiringImports lists the orders that failed to import and leave Shopify's 60-day
// window within 7 days, the soonest first (of one shop with ?shop=).
func (a *api) expiringImports(c *call) (reply, error) {
	var connID int64
	if shop := c.r.URL.Query().Get("shop"); shop != "" {
		conn, err := shopify.ConnectionStore{}.ByShop(c.ctx, a.db, shop)
		if err != nil {
			return reply{}, err
		}
		connID = conn.ID
	}
	list, err := shopify.RunLog{}.ExpiringFailures(c.ctx, a.db, connID, a.clock())
	if err != nil {
		return reply{}, err
	}
	out := make([]client.ExpiringOrder, 0, len(list))
	for _, e := range list {
		out = append(out, client.ExpiringOrder{Shop: e.Shop, ShopifyOrderID: e.OrderID, OrderName: e.OrderName, Reason: e.Reason,
			CreatedAt: e.CreatedAt, LeavesAt: e.LeavesAt, AgeDays: e.AgeDays})
	}
	return jsonReply(http.StatusOK, out), nil
}

func (a *api) listImports(c *call) (reply, error) {
	q := c.r.URL.Query()
	var connID int64
	if shop := q.Get("shop"); shop != "" {
		conn, err := shopify.ConnectionStore{}.ByShop(c.ctx, a.db, shop)
		if err != nil {
			return reply{}, err
		}
		connID = conn.ID
	}
	limit := 20
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return reply{}, badRequest("limit must be a number from 1 to 500, not %q", s)
		}
		limit = n
	}
	runs, err := recentImportRuns(c.ctx, a.db, connID, limit)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, runs), nil
}

func pathID(c *call, name string) (int64, error) {
	s := c.r.PathValue(name)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("%s must be a number, not %q", name, s)
	}
	return id, nil
}

func (a *api) showImport(c *call) (reply, error) {
	id, err := pathID(c, "run")
	if err != nil {
		return reply{}, err
	}
	run, err := importRunByID(c.ctx, a.db, id)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, run), nil
}

func (a *api) importOutcomes(c *call) (reply, error) {
	id, err := pathID(c, "run")
	if err != nil {
		return reply{}, err
	}
	if _, err := importRunByID(c.ctx, a.db, id); err != nil {
		return reply{}, err
	}
	outcome := c.r.URL.Query().Get("outcome")
	switch shopify.Outcome(outcome) {
	case "", shopify.Imported, shopify.AlreadyImported, shopify.TooOld, shopify.NoShippingMethod,
		shopify.TestOrder, shopify.Cancelled, shopify.Failed, shopify.Updated, shopify.NeedsReview:
	default:
		return reply{}, badRequest("unknown outcome %q", outcome)
	}
	out, err := runOutcomes(c.ctx, a.db, id, outcome)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, out), nil
}

// checkFormat refuses a ?format= that formatted would not answer in; a route that writes
// checks it before it writes.
func checkFormat(c *call) error {
	switch f := c.r.URL.Query().Get("format"); f {
	case "", register.FormatJSON, register.FormatText, register.FormatCSV:
		return nil
	default:
		return badRequest("format must be json, text or csv, not %q", f)
	}
}

// formatted answers a report as JSON, text (48 columns) or CSV, as ?format= asks.
func formatted(c *call, v any, text, csv func(*bytes.Buffer) error) (reply, error) {
	if err := checkFormat(c); err != nil {
		return reply{}, err
	}
	var buf bytes.Buffer
	switch c.r.URL.Query().Get("format") {
	case register.FormatText:
		if err := text(&buf); err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusOK, contentType: "text/plain; charset=utf-8", body: buf.Bytes()}, nil
	case register.FormatCSV:
		if err := csv(&buf); err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusOK, contentType: "text/csv; charset=utf-8", body: buf.Bytes()}, nil
	default:
		return jsonReply(http.StatusOK, v), nil
	}
}

func (a *api) closingReport(c *call) (reply, error) {
	id, err := pathID(c, "session")
	if err != nil {
		return reply{}, err
	}
	var rep register.ClosingReport
	err = a.onReplica(c.ctx, func(q *sqlx.DB) error {
		var err error
		rep, err = register.Service{Clock: a.clock}.ClosingReport(c.ctx, q, id)
		return err
	})
	if errors.Is(err, register.ErrNotFound) {
		return reply{}, notFound("there is no register session %d", id)
	}
	if err != nil {
		return reply{}, err
	}
	return formatted(c, closingView(rep),
		func(b *bytes.Buffer) error { return rep.WriteText(b) },
		func(b *bytes.Buffer) error { return rep.WriteCSV(b) })
}

func parseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, badRequest("date must be a calendar date such as 2026-11-24, not %q", s)
	}
	return d, nil
}

func (a *api) nightlyReport(c *call) (reply, error) {
	q := c.r.URL.Query()
	day, err := parseDate(q.Get("date"))
	if err != nil {
		return reply{}, err
	}
	o, err := a.findOutlet(c.ctx, q.Get("outlet"))
	if err != nil {
		return reply{}, err
	}
	var rep register.NightlyReport
	err = a.onReplica(c.ctx, func(q *sqlx.DB) error {
		var err error
		rep, err = register.Service{Clock: a.clock}.StoredNightly(c.ctx, q, o.ID, day)
		return err
	})
	if errors.Is(err, register.ErrNotFound) {
		return reply{}, notFound("there is no nightly report of %s for %s yet: generate it with POST /api/v1/reports/nightly", o.Name, day.Format(time.DateOnly))
	}
	if err != nil {
		return reply{}, err
	}
	return formatted(c, nightlyView(rep),
		func(b *bytes.Buffer) error { return rep.WriteText(b) },
		func(b *bytes.Buffer) error { return rep.WriteCSV(b) })
}

func (a *api) generateNightly(c *call) (reply, error) {
	var req client.NightlyRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	if err := checkFormat(c); err != nil {
		return reply{}, err
	}
	day, err := parseDate(req.Date)
	if err != nil {
		return reply{}, err
	}
	o, err := a.findOutlet(c.ctx, req.Outlet)
	if err != nil {
		return reply{}, err
	}
	rep, err := register.Service{Clock: a.clock, ImportLog: shopify.RunLog{}}.GenerateNightly(c.ctx, a.db, o.ID, day)
	if err != nil {
		return reply{}, err
	}
	return formatted(c, nightlyView(rep),
		func(b *bytes.Buffer) error { return rep.WriteText(b) },
		func(b *bytes.Buffer) error { return rep.WriteCSV(b) })
}

func (a *api) stock(c *call) (reply, error) {
	o, err := a.findOutlet(c.ctx, c.r.URL.Query().Get("outlet"))
	if err != nil {
		return reply{}, err
	}
	rows, err := inventory.Store{}.StockLevels(c.ctx, a.db, o.ID)
	if err != nil {
		return reply{}, err
	}
	out := make([]client.StockRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, stockView(r))
	}
	return jsonReply(http.StatusOK, out), nil
}

func connectionView(cn shopify.Connection) client.Connection {
	return client.Connection{
		ID: cn.ID, Shop: cn.Shop, Outlet: cn.OutletName, Register: cn.RegisterName, Enabled: cn.Enabled,
		AutoUpdate: cn.AutoUpdate, PollSeconds: cn.PollSeconds, NewestOrderID: cn.NewestOrderID,
	}
}

func (a *api) connections(c *call) (reply, error) {
	list, err := shopify.ConnectionStore{}.List(c.ctx, a.db)
	if err != nil {
		return reply{}, err
	}
	out := make([]client.Connection, 0, len(list))
	for _, cn := range list {
		out = append(out, connectionView(cn))
	}
	return jsonReply(http.StatusOK, out), nil
}

func (a *api) disconnect(c *call) (reply, error) {
	st := shopify.ConnectionStore{}
	cn, err := st.ByShop(c.ctx, a.db, c.r.PathValue("shop"))
	if err != nil {
		return reply{}, err
	}
	if err := st.Disconnect(c.ctx, a.db, cn.ID); err != nil {
		return reply{}, err
	}
	cn.Enabled = false
	return jsonReply(http.StatusOK, connectionView(cn)), nil
}
