package shopifysim_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// TestRefundsByIDAndTheirCost reads a refund through nodes(ids:) as Shopify's 2026-10
// schema has it (restockType RETURN, the restock location, MoneyBags, the refunded
// shipping as a refundShippingLine), is charged each id's object, and cannot ask for the
// refunds' connections in a bulk query (five connections at most).
func TestRefundsByIDAndTheirCost(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 5, Orders: 30, Days: 10}})
	raws := s.AllOrders()
	var id, line int64
	for _, raw := range raws {
		o := decodeOrder(t, raw)
		if o.CancelledAt == nil && o.FinancialStatus == "paid" && len(o.ShippingLines) > 0 && o.ShippingLines[0].Price != "0.00" && len(o.LineItems) > 0 {
			id, line = o.ID, o.LineItems[0].ID
			break
		}
	}
	if id == 0 {
		t.Fatal("no paid, shipped order generated")
	}
	r, err := s.RefundOrder(id, shopifysim.RefundRequest{Shipping: true, Lines: []shopifysim.RefundLine{
		{LineItemID: line, Quantity: 1, RestockType: "return", LocationID: shopifysim.DefaultLocationID},
	}})
	if err != nil {
		t.Fatal(err)
	}
	q := `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Refund { id
		refundLineItems(first: 10) { nodes { lineItem { id } quantity restockType location { id name } subtotalSet { shopMoney { amount } } } }
		transactions(first: 5) { nodes { kind status amountSet { shopMoney { amount } } } }
		refundShippingLines(first: 5) { nodes { subtotalAmountSet { shopMoney { amount } } } }
		orderAdjustments(first: 5) { nodes { reason } } } } }`
	_, ans, _ := gql(t, s, "2026-10", s.Token, q, map[string]any{"ids": []string{r.AdminGraphqlAPIID, "gid://shopify/Refund/1"}})
	if ans["errors"] != nil {
		t.Fatalf("errors: %v", ans["errors"])
	}
	nodes := ans["data"].(map[string]any)["nodes"].([]any)
	if len(nodes) != 2 || nodes[1] != nil {
		t.Fatalf("nodes %v: want the refund and null", nodes)
	}
	ref := nodes[0].(map[string]any)
	rli := ref["refundLineItems"].(map[string]any)["nodes"].([]any)[0].(map[string]any)
	if rli["restockType"] != "RETURN" || rli["quantity"] != 1.0 || rli["location"].(map[string]any)["name"] != "Main store" {
		t.Errorf("refund line item %v", rli)
	}
	tx := ref["transactions"].(map[string]any)["nodes"].([]any)
	if len(tx) != 1 || tx[0].(map[string]any)["kind"] != "REFUND" || tx[0].(map[string]any)["status"] != "SUCCESS" {
		t.Errorf("transactions %v", tx)
	}
	ship := ref["refundShippingLines"].(map[string]any)["nodes"].([]any)
	adj := ref["orderAdjustments"].(map[string]any)["nodes"].([]any)
	if len(ship) != 1 || len(adj) != 0 || strings.HasPrefix(ship[0].(map[string]any)["subtotalAmountSet"].(map[string]any)["shopMoney"].(map[string]any)["amount"].(string), "-") {
		t.Errorf("refunded shipping %v, adjustments %v: want one positive refund shipping line", ship, adj)
	}
	cost := ans["extensions"].(map[string]any)["cost"].(map[string]any)
	// Per id: the refund 1, line items 2+10×(1+1+1+2), transactions 2+5×(1+2), shipping
	// 2+5×(1+2), adjustments 2+5×1.
	if per := 1 + 52 + 17 + 17 + 7; cost["requestedQueryCost"] != float64(2*per) {
		t.Errorf("requested cost %v, want %d for two ids", cost["requestedQueryCost"], 2*per)
	}
	if _, errs := bulkRun(t, s, `{ orders { edges { node { id lineItems { edges { node { id } } }
		refunds { refundLineItems { edges { node { id } } } transactions { edges { node { id } } }
		refundShippingLines { edges { node { id } } } orderAdjustments { edges { node { id } } } } } } } }`); len(errs) == 0 {
		t.Error("a bulk query with six connections was accepted")
	}
}

type simOrder struct {
	ID              int64   `json:"id"`
	CancelledAt     *string `json:"cancelled_at"`
	FinancialStatus string  `json:"financial_status"`
	LineItems       []struct {
		ID int64 `json:"id"`
	} `json:"line_items"`
	ShippingLines []struct {
		Price string `json:"discounted_price"`
	} `json:"shipping_lines"`
}

func decodeOrder(t *testing.T, raw []byte) simOrder {
	t.Helper()
	var o simOrder
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return o
}
