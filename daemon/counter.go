package daemon

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

// The counter: selling, returns, voids of a sale, cash in and out, products by code, and
// the receipts.

func (a *api) sell(c *call) (reply, error) {
	var req client.SellRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	who := c.actor(req.By)
	sr := register.SellRequest{
		RegisterID: r.ID, Discount: req.Discount, PayLater: req.PayLater, CustomerEmail: req.CustomerEmail,
		CustomerName: req.CustomerName, Note: req.Note, By: who.By, TokenID: who.TokenID,
	}
	for _, l := range req.Lines {
		sr.Lines = append(sr.Lines, register.SellLine{Code: l.Code, Quantity: l.Quantity, Discount: l.Discount})
	}
	for _, p := range req.Payments {
		sr.Payments = append(sr.Payments, register.Tender{Type: p.Type, Amount: p.Amount})
	}
	out, err := register.Service{Clock: a.clock}.Sell(c.ctx, a.db, sr)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusCreated, saleView(out.Sale.View(true))), nil
}

func (a *api) quote(c *call) (reply, error) {
	var req client.SellRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	sr := register.SellRequest{RegisterID: r.ID, Discount: req.Discount}
	for _, l := range req.Lines {
		sr.Lines = append(sr.Lines, register.SellLine{Code: l.Code, Quantity: l.Quantity, Discount: l.Discount})
	}
	p, err := register.Service{Clock: a.clock}.Quote(c.ctx, a.db, sr)
	if err != nil {
		return reply{}, err
	}
	out := client.Quote{Subtotal: money.String(p.Subtotal), Discount: money.String(p.DiscountTotal), Tax: money.String(p.TaxTotal),
		Total: money.String(p.Total), Lines: make([]client.SaleLine, 0, len(p.Lines))}
	for _, l := range p.Lines {
		name := l.Title
		if l.VariantTitle != "" {
			name += " - " + l.VariantTitle
		}
		out.Lines = append(out.Lines, client.SaleLine{SKU: l.SKU, Name: name, Quantity: l.Quantity, UnitPrice: money.String(l.UnitPrice),
			Discount: money.String(l.Discount), Tax: money.String(l.Tax), Total: money.String(l.Total)})
	}
	return jsonReply(http.StatusOK, out), nil
}

func (a *api) returnSale(c *call) (reply, error) {
	var req client.ReturnRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	if strings.TrimSpace(req.Register) == "" {
		return reply{}, badRequest("a return needs register: the register whose open session gives the refund")
	}
	r, err := a.findRegister(c.ctx, req.Register)
	if err != nil {
		return reply{}, err
	}
	who := c.actor(req.By)
	rr := register.ReturnRequest{RegisterID: r.ID, Receipt: c.r.PathValue("receipt"), Reason: req.Reason, By: who.By, TokenID: who.TokenID}
	for _, l := range req.Lines {
		rr.Lines = append(rr.Lines, register.ReturnLineRequest{Code: l.Code, Quantity: l.Quantity, Restock: l.Restock})
	}
	for _, f := range req.Refunds {
		rr.Refunds = append(rr.Refunds, register.Tender{Type: f.Type, Amount: f.Amount})
	}
	ret, err := register.Service{Clock: a.clock}.Return(c.ctx, a.db, rr)
	if err != nil {
		return reply{}, err
	}
	tz, err := register.Store{}.NameReturn(c.ctx, a.db, &ret)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusCreated, returnView(ret.View(tz))), nil
}

func (a *api) voidSale(c *call) (reply, error) {
	var req client.SaleVoidRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	who := c.actor(req.By)
	s, err := register.Service{Clock: a.clock}.VoidSale(c.ctx, a.db, register.SaleVoidRequest{
		Receipt: c.r.PathValue("receipt"), Reason: req.Reason, By: who.By, TokenID: who.TokenID,
		Manager: c.tok.Role == RoleManager,
	})
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusCreated, saleView(s.View(true))), nil
}

func (a *api) moveCash(c *call) (reply, error) {
	var req client.CashRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	if req.Kind != register.CashIn && req.Kind != register.CashOut {
		return reply{}, badRequest(`kind must be "in" or "out"`)
	}
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	o, err := inventory.Store{}.Outlet(c.ctx, a.db, r.OutletID)
	if err != nil {
		return reply{}, err
	}
	loc, err := o.Location()
	if err != nil {
		return reply{}, err
	}
	who := c.actor(req.By)
	m, err := register.Service{Clock: a.clock}.MoveCash(c.ctx, a.db, register.CashRequest{
		RegisterID: r.ID, Kind: req.Kind, Amount: req.Amount, Reason: req.Reason, By: who.By, TokenID: who.TokenID,
	})
	if err != nil {
		return reply{}, err
	}
	token := c.tok.Name
	return jsonReply(http.StatusCreated, client.CashMovement{
		ID: m.ID, Register: r.Name, SessionID: m.SessionID, Kind: m.Kind, Amount: money.String(m.Amount), Reason: m.Reason,
		MovedAt: m.MovedAt.In(loc).Format(time.RFC3339), RecordedBy: m.RecordedBy, Token: &token,
	}), nil
}

func productView(p inventory.Product) client.Product {
	var rate *string
	if p.TaxRate != nil {
		r := inventory.Percent(*p.TaxRate)
		rate = &r
	}
	return client.Product{SKU: p.SKU, Barcode: p.Barcode, Name: p.Name, VariantTitle: p.VariantTitle,
		Price: money.String(p.Price), TaxRate: rate, TracksStock: p.TracksStock, Published: p.Published}
}

func (a *api) product(c *call) (reply, error) {
	p, err := inventory.Store{}.ProductByCode(c.ctx, a.db, c.r.PathValue("code"))
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, productView(p)), nil
}

func (a *api) searchProducts(c *call) (reply, error) {
	limit := 20
	if s := c.r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 200 {
			return reply{}, badRequest("limit must be a whole number from 1 to 200")
		}
		limit = n
	}
	ps, err := inventory.Store{}.SearchProducts(c.ctx, a.db, c.r.URL.Query().Get("q"), limit)
	if err != nil {
		return reply{}, err
	}
	out := make([]client.Product, len(ps))
	for i, p := range ps {
		out[i] = productView(p)
	}
	return jsonReply(http.StatusOK, out), nil
}

func (a *api) receipt(c *call) (reply, error) {
	var outletID int64
	if name := c.r.URL.Query().Get("outlet"); name != "" {
		o, err := inventory.Store{}.OutletByName(c.ctx, a.db, name)
		if err != nil {
			return reply{}, err
		}
		outletID = o.ID
	}
	text, err := register.Service{Clock: a.clock}.ReceiptText(c.ctx, a.db, outletID, c.r.PathValue("receipt"))
	if err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusOK, contentType: "text/plain; charset=utf-8", body: []byte(text)}, nil
}

func (a *api) showReturn(c *call) (reply, error) {
	r, err := sales.Store{}.ReturnByReceipt(c.ctx, a.db, 0, c.r.PathValue("receipt"))
	if err != nil {
		return reply{}, err
	}
	tz, err := register.Store{}.NameReturn(c.ctx, a.db, &r)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, returnView(r.View(tz))), nil
}
