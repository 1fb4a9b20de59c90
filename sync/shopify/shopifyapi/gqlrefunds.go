package shopifyapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
)

// RefundsPerQuery is how many refunds one Refunds query details: RefundFields requests
// about 145 points a refund (its four connections at their first N), and a query may
// request 1000.
const RefundsPerQuery = 6

func refundGID(id int64) string { return "gid://shopify/Refund/" + strconv.FormatInt(id, 10) }

// withRefundDetails reads, through the GraphQL Admin API, the details of the refunds the
// GraphQL orders of a page name (lines and restocks, transactions, refunded shipping,
// adjustments; see RefundFields), RefundsPerQuery refunds a query, and puts them in the
// orders: a refunded order then carries what its REST body would. A refund Shopify no
// longer shows keeps its name only.
func (c *Client) withRefundDetails(ctx context.Context, page []Order) error {
	type at struct{ order, refund int }
	var ids []string
	where := map[int64]at{}
	for i := range page {
		o := &page[i]
		if o.DecodeErr != nil || o.Shape != ShapeGraphQL {
			continue
		}
		for j, r := range o.Refunds {
			if r.ID != 0 {
				ids = append(ids, refundGID(r.ID))
				where[r.ID] = at{i, j}
			}
		}
	}
	for len(ids) > 0 {
		batch := ids[:min(RefundsPerQuery, len(ids))]
		ids = ids[len(batch):]
		var data struct {
			Nodes []json.RawMessage `json:"nodes"`
		}
		if _, err := c.Query(ctx, document("refunds"), map[string]any{"ids": batch}, &data); err != nil {
			return fmt.Errorf("read the details of %d refunds: %w", len(batch), err)
		}
		for _, raw := range data.Nodes {
			if len(raw) == 0 || string(raw) == "null" {
				continue
			}
			var g gqlRefund
			if err := shopifyjson.Decode(raw, &g); err != nil {
				return fmt.Errorf("read the details of a refund: %w", err)
			}
			rf := g.refund()
			w, ok := where[rf.ID]
			if !ok || !g.detailed() {
				continue
			}
			if err := c.completeRefund(ctx, &g, &rf); err != nil {
				return err
			}
			o := &page[w.order]
			rf.OrderID = o.ID
			if rf.CreatedAt.IsZero() {
				rf.CreatedAt = o.Refunds[w.refund].CreatedAt
			}
			o.Refunds[w.refund] = rf
		}
	}
	return nil
}

// completeRefund reads the pages of a refund's connections that RefundFields did not hold.
func (c *Client) completeRefund(ctx context.Context, g *gqlRefund, rf *Refund) error {
	var lines, txs, ship, adj gqlPageInfo
	if g.RefundLineItems != nil {
		lines = g.RefundLineItems.PageInfo
	}
	if g.Transactions != nil {
		txs = g.Transactions.PageInfo
	}
	if g.RefundShippingLines != nil {
		ship = g.RefundShippingLines.PageInfo
	}
	if g.OrderAdjustments != nil {
		adj = g.OrderAdjustments.PageInfo
	}
	for lines.HasNextPage || txs.HasNextPage || ship.HasNextPage || adj.HasNextPage {
		vars := map[string]any{
			"id":        refundGID(rf.ID),
			"withLines": lines.HasNextPage, "linesAfter": lines.EndCursor,
			"withTransactions": txs.HasNextPage, "transactionsAfter": txs.EndCursor,
			"withShipping": ship.HasNextPage, "shippingAfter": ship.EndCursor,
			"withAdjustments": adj.HasNextPage, "adjustmentsAfter": adj.EndCursor,
		}
		var data struct {
			Nodes []*gqlRefund `json:"nodes"`
		}
		if _, err := c.Query(ctx, document("refund_connections"), vars, &data); err != nil {
			return fmt.Errorf("read the lines of refund %d: %w", rf.ID, err)
		}
		if len(data.Nodes) == 0 || data.Nodes[0] == nil {
			return nil
		}
		n := data.Nodes[0]
		lines, txs, ship, adj = gqlPageInfo{}, gqlPageInfo{}, gqlPageInfo{}, gqlPageInfo{}
		if n.RefundLineItems != nil {
			rf.addLines(n.RefundLineItems.Nodes)
			lines = n.RefundLineItems.PageInfo
		}
		if n.Transactions != nil {
			rf.addTransactions(n.Transactions.Nodes)
			txs = n.Transactions.PageInfo
		}
		if n.RefundShippingLines != nil {
			rf.addShipping(n.RefundShippingLines.Nodes)
			ship = n.RefundShippingLines.PageInfo
		}
		if n.OrderAdjustments != nil {
			rf.addAdjustments(n.OrderAdjustments.Nodes)
			adj = n.OrderAdjustments.PageInfo
		}
	}
	return nil
}
