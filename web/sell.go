package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kassa-pos/kassa/daemon/client"
)

// cartLine is a line of the cart as the page keeps it: a code staff scanned or typed and
// how many.
type cartLine struct {
	Code     string
	Quantity int
}

// sellData is the Sell screen: the register, the cart and the daemon's quote of it.
type sellData struct {
	Register *client.Register
	Lines    []cartLine
	// Quote is the daemon's pricing of the cart: its lines, total and tax. The change is
	// the sale's, shown once it is rung up.
	Quote *client.Quote
	// Cash and Card are the tenders typed.
	Cash, Card string
}

// cartOf reads the cart the page posted (code[i], qty[i]).
func cartOf(r *http.Request) []cartLine {
	codes, qtys := r.PostForm["code"], r.PostForm["qty"]
	var out []cartLine
	for i, c := range codes {
		q := 1
		if i < len(qtys) {
			if n, err := strconv.Atoi(strings.TrimSpace(qtys[i])); err == nil {
				q = n
			}
		}
		if c = strings.TrimSpace(c); c != "" && q > 0 {
			out = append(out, cartLine{Code: c, Quantity: q})
		}
	}
	return out
}

// tenders are the payments typed: card first (it cannot give change), then cash; an empty
// amount of the one chosen takes the rest.
func tenders(pay, cash, card string) []client.Tender {
	cash, card = strings.TrimSpace(cash), strings.TrimSpace(card)
	switch pay {
	case "cash":
		return []client.Tender{{Type: "Cash", Amount: cash}}
	case "card":
		return []client.Tender{{Type: "Card"}}
	case "split":
		return []client.Tender{{Type: "Card", Amount: card}, {Type: "Cash", Amount: cash}}
	}
	var out []client.Tender
	if card != "" {
		out = append(out, client.Tender{Type: "Card", Amount: card})
	}
	if cash != "" {
		out = append(out, client.Tender{Type: "Cash", Amount: cash})
	}
	return out
}

func sellRequest(sess *session, lines []cartLine, pay []client.Tender, payLater bool) client.SellRequest {
	req := client.SellRequest{By: sess.Name, Payments: pay, PayLater: payLater}
	for _, l := range lines {
		req.Lines = append(req.Lines, client.SellLine{Code: l.Code, Quantity: l.Quantity})
	}
	return req
}

// sellRegister is the session's register, which must be open to sell.
func (s *server) sellRegister(w http.ResponseWriter, r *http.Request, sess *session) (*client.Register, bool) {
	if sess.Register == "" {
		s.render(w, r, http.StatusConflict, "refused", page{Title: "sell.title", Nav: "sell", ProblemKey: "register.choose", Data: http.StatusConflict})
		return nil, false
	}
	reg, err := s.client(sess.Token).Register(r.Context(), sess.Register)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return &reg, true
}

func (s *server) sellPage(w http.ResponseWriter, r *http.Request, sess *session) {
	reg, ok := s.sellRegister(w, r, sess)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "sell", page{Title: "sell.title", Nav: "sell", Data: sellData{Register: reg}})
}

// cart answers the cart after a scan (scan=CODE, qty for it), a change of a line
// (op=inc|dec|del, index) or typed tenders: its lines and figures as the daemon prices
// them. A code the daemon refuses is not added; its refusal shows above the cart.
func (s *server) cart(w http.ResponseWriter, r *http.Request, sess *session) {
	lines := cartOf(r)
	if i, err := strconv.Atoi(r.PostFormValue("index")); err == nil && i >= 0 && i < len(lines) {
		switch r.PostFormValue("op") {
		case "inc":
			lines[i].Quantity++
		case "dec":
			if lines[i].Quantity--; lines[i].Quantity <= 0 {
				lines = append(lines[:i], lines[i+1:]...)
			}
		case "del":
			lines = append(lines[:i], lines[i+1:]...)
		}
	}
	d := sellData{Cash: r.PostFormValue("cash"), Card: r.PostFormValue("card")}
	api := s.client(sess.Token)
	var problem string
	if code := strings.TrimSpace(r.PostFormValue("scan")); code != "" {
		qty := 1
		if n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("times"))); err == nil && n > 0 {
			qty = n
		}
		next := append([]cartLine(nil), lines...)
		merged := false
		for i := range next {
			if strings.EqualFold(next[i].Code, code) {
				next[i].Quantity += qty
				merged = true
			}
		}
		if !merged {
			next = append(next, cartLine{Code: code, Quantity: qty})
		}
		// The daemon says whether the code sells: the cart takes it only then.
		if _, err := api.Quote(r.Context(), sess.Register, sellRequest(sess, next, nil, true)); err != nil {
			if !s.refusal(w, r, err) {
				return
			}
			problem = err.Error()
		} else {
			lines = next
		}
	}
	d.Lines = lines
	if len(lines) > 0 {
		q, err := api.Quote(r.Context(), sess.Register, sellRequest(sess, lines, nil, true))
		if err != nil {
			if !s.refusal(w, r, err) {
				return
			}
			problem = err.Error()
		} else {
			d.Quote = &q
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.fragment(w, r, "sell", "cart", page{Problem: problem, Data: d}); err != nil {
		s.cfg.Logger.Error().Err(err).Msg("render cart")
	}
}

// refusal reports whether err is a refusal to show in place (4xx but 401 and 403); any
// other error has been answered as a failed page.
func (s *server) refusal(w http.ResponseWriter, r *http.Request, err error) bool {
	st := client.StatusOf(err)
	if st >= 400 && st < 500 && st != http.StatusUnauthorized && st != http.StatusForbidden {
		return true
	}
	s.fail(w, r, err)
	return false
}

// sell rings the cart up with the payment chosen (pay=cash|card|split) and shows the sale
// with its change and receipt.
func (s *server) sell(w http.ResponseWriter, r *http.Request, sess *session) {
	lines := cartOf(r)
	d := sellData{Lines: lines, Cash: r.PostFormValue("cash"), Card: r.PostFormValue("card")}
	sale, err := s.client(sess.Token).Sell(r.Context(), sess.Register, sellRequest(sess, lines, tenders(r.PostFormValue("pay"), d.Cash, d.Card), false))
	if err != nil {
		if !s.refusal(w, r, err) {
			return
		}
		reg, ok := s.sellRegister(w, r, sess)
		if !ok {
			return
		}
		d.Register = reg
		if q, qerr := s.client(sess.Token).Quote(r.Context(), sess.Register, sellRequest(sess, lines, nil, true)); qerr == nil {
			d.Quote = &q
		}
		s.render(w, r, client.StatusOf(err), "sell", page{Title: "sell.title", Nav: "sell", Problem: err.Error(), Data: d})
		return
	}
	seeOther(w, r, "/sell/done?"+url.Values{"receipt": {sale.ReceiptNumber}}.Encode(), "sold")
}

type soldData struct {
	Sale    client.Sale
	Receipt string
}

func (s *server) sold(w http.ResponseWriter, r *http.Request, sess *session) {
	api := s.client(sess.Token)
	receipt := r.URL.Query().Get("receipt")
	sale, err := api.Sale(r.Context(), receipt, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	text, err := api.ReceiptText(r.Context(), receipt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sold", page{Title: "sold.title", Nav: "sell", Data: soldData{Sale: sale, Receipt: text}})
}

// returnSale takes a return of the sale shown: the quantities given back per line
// (ret_qty[i] of code[i], restocked when ret_restock has the code), refunded by one
// payment type, for the reason typed.
func (s *server) returnSale(w http.ResponseWriter, r *http.Request, sess *session) {
	receipt := r.PostFormValue("receipt")
	if sess.Register == "" {
		s.render(w, r, http.StatusConflict, "refused", page{Title: "refused.title", ProblemKey: "register.choose", Data: http.StatusConflict})
		return
	}
	req := client.ReturnRequest{Register: sess.Register, Reason: strings.TrimSpace(r.PostFormValue("reason")), By: sess.Name,
		Refunds: []client.Tender{{Type: r.PostFormValue("refund_type")}}}
	restock := map[string]bool{}
	for _, c := range r.PostForm["ret_restock"] {
		restock[c] = true
	}
	codes, qtys := r.PostForm["ret_code"], r.PostForm["ret_qty"]
	for i, c := range codes {
		if i >= len(qtys) {
			break
		}
		n, err := strconv.Atoi(strings.TrimSpace(qtys[i]))
		if err != nil || n == 0 {
			continue
		}
		req.Lines = append(req.Lines, client.ReturnItem{Code: c, Quantity: n, Restock: restock[c]})
	}
	if len(req.Lines) == 0 {
		s.showSale(w, r, sess, http.StatusUnprocessableEntity, s.localized(r, "return.none"))
		return
	}
	if _, err := s.client(sess.Token).ReturnSale(r.Context(), receipt, req); err != nil {
		if !s.refusal(w, r, err) {
			return
		}
		s.showSale(w, r, sess, client.StatusOf(err), err.Error())
		return
	}
	seeOther(w, r, "/sales/detail?"+url.Values{"receipt": {receipt}, "outlet": {r.PostFormValue("outlet")}}.Encode(), "returned")
}
