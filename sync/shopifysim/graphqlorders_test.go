package shopifysim_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

func ordersQuery(args string) string {
	return `{ orders(` + args + `) { edges { cursor node { legacyResourceId updatedAt createdAt
		lineItems(first: 5) { nodes { id quantity } } totalPriceSet { shopMoney { amount } } } }
		pageInfo { hasNextPage endCursor } } }`
}

type ordersAnswer struct {
	Data struct {
		Orders struct {
			Edges []struct {
				Node struct {
					ID        string `json:"legacyResourceId"`
					UpdatedAt string `json:"updatedAt"`
				} `json:"node"`
			} `json:"edges"`
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"orders"`
	} `json:"data"`
	Errors     []map[string]any `json:"errors"`
	Extensions struct {
		Cost struct {
			Requested int  `json:"requestedQueryCost"`
			Actual    *int `json:"actualQueryCost"`
		} `json:"cost"`
	} `json:"extensions"`
}

func queryOrders(t *testing.T, s *shopifysim.Server, q string) ordersAnswer {
	t.Helper()
	_, _, _, raw := gqlRaw(t, s, "2026-10", s.Token, q, nil)
	var a ordersAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestOrdersQueryCostFiltersAndCursors checks the orders query against Shopify's rules:
// a connection costs 2 plus first times its node's cost, requested before and actual
// after; search filters on updated_at; sort keys and cursors page without gaps.
func TestOrdersQueryCostFiltersAndCursors(t *testing.T) {
	t.Parallel()
	updated := func(h int) *time.Duration { d := time.Duration(h) * time.Hour; return &d }
	var raws []json.RawMessage
	for i := range 10 {
		// Order 1001+i created 20-i hours ago, updated (i*7)%10 hours ago.
		raws = append(raws, rawOrder(t, orderSpec{id: int64(1001 + i), age: time.Duration(20-i) * time.Hour, updatedAge: updated((i * 7) % 10)}))
	}
	s := newServer(t, shopifysim.Options{RawOrders: raws, Plan: shopifysim.PlanStandard})
	a := queryOrders(t, s, ordersQuery(`first: 4, sortKey: CREATED_AT`))
	// Order: 1 + lineItems (2 + 5×1) + totalPriceSet (MoneyBag 1 + MoneyV2 1) = 10; 2 + 4×10.
	if a.Extensions.Cost.Requested != 42 {
		t.Errorf("requested cost %d, want 42", a.Extensions.Cost.Requested)
	}
	// Actual: 2 + 4 orders × (1 + 2 + 0 lines + 2) = 22.
	if a.Extensions.Cost.Actual == nil || *a.Extensions.Cost.Actual != 22 {
		t.Errorf("actual cost %v, want 22", a.Extensions.Cost.Actual)
	}
	var ids []string
	after := ""
	for {
		args := `first: 3, sortKey: UPDATED_AT, query: "updated_at:>='` + testNow.Add(-7*time.Hour).Format(time.RFC3339) + `'"`
		if after != "" {
			args += `, after: "` + after + `"`
		}
		a := queryOrders(t, s, ordersQuery(args))
		if len(a.Errors) > 0 {
			t.Fatal(a.Errors)
		}
		for _, e := range a.Data.Orders.Edges {
			ids = append(ids, e.Node.ID)
		}
		if !a.Data.Orders.PageInfo.HasNextPage {
			break
		}
		after = a.Data.Orders.PageInfo.EndCursor
	}
	// Orders updated at most 7 hours ago, least recently updated first.
	want := []string{}
	for _, age := range []int{7, 6, 5, 4, 3, 2, 1, 0} {
		for i := range 10 {
			if (i*7)%10 == age {
				want = append(want, fmt.Sprint(1001+i))
			}
		}
	}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("updated since 7h ago, by update time: %v, want %v", ids, want)
	}
	// first over 250 and a query over 1000 points are refused.
	if a := queryOrders(t, s, ordersQuery(`first: 251`)); len(a.Errors) == 0 {
		t.Error("first: 251 answered")
	}
	big := `{ orders(first: 100) { nodes { lineItems(first: 50) { nodes { id } } } } }`
	if a := queryOrders(t, s, big); len(a.Errors) == 0 || a.Errors[0]["extensions"].(map[string]any)["code"] != "MAX_COST_EXCEEDED" {
		t.Errorf("a query of %d points answered: %v", 2+100*(1+2+50), a.Errors)
	}
}

func bulkRun(t *testing.T, s *shopifysim.Server, query string) (string, []any) {
	t.Helper()
	_, ans, _ := gql(t, s, "2026-10", s.Token, `mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: true) {
		bulkOperation { id status } userErrors { code field message } } }`, map[string]any{"q": query})
	p := ans["data"].(map[string]any)["bulkOperationRunQuery"].(map[string]any)
	errs, _ := p["userErrors"].([]any)
	if op, ok := p["bulkOperation"].(map[string]any); ok {
		return op["id"].(string), errs
	}
	return "", errs
}

func bulkState(t *testing.T, s *shopifysim.Server, id string) map[string]any {
	t.Helper()
	for range 4000 {
		_, ans, _ := gql(t, s, "2026-10", s.Token, `query($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url } }`, map[string]any{"id": id})
		op := ans["data"].(map[string]any)["bulkOperation"].(map[string]any)
		switch op["status"] {
		case "CREATED", "RUNNING":
			time.Sleep(2 * time.Millisecond)
			continue
		}
		return op
	}
	t.Fatal("the bulk operation never finished")
	return nil
}

const bulkOrders = `{ orders(query: "created_at:>=2026-01-01") { edges { node { id name
	lineItems { edges { node { id quantity } } } shippingLines { edges { node { id title } } } } } } }`

// TestBulkOperationLifecycle runs bulk queries: the flat JSONL with __parentId,
// objectCount, grouped rows, the finish webhook, a FAILED operation, an expired URL, a
// truncated download and a download resumed with Range.
func TestBulkOperationLifecycle(t *testing.T) {
	t.Parallel()
	clk := &movingClock{}
	hooks := make(chan string, 16)
	recv := newHookReceiver(t, hooks)
	s := newServer(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 5, Orders: 12, Days: 10}, Clock: clk.Now})
	s.Subscribe("bulk_operations/finish", recv)
	if _, errs := bulkRun(t, s, `{ shop { name } }`); len(errs) == 0 {
		t.Error("a bulk query without a connection was accepted")
	}
	id, errs := bulkRun(t, s, bulkOrders)
	if len(errs) > 0 || id == "" {
		t.Fatalf("run: %v", errs)
	}
	op := bulkState(t, s, id)
	if op["status"] != "COMPLETED" || op["rootObjectCount"] != "12" {
		t.Fatalf("operation %v", op)
	}
	url := op["url"].(string)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if fmt.Sprint(len(lines)) != op["objectCount"] {
		t.Errorf("%d lines, objectCount %v", len(lines), op["objectCount"])
	}
	current := ""
	for _, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		if _, nested := row["lineItems"]; nested {
			t.Fatalf("a row holds its connection: %s", l)
		}
		parent, child := row["__parentId"].(string)
		switch {
		case !child:
			current = row["id"].(string)
		case parent != current:
			t.Fatalf("grouped output: a child of %s below %s", parent, current)
		}
	}
	select {
	case body := <-hooks:
		if !strings.Contains(body, id) || !strings.Contains(body, `"status":"completed"`) {
			t.Errorf("finish webhook %s", body)
		}
	case <-time.After(10 * time.Second):
		t.Error("no bulk_operations/finish webhook")
	}
	// Range requests resume a download.
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-", len(lines[0])+1))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !strings.HasPrefix(string(rest), lines[1]) {
		t.Errorf("range: %d %.80s", resp.StatusCode, rest)
	}
	// A truncated download ends before Content-Length.
	s.SetBulkFaults(shopifysim.BulkFaults{Truncate: 1})
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, bufio.NewReader(resp.Body))
	resp.Body.Close()
	if err == nil {
		t.Error("the truncated download read to its end without error")
	}
	// The URL expires.
	clk.Advance(shopifysim.DefaultBulkURLTTL + time.Minute)
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "ExpiredToken") {
		t.Errorf("expired URL: %d %s", resp.StatusCode, b)
	}
	if op := bulkState(t, s, id); op["status"] != "EXPIRED" || op["url"] != nil {
		t.Errorf("after expiry: %v", op)
	}
	// A failure asked for by the fault flag.
	s.SetBulkFaults(shopifysim.BulkFaults{FailWith: "INTERNAL_SERVER_ERROR"})
	id, _ = bulkRun(t, s, bulkOrders)
	if op := bulkState(t, s, id); op["status"] != "FAILED" || op["errorCode"] != "INTERNAL_SERVER_ERROR" || op["url"] != nil {
		t.Errorf("failed operation: %v", op)
	}
}

func newHookReceiver(t *testing.T, out chan<- string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case out <- string(b):
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
