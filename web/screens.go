package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/web/i18n"
)

func (s *server) routes() {
	m := http.NewServeMux()
	m.Handle("GET /static/", s.static)
	m.HandleFunc("GET /palette.css", servePalette)
	m.HandleFunc("GET /signin", s.signinPage)
	m.HandleFunc("POST /signin", s.signin)
	m.HandleFunc("GET /lang/{lang}", s.switchLanguage)
	m.Handle("POST /signout", s.signedIn(s.signout))
	m.Handle("GET /{$}", s.signedIn(func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, "/register", http.StatusSeeOther)
	}))
	m.Handle("GET /register", s.signedIn(s.registerPage))
	m.Handle("POST /register/choose", s.signedIn(s.chooseRegister))
	m.Handle("POST /register/open", s.signedIn(s.openRegister))
	m.Handle("POST /register/difference", s.signedIn(s.closeDifference))
	m.Handle("POST /register/close", s.signedIn(s.closeRegister))
	m.Handle("GET /sell", s.signedIn(s.sellPage))
	m.Handle("POST /sell/cart", s.signedIn(s.cart))
	m.Handle("POST /sell", s.signedIn(s.sell))
	m.Handle("GET /sell/done", s.signedIn(s.sold))
	m.Handle("POST /sales/return", s.signedIn(s.returnSale))
	m.Handle("GET /sales", s.signedIn(s.salesPage))
	m.Handle("GET /sales/detail", s.signedIn(s.saleDetail))
	m.Handle("POST /sales/pay", s.signedIn(s.pay))
	m.Handle("GET /shopify", s.signedIn(s.shopifyPage))
	m.Handle("POST /shopify/import", s.signedIn(s.startImport))
	m.Handle("GET /shopify/runs/{run}", s.signedIn(s.runPage))
	m.Handle("GET /shopify/runs/{run}/events", s.signedIn(s.runEvents))
	m.Handle("GET /reports", s.signedIn(s.reportsPage))
	m.Handle("GET /reports/closing/{session}", s.signedIn(s.closingPage))
	m.Handle("GET /reports/closing/{session}/print", s.signedIn(s.closingPrint))
	m.Handle("GET /reports/closing/{session}/csv", s.signedIn(s.closingCSV))
	m.Handle("GET /reports/nightly", s.signedIn(s.nightlyPage))
	m.Handle("POST /reports/nightly", s.signedIn(s.generateNightly))
	m.Handle("GET /reports/nightly/csv", s.signedIn(s.nightlyCSV))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusNotFound, "refused", page{Title: "refused.title", ProblemKey: "refused.notfound", Data: http.StatusNotFound})
	})
	s.mux = m
}

// --- sign-in, sign-out, language ---

func (s *server) signinPage(w http.ResponseWriter, r *http.Request) {
	s.signinForm(w, r, http.StatusOK, "", "")
}

func (s *server) signinForm(w http.ResponseWriter, r *http.Request, status int, problem, problemKey string) {
	csrf := randomToken()
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: csrf, Path: "/signin", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	if problemKey == "" && r.URL.Query().Get("expired") != "" {
		problemKey = "signin.expired"
	}
	p := page{Title: "signin.title", Problem: problem, ProblemKey: problemKey}
	p.Session = nil
	s.fill(r, &p)
	p.CSRF = csrf
	s.renderFilled(w, status, "signin", p)
}

// renderFilled writes a page whose common fields are set already.
func (s *server) renderFilled(w http.ResponseWriter, status int, name string, p page) {
	var b strings.Builder
	if err := s.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		s.cfg.Logger.Error().Err(err).Str("page", name).Msg("render page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func (s *server) signin(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(signinCookie)
	if err != nil || !sameToken(r.PostFormValue(csrfField), c.Value) {
		s.render(w, r, http.StatusForbidden, "refused", page{Title: "refused.title", ProblemKey: "refused.csrf", Data: http.StatusForbidden})
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		s.signinForm(w, r, http.StatusBadRequest, "", "signin.empty")
		return
	}
	api := s.client(token)
	me, err := api.Me(r.Context())
	if err != nil {
		if st := client.StatusOf(err); st == http.StatusUnauthorized || st == http.StatusForbidden {
			s.signinForm(w, r, http.StatusUnauthorized, err.Error(), "")
			return
		}
		s.fail(w, r, err)
		return
	}
	sess := &session{Token: token, Name: me.Name, Role: me.Role, CSRF: randomToken(), Expires: s.cfg.Clock().Add(s.cfg.SessionTTL)}
	if regs, err := api.Registers(r.Context()); err == nil && len(regs) == 1 {
		sess.Register = strconv.FormatInt(regs[0].ID, 10)
	}
	if err := s.writeSession(w, r, sess); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: "", Path: "/signin", MaxAge: -1})
	http.Redirect(w, r, "/register", http.StatusSeeOther)
}

func (s *server) signout(w http.ResponseWriter, r *http.Request, _ *session) {
	s.signOutCookie(w, r)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (s *server) switchLanguage(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Match(r.PathValue("lang"))
	if lang == "" {
		lang = i18n.Default
	}
	http.SetCookie(w, &http.Cookie{Name: "kassa_lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	back := r.URL.Query().Get("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.HasPrefix(back, "/\\") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// --- register ---

// registerData is the Register screen.
type registerData struct {
	Registers []client.Register
	Register  *client.Register
	// XReport is the open session's running figures.
	XReport *client.ClosingReport
	// Counted are the rows staff count at close: the counted payment types with what the
	// daemon expects of each.
	Counted []countRow
}

type countRow struct {
	Type, Expected, Counted, Difference string
	// Bad is set when Counted is not an amount.
	Bad bool
}

func (s *server) registerPage(w http.ResponseWriter, r *http.Request, sess *session) {
	d, err := s.registerData(r.Context(), sess)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "register", page{Title: "register.title", Nav: "register", Data: d})
}

func (s *server) registerData(ctx context.Context, sess *session) (registerData, error) {
	api := s.client(sess.Token)
	var d registerData
	regs, err := api.Registers(ctx)
	if err != nil {
		return d, err
	}
	d.Registers = regs
	if sess.Register == "" {
		return d, nil
	}
	reg, err := api.Register(ctx, sess.Register)
	if err != nil {
		return d, err
	}
	d.Register = &reg
	if !reg.Open || reg.Session == nil {
		return d, nil
	}
	x, err := api.ClosingReport(ctx, reg.Session.ID)
	if err != nil {
		return d, err
	}
	d.XReport = &x
	types, err := api.PaymentTypes(ctx)
	if err != nil {
		return d, err
	}
	for _, t := range types {
		if !t.Counted {
			continue
		}
		row := countRow{Type: t.Name, Expected: "0.00"}
		for _, f := range x.Payments {
			if f.Type == t.Name {
				row.Expected = f.Expected
			}
		}
		d.Counted = append(d.Counted, row)
	}
	return d, nil
}

func (s *server) chooseRegister(w http.ResponseWriter, r *http.Request, sess *session) {
	reg, err := s.client(sess.Token).Register(r.Context(), r.PostFormValue("register"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sess.Register = strconv.FormatInt(reg.ID, 10)
	if err := s.writeSession(w, r, sess); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/register", "")
}

func (s *server) openRegister(w http.ResponseWriter, r *http.Request, sess *session) {
	ref := r.PostFormValue("register")
	_, err := s.client(sess.Token).OpenRegister(r.Context(), ref, client.OpenRequest{OpeningFloat: r.PostFormValue("float"), By: sess.Name})
	if err != nil {
		s.refuseOn(w, r, sess, "register", err)
		return
	}
	seeOther(w, r, "/register", "opened")
}

// refuseOn shows the screen again with the daemon's refusal of what was asked on it.
func (s *server) refuseOn(w http.ResponseWriter, r *http.Request, sess *session, screen string, refusal error) {
	st := client.StatusOf(refusal)
	if st == 0 || st >= 500 || st == http.StatusUnauthorized || st == http.StatusForbidden {
		s.fail(w, r, refusal)
		return
	}
	switch screen {
	case "register":
		d, err := s.registerData(r.Context(), sess)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, st, "register", page{Title: "register.title", Nav: "register", Problem: refusal.Error(), Data: d})
	default:
		s.render(w, r, st, "refused", page{Title: "refused.title", Problem: refusal.Error(), Data: st})
	}
}

// countRows reads the counts posted (type[i], counted[i]) against the expected figures of
// the register's open session, which must be the session the form named.
func (s *server) countRows(ctx context.Context, r *http.Request, sess *session) (registerData, []countRow, bool, error) {
	d, err := s.registerData(ctx, sess)
	if err != nil {
		return d, nil, false, err
	}
	if d.Register == nil || d.Register.Session == nil || strconv.FormatInt(d.Register.Session.ID, 10) != r.PostFormValue("session") {
		return d, nil, false, errStaleSession
	}
	counted := map[string]string{}
	types, amounts := r.PostForm["type"], r.PostForm["counted"]
	for i := range types {
		if i < len(amounts) {
			counted[types[i]] = strings.TrimSpace(amounts[i])
		}
	}
	ok := true
	rows := make([]countRow, 0, len(d.Counted))
	for _, row := range d.Counted {
		row.Counted = counted[row.Type]
		if row.Counted != "" {
			c, err1 := decimal.NewFromString(row.Counted)
			e, err2 := decimal.NewFromString(row.Expected)
			if err1 != nil || err2 != nil || c.Exponent() < -2 {
				row.Bad, ok = true, false
			} else {
				row.Difference = c.Sub(e).StringFixed(2)
			}
		} else {
			ok = false
		}
		rows = append(rows, row)
	}
	return d, rows, ok, nil
}

var errStaleSession = errors.New("stale session")

// closeDifference answers the live expected / counted / difference rows as staff type.
func (s *server) closeDifference(w http.ResponseWriter, r *http.Request, sess *session) {
	_, rows, _, err := s.countRows(r.Context(), r, sess)
	if errors.Is(err, errStaleSession) {
		w.WriteHeader(http.StatusConflict)
		_ = s.fragment(w, r, "register", "stale", page{})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.fragment(w, r, "register", "differences", page{Data: rows}); err != nil {
		s.cfg.Logger.Error().Err(err).Msg("render differences")
	}
}

// closeConfirm is the confirmation step of a close.
type closeConfirm struct {
	Register *client.Register
	Rows     []countRow
}

// closeRegister shows the counts for confirmation, then (confirm=yes) closes the session
// the form named, and shows its closing report.
func (s *server) closeRegister(w http.ResponseWriter, r *http.Request, sess *session) {
	d, rows, ok, err := s.countRows(r.Context(), r, sess)
	if errors.Is(err, errStaleSession) {
		s.render(w, r, http.StatusConflict, "register", page{Title: "register.title", Nav: "register", ProblemKey: "register.stale", Data: d})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		d.Counted = rows
		s.render(w, r, http.StatusUnprocessableEntity, "register", page{Title: "register.title", Nav: "register", ProblemKey: "register.countall", Data: d})
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.render(w, r, http.StatusOK, "close_confirm", page{Title: "close.title", Nav: "register", Data: closeConfirm{Register: d.Register, Rows: rows}})
		return
	}
	req := client.CloseRequest{By: sess.Name}
	for _, row := range rows {
		req.Counts = append(req.Counts, client.CountInput{Type: row.Type, Counted: row.Counted})
	}
	rep, err := s.client(sess.Token).CloseRegister(r.Context(), sess.Register, req)
	if err != nil {
		s.refuseOn(w, r, sess, "register", err)
		return
	}
	seeOther(w, r, "/reports/closing/"+strconv.FormatInt(rep.SessionID, 10), "closed")
}

// --- sales ---

type salesData struct {
	Query client.SalesQuery
	Sales []client.Sale
	// Source and Awaiting echo the filters.
	Source   string
	Awaiting bool
}

func (s *server) salesPage(w http.ResponseWriter, r *http.Request, sess *session) {
	q := r.URL.Query()
	d := salesData{Source: q.Get("source"), Awaiting: q.Get("awaiting") == "1"}
	d.Query = client.SalesQuery{Search: strings.TrimSpace(q.Get("search")), Source: d.Source, AwaitingPayment: d.Awaiting,
		From: q.Get("from"), To: q.Get("to"), Limit: 100}
	list, err := s.client(sess.Token).Sales(r.Context(), d.Query)
	if err != nil {
		if st := client.StatusOf(err); st == http.StatusBadRequest || st == http.StatusNotFound {
			s.render(w, r, st, "sales", page{Title: "sales.title", Nav: "sales", Problem: err.Error(), Data: d})
			return
		}
		s.fail(w, r, err)
		return
	}
	d.Sales = list
	s.render(w, r, http.StatusOK, "sales", page{Title: "sales.title", Nav: "sales", Data: d})
}

type saleData struct {
	Sale         client.Sale
	PaymentTypes []client.PaymentType
	// Payable is set when the daemon says the sale awaits payment; Returnable when it says
	// the sale is paid (and not voided): the daemon checks each return itself.
	Payable, Returnable bool
}

func (s *server) saleDetail(w http.ResponseWriter, r *http.Request, sess *session) {
	s.showSale(w, r, sess, http.StatusOK, "")
}

func (s *server) showSale(w http.ResponseWriter, r *http.Request, sess *session, status int, problem string) {
	receipt := r.FormValue("receipt")
	api := s.client(sess.Token)
	sale, err := api.Sale(r.Context(), receipt, r.FormValue("outlet"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	types, err := api.PaymentTypes(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := saleData{Sale: sale, PaymentTypes: types, Payable: sale.Status == "awaiting_payment",
		Returnable: sale.Status == "paid" && sale.Void == nil}
	s.render(w, r, status, "sale", page{Title: "sale.title", Nav: "sales", Problem: problem, Data: d})
}

func (s *server) pay(w http.ResponseWriter, r *http.Request, sess *session) {
	id, _ := strconv.ParseInt(r.PostFormValue("sale_id"), 10, 64)
	if sess.Register == "" {
		s.render(w, r, http.StatusConflict, "refused", page{Title: "refused.title", ProblemKey: "register.choose", Data: http.StatusConflict})
		return
	}
	_, err := s.client(sess.Token).ApplyPayment(r.Context(), client.PaymentRequest{
		Register: sess.Register, SaleID: id, Receipt: r.PostFormValue("receipt"),
		PaymentType: r.PostFormValue("payment_type"), Amount: strings.TrimSpace(r.PostFormValue("amount")), By: sess.Name,
	})
	if err != nil {
		st := client.StatusOf(err)
		if st == 0 || st >= 500 || st == http.StatusUnauthorized || st == http.StatusForbidden {
			s.fail(w, r, err)
			return
		}
		s.showSale(w, r, sess, st, err.Error())
		return
	}
	seeOther(w, r, "/sales/detail?"+url.Values{"receipt": {r.PostFormValue("receipt")}, "outlet": {r.PostFormValue("outlet")}}.Encode(), "paid")
}

// --- reports ---

type reportsData struct {
	Register *client.Register
	Sessions []client.Session
	Today    string
}

func (s *server) reportsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	api := s.client(sess.Token)
	d := reportsData{Today: s.cfg.Clock().Format(time.DateOnly)}
	if sess.Register != "" {
		reg, err := api.Register(r.Context(), sess.Register)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Register = &reg
		if d.Sessions, err = api.Sessions(r.Context(), sess.Register, 30); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "reports", page{Title: "reports.title", Nav: "reports", Data: d})
}

type closingData struct {
	Report client.ClosingReport
	Hourly template.HTML
	Mix    template.HTML
	Split  template.HTML
}

func sessionParam(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("session"), 10, 64)
	return id, err == nil && id > 0
}

func (s *server) closingPage(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := sessionParam(r)
	if !ok {
		s.render(w, r, http.StatusNotFound, "refused", page{Title: "refused.title", ProblemKey: "refused.notfound", Data: http.StatusNotFound})
		return
	}
	rep, err := s.client(sess.Token).ClosingReport(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t := i18n.For(language(r))
	d := closingData{Report: rep}
	d.Hourly = hourlyChart("hourly", t, rep.Hourly, false)
	d.Mix = mixChart("mix", t, typeParts(rep.Payments))
	d.Split = splitChart("split", t, []client.SourceTotal{
		{Source: "pos", Count: rep.InStoreCount, Total: rep.InStoreTotal},
		{Source: "shopify", Count: rep.ShopifyOrders, Total: rep.ShopifyTotal},
	})
	s.render(w, r, http.StatusOK, "closing", page{Title: "closing.title", Nav: "reports", Data: d})
}

type printData struct {
	Text string
	Back string
}

func (s *server) closingPrint(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := sessionParam(r)
	if !ok {
		s.render(w, r, http.StatusNotFound, "refused", page{Title: "refused.title", ProblemKey: "refused.notfound", Data: http.StatusNotFound})
		return
	}
	text, err := s.client(sess.Token).ClosingReportText(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "receipt", page{Title: "closing.title", Nav: "reports", Data: printData{Text: text, Back: "/reports/closing/" + strconv.FormatInt(id, 10)}})
}

func (s *server) closingCSV(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := sessionParam(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	data, err := s.client(sess.Token).ClosingReportCSV(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeCSV(w, "closing-"+strconv.FormatInt(id, 10)+".csv", data)
}

func writeCSV(w http.ResponseWriter, name string, data []byte) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}

type nightlyData struct {
	Date, Outlet string
	Outlets      []client.Outlet
	Report       *client.NightlyReport
	Hourly       template.HTML
	Mix          template.HTML
	Split        template.HTML
}

func (s *server) nightlyPage(w http.ResponseWriter, r *http.Request, sess *session) {
	s.showNightly(w, r, sess, nil)
}

func (s *server) showNightly(w http.ResponseWriter, r *http.Request, sess *session, rep *client.NightlyReport) {
	api := s.client(sess.Token)
	d := nightlyData{Date: r.FormValue("date"), Outlet: r.FormValue("outlet")}
	if d.Date == "" {
		d.Date = s.cfg.Clock().Format(time.DateOnly)
	}
	if rep == nil {
		got, err := api.NightlyReport(r.Context(), d.Outlet, d.Date)
		switch st := client.StatusOf(err); {
		case err == nil:
			rep = &got
		case st == http.StatusNotFound || st == http.StatusBadRequest:
			outlets, _ := api.Outlets(r.Context())
			d.Outlets = outlets
			s.render(w, r, http.StatusOK, "nightly", page{Title: "nightly.title", Nav: "reports", Problem: err.Error(), Data: d})
			return
		default:
			s.fail(w, r, err)
			return
		}
	}
	d.Outlets, _ = api.Outlets(r.Context())
	d.Report = rep
	t := i18n.For(language(r))
	d.Hourly = hourlyChart("hourly", t, rep.Hourly, true)
	parts := make([]chartPart, 0, len(rep.Payments))
	for _, p := range rep.Payments {
		parts = append(parts, chartPart{p.Type, p.Amount})
	}
	d.Mix = mixChart("mix", t, parts)
	d.Split = splitChart("split", t, rep.Sales)
	s.render(w, r, http.StatusOK, "nightly", page{Title: "nightly.title", Nav: "reports", Data: d})
}

func (s *server) generateNightly(w http.ResponseWriter, r *http.Request, sess *session) {
	rep, err := s.client(sess.Token).GenerateNightly(r.Context(), client.NightlyRequest{Outlet: r.PostFormValue("outlet"), Date: r.PostFormValue("date")})
	if err != nil {
		st := client.StatusOf(err)
		if st == http.StatusBadRequest || st == http.StatusNotFound || st == http.StatusUnprocessableEntity || st == http.StatusConflict {
			d := nightlyData{Date: r.PostFormValue("date"), Outlet: r.PostFormValue("outlet")}
			d.Outlets, _ = s.client(sess.Token).Outlets(r.Context())
			s.render(w, r, st, "nightly", page{Title: "nightly.title", Nav: "reports", Problem: err.Error(), Data: d})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.showNightly(w, r, sess, &rep)
}

func (s *server) nightlyCSV(w http.ResponseWriter, r *http.Request, sess *session) {
	date := r.FormValue("date")
	data, err := s.client(sess.Token).NightlyReportCSV(r.Context(), r.FormValue("outlet"), date)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeCSV(w, "nightly-"+safeName(date)+".csv", data)
}

// safeName keeps the letters, digits and dashes of s, for a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return -1
	}, s)
}
