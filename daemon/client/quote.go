package client

import (
	"context"
	"net/http"
)

// Quote answers what a sale would come to at the register (its lines, taxes, total, paid
// and change, as Sell would record them) without recording it. With PayLater and no
// payments it prices a cart; with payments it tells the change.
func (c *Client) Quote(ctx context.Context, register string, req SellRequest) (Sale, error) {
	var out Sale
	return out, c.do(ctx, http.MethodPost, "/registers/"+seg(register)+"/quote", nil, req, &out)
}
