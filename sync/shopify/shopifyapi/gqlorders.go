package shopifyapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
)

// Reading orders page by page through the GraphQL Admin API. A page's requested cost is
// 2 plus first times what one order (with up to LineItems line items, 5 shipping lines
// and 5 fulfillment orders) may cost; Shopify refuses a query over 1000 points and takes
// the requested cost from the bucket before running it, refunding the difference to what
// the page really cost afterwards. So the first page asks for one order, and the cost
// Shopify reports for it gives the largest first that keeps a page within 1000 points and
// within the bucket; the pacer (graphql.go) then waits before each page until the bucket
// holds its requested cost. An order with more line items, shipping lines or fulfillment
// orders than a page asks for is completed with queries of its own.

// DefaultLineItemsPerOrder is how many line items a page of orders asks of each order.
const DefaultLineItemsPerOrder = 10

// OrderQuery says which orders ListGraphQLOrders reads.
type OrderQuery struct {
	// Search is a query in Shopify's search syntax, e.g. "updated_at:>=2026-11-01T00:00:00Z".
	Search string
	// SortKey is an OrderSortKeys value; default UPDATED_AT. Orders come oldest first.
	SortKey string
	// LineItems is how many line items a page asks of each order; default
	// DefaultLineItemsPerOrder.
	LineItems int
	// First forces the page size; 0 chooses it from the query's cost.
	First int
	// Keep, when set, chooses the orders of each page the caller wants, before their
	// refunds' details are read: the details of an order left out are not asked for.
	Keep func(ctx context.Context, page []Order) ([]Order, error)
}

// maxRequestedCost is the most one query may request (Shopify's single query limit).
const maxRequestedCost = 1000

// pageFirst is the largest page whose requested cost stays within one query's limit and
// the bucket, for an order costing perOrder.
func pageFirst(perOrder int, bucket float64) int {
	limit := maxRequestedCost
	if bucket > 0 && int(bucket) < limit {
		limit = int(bucket)
	}
	if perOrder <= 0 {
		return 1
	}
	return max(1, min(MaxPageSize, (limit-2)/perOrder))
}

// ordersPage is the data of the orders query.
type ordersPage struct {
	Orders struct {
		Edges []struct {
			Node json.RawMessage `json:"node"`
		} `json:"edges"`
		PageInfo gqlPageInfo `json:"pageInfo"`
	} `json:"orders"`
}

// ListGraphQLOrders reads the orders q selects through the orders query, a page at a
// time, and calls fn with each page's orders, oldest first under q.SortKey. An order that
// cannot be decoded comes with DecodeErr set; an error of fn stops the listing.
func (c *Client) ListGraphQLOrders(ctx context.Context, q OrderQuery, fn func(page []Order) error) error {
	query := document("orders")
	lineItems := q.LineItems
	if lineItems <= 0 {
		lineItems = DefaultLineItemsPerOrder
	}
	sortKey := q.SortKey
	if sortKey == "" {
		sortKey = "UPDATED_AT"
	}
	var after any
	for {
		first := q.First
		if first <= 0 {
			per, bucket := c.orderCost(lineItems)
			first = pageFirst(per, bucket)
			if per > 0 {
				c.pacer.expect(query, 2+first*per)
			}
		}
		vars := map[string]any{"first": first, "after": after, "sortKey": sortKey, "lineItems": lineItems}
		if q.Search != "" {
			vars["query"] = q.Search
		}
		var data ordersPage
		cost, err := c.Query(ctx, query, vars, &data)
		if err != nil {
			return fmt.Errorf("list orders: %w", err)
		}
		if cost.Requested > 2 && first > 0 {
			c.learnOrderCost(lineItems, (cost.Requested-2+first-1)/first, cost.MaximumAvailable)
		}
		page := make([]Order, 0, len(data.Orders.Edges))
		for _, e := range data.Orders.Edges {
			o, err := c.completeOrder(ctx, e.Node)
			if err != nil && o.DecodeErr == nil {
				return err
			}
			page = append(page, o)
		}
		if q.Keep != nil {
			if page, err = q.Keep(ctx, page); err != nil {
				return err
			}
		}
		if err := c.withRefundDetails(ctx, page); err != nil {
			return err
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if !data.Orders.PageInfo.HasNextPage || data.Orders.PageInfo.EndCursor == "" {
			return nil
		}
		after = data.Orders.PageInfo.EndCursor
	}
}

// orderCost returns what one order of a page was last charged (0 when not known yet) and
// the bucket's size.
func (c *Client) orderCost(lineItems int) (int, float64) {
	c.costMu.Lock()
	defer c.costMu.Unlock()
	return c.perOrder[lineItems], c.bucketSize
}

func (c *Client) learnOrderCost(lineItems, perOrder int, bucket float64) {
	c.costMu.Lock()
	defer c.costMu.Unlock()
	if c.perOrder == nil {
		c.perOrder = map[int]int{}
	}
	c.perOrder[lineItems] = perOrder
	if bucket > 0 {
		c.bucketSize = bucket
	}
}

// decodeGraphQL decodes an order and keeps its shape, for the pages of its connections.
func decodeGraphQL(raw []byte) (Order, *gqlOrder) {
	var g gqlOrder
	o, err := DecodeGraphQLOrder(raw)
	if err != nil {
		return o, nil
	}
	_ = shopifyjson.Decode(o.Raw, &g)
	return o, &g
}

// completeOrder decodes a page's order and reads the rest of its line items, shipping
// lines and fulfillment orders when the page did not hold them all.
func (c *Client) completeOrder(ctx context.Context, raw json.RawMessage) (Order, error) {
	o, g := decodeGraphQL(raw)
	if g == nil {
		return o, o.DecodeErr
	}
	gid := orderGID(o.ID)
	if g.LineItems != nil {
		for after := g.LineItems.PageInfo; after.HasNextPage; {
			var data struct {
				Order *struct {
					LineItems gqlLineItems `json:"lineItems"`
				} `json:"order"`
			}
			if _, err := c.Query(ctx, document("order_line_items"), map[string]any{"id": gid, "after": after.EndCursor}, &data); err != nil {
				return o, fmt.Errorf("read the line items of order %s: %w", o.Name, err)
			}
			if data.Order == nil {
				break
			}
			o.addLineItems(data.Order.LineItems.Nodes)
			after = data.Order.LineItems.PageInfo
		}
	}
	ship, ful := gqlPageInfo{}, gqlPageInfo{}
	if g.ShippingLines != nil {
		ship = g.ShippingLines.PageInfo
	}
	if g.FulfillmentOrders != nil {
		ful = g.FulfillmentOrders.PageInfo
	}
	for ship.HasNextPage || ful.HasNextPage {
		vars := map[string]any{"id": gid}
		if ship.HasNextPage {
			vars["shippingAfter"] = ship.EndCursor
		}
		if ful.HasNextPage {
			vars["fulfillmentAfter"] = ful.EndCursor
		}
		var data struct {
			Order *struct {
				ShippingLines     gqlShippingLines     `json:"shippingLines"`
				FulfillmentOrders gqlFulfillmentOrders `json:"fulfillmentOrders"`
			} `json:"order"`
		}
		if _, err := c.Query(ctx, document("order_shipping_lines"), vars, &data); err != nil {
			return o, fmt.Errorf("read the shipping lines of order %s: %w", o.Name, err)
		}
		if data.Order == nil {
			break
		}
		if ship.HasNextPage {
			o.addShippingLines(data.Order.ShippingLines.Nodes)
			ship = data.Order.ShippingLines.PageInfo
		}
		if ful.HasNextPage {
			o.addFulfillmentOrders(data.Order.FulfillmentOrders.Nodes)
			ful = data.Order.FulfillmentOrders.PageInfo
		}
	}
	return o, nil
}

func orderGID(id int64) string { return "gid://shopify/Order/" + strconv.FormatInt(id, 10) }

// GetGraphQLOrder reads one order by its (numeric) id through the GraphQL Admin API. An
// order Shopify does not show matches ErrNotFound.
func (c *Client) GetGraphQLOrder(ctx context.Context, id int64) (Order, error) {
	var data struct {
		Order json.RawMessage `json:"order"`
	}
	if _, err := c.Query(ctx, document("order"), map[string]any{"id": orderGID(id), "lineItems": 30}, &data); err != nil {
		return Order{}, fmt.Errorf("get order %d: %w", id, err)
	}
	if len(data.Order) == 0 || string(data.Order) == "null" {
		return Order{}, notFoundError{fmt.Errorf("order %d: %w", id, errors.New("Shopify shows no such order"))}
	}
	o, err := c.completeOrder(ctx, data.Order)
	if err != nil {
		return o, err
	}
	if o.DecodeErr == nil {
		page := []Order{o}
		if err := c.withRefundDetails(ctx, page); err != nil {
			return o, err
		}
		o = page[0]
	}
	return o, o.DecodeErr
}

// SearchTime renders a time for Shopify's search syntax.
func SearchTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
