package daemon

import (
	"net/http"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/register"
)

// sellRequest is the domain's request of an API sale at register registerID.
func sellRequest(c *call, registerID int64, req client.SellRequest) register.SellRequest {
	who := c.actor(req.By)
	sr := register.SellRequest{
		RegisterID: registerID, Discount: req.Discount, PayLater: req.PayLater, CustomerEmail: req.CustomerEmail,
		CustomerName: req.CustomerName, Note: req.Note, By: who.By, TokenID: who.TokenID,
	}
	for _, l := range req.Lines {
		sr.Lines = append(sr.Lines, register.SellLine{Code: l.Code, Quantity: l.Quantity, Discount: l.Discount})
	}
	for _, p := range req.Payments {
		sr.Payments = append(sr.Payments, register.Tender{Type: p.Type, Amount: p.Amount})
	}
	return sr
}

// quote answers what a sale would come to (lines, taxes, total, change) without recording
// it: the sale is rung up by the domain's own Sell, in a transaction that is rolled back,
// so a cart on a screen shows exactly the figures the sale will have. The receipt number
// it shows is the one the next sale gets unless another comes first.
func (a *api) quote(c *call) (reply, error) {
	var req client.SellRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	tx, err := a.db.BeginTxx(c.ctx, nil)
	if err != nil {
		return reply{}, err
	}
	defer func() { _ = tx.Rollback() }()
	out, err := register.Service{Clock: a.clock}.Sell(c.ctx, tx, sellRequest(c, r.ID, req))
	if err != nil {
		return reply{}, err
	}
	v := saleView(out.Sale.View(true))
	if err := tx.Rollback(); err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, v), nil
}
