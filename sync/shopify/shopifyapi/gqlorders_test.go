package shopifyapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// comparable strips what differs by shape on purpose (the raw bytes, the shape, fields
// only one shape carries) so that the rest can be compared field by field.
func comparableOrder(o shopifyapi.Order) shopifyapi.Order {
	o.Raw, o.Shape, o.DecodeErr = nil, "", nil
	o.InventoryManagementKnown = false
	o.OrderNumber = 0
	o.Gateway = ""
	o.TaxLines = nil
	o.CurrentTotalPrice, o.CurrentSubtotalPrice, o.CurrentTotalTax, o.CurrentTotalDiscounts = decimal.Decimal{}, decimal.Decimal{}, decimal.Decimal{}, decimal.Decimal{}
	o.DeliveryMethods, o.PickupLocation = nil, ""
	// A GraphQL refund has no processedAt, and an order adjustment's reason is an enum
	// there, free text in REST; the rest of a refund reads the same both ways.
	refunds := make([]shopifyapi.Refund, len(o.Refunds))
	for i, r := range o.Refunds {
		r.ProcessedAt = time.Time{}
		adj := make([]shopifyapi.OrderAdjustment, len(r.Adjustments))
		for j, a := range r.Adjustments {
			a.Reason = ""
			adj[j] = a
		}
		r.Adjustments = adj
		refunds[i] = r
	}
	o.Refunds = refunds
	o.TotalLineItemsPrice = decimal.Decimal{}
	lines := make([]shopifyapi.LineItem, len(o.LineItems))
	for i, l := range o.LineItems {
		l.CurrentQuantity = 0
		l.ProductExists = false
		if l.VariantInventoryManagement != "shopify" {
			l.VariantInventoryManagement = ""
		}
		lines[i] = l
	}
	o.LineItems = lines
	return o
}

// normal makes decimals comparable by value.
func normal(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			normal(v.Elem())
		}
	case reflect.Slice:
		if v.Len() == 0 && v.CanSet() {
			v.Set(reflect.Zero(v.Type()))
		}
		for i := 0; i < v.Len(); i++ {
			normal(v.Index(i))
		}
	case reflect.Struct:
		if d, ok := v.Interface().(decimal.Decimal); ok {
			if v.CanSet() {
				v.Set(reflect.ValueOf(decimal.RequireFromString(d.String())))
			}
			return
		}
		if t, ok := v.Interface().(time.Time); ok {
			if v.CanSet() {
				v.Set(reflect.ValueOf(t.UTC()))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				normal(v.Field(i))
			}
		}
	}
}

func sameOrder(t *testing.T, what string, rest, gql shopifyapi.Order) {
	t.Helper()
	a, b := comparableOrder(rest), comparableOrder(gql)
	normal(reflect.ValueOf(&a).Elem())
	normal(reflect.ValueOf(&b).Elem())
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s: order %d differs:\nREST    %+v\nGraphQL %+v", what, rest.ID, a, b)
	}
}

func TestGraphQLOrdersEqualRESTOrders(t *testing.T) {
	t.Parallel()
	s := newSim(t, shopifysim.Options{Generate: generated(60), Plan: shopifysim.PlanOff})
	c := newSimClient(t, s, nil, nil)
	ctx := context.Background()
	rest, _ := listAll(t, c, shopifyapi.ListOptions{Status: "any"})
	byID := map[int64]shopifyapi.Order{}
	for _, o := range rest {
		byID[o.ID] = o
	}
	var paged []shopifyapi.Order
	pages := 0
	if err := c.ListGraphQLOrders(ctx, shopifyapi.OrderQuery{SortKey: "CREATED_AT", LineItems: 2}, func(p []shopifyapi.Order) error {
		pages++
		paged = append(paged, p...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(paged) != len(rest) {
		t.Fatalf("GraphQL listed %d orders, REST %d", len(paged), len(rest))
	}
	if pages < 2 {
		t.Errorf("%d pages: the page size was not chosen from the cost", pages)
	}
	for i, o := range paged {
		if i > 0 && o.CreatedAt.Before(paged[i-1].CreatedAt) {
			t.Errorf("order %d listed before an older one", o.ID)
		}
		if o.DecodeErr != nil {
			t.Errorf("order %d: %v", o.ID, o.DecodeErr)
		}
		sameOrder(t, "paged", byID[o.ID], o)
	}

	op, err := c.RunBulkQuery(ctx, shopifyapi.BulkOrdersQuery(simNow.Add(-90*24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	op = waitBulk(t, c, op.ID)
	if op.Status != "COMPLETED" || op.URL == "" || op.RootCount != int64(len(rest)) {
		t.Fatalf("bulk operation: %+v", op)
	}
	var bulk []shopifyapi.Order
	if err := c.ReadBulkOrders(ctx, op.URL, 7, func(p []shopifyapi.Order) error {
		if len(p) > 7 {
			t.Errorf("a page of %d orders", len(p))
		}
		bulk = append(bulk, p...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(bulk) != len(rest) {
		t.Fatalf("bulk read %d orders, REST %d", len(bulk), len(rest))
	}
	for _, o := range bulk {
		sameOrder(t, "bulk", byID[o.ID], o)
	}
	// One by id.
	one, err := c.GetGraphQLOrder(ctx, rest[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	sameOrder(t, "by id", rest[0], one)
	if _, err := c.GetGraphQLOrder(ctx, 99); !errors.Is(err, shopifyapi.ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}
}

func waitBulk(t testing.TB, c *shopifyapi.Client, id string) shopifyapi.BulkOperation {
	t.Helper()
	for range 2000 {
		op, err := c.GetBulkOperation(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if op.Done() {
			return op
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the bulk operation did not finish")
	return shopifyapi.BulkOperation{}
}

// TestBulkAssemblyWorstCase feeds the assembler files whose rows are as far from their
// orders as the relied-on ordering allows, and one that breaks it.
func TestBulkReadsRowsInAnyOrderWithinTheHoldBack(t *testing.T) {
	t.Parallel()
	const n = 3*shopifyapi.BulkHoldBack + 10
	order := func(i int) string {
		return fmt.Sprintf(`{"id":"gid://shopify/Order/%d","legacyResourceId":"%d","name":"#%d","totalPriceSet":{"shopMoney":{"amount":"1.00"}}}`, i, i, i)
	}
	line := func(i, j int) string {
		return fmt.Sprintf(`{"id":"gid://shopify/LineItem/%d%03d","title":"x","quantity":1,"__parentId":"gid://shopify/Order/%d"}`, i, j, i)
	}
	ship := func(i int) string {
		return fmt.Sprintf(`{"id":"gid://shopify/ShippingLine/%d","title":"Post","__parentId":"gid://shopify/Order/%d"}`, i, i)
	}
	// Each order's rows come BulkHoldBack-1 orders late, kinds interleaved, and order 1
	// has 600 line items (more than a page of orders).
	var rows []string
	late := map[int][]string{}
	for i := 1; i <= n; i++ {
		rows = append(rows, order(i))
		k := 1
		if i == 1 {
			k = 600
		}
		for j := range k {
			late[i+shopifyapi.BulkHoldBack-1] = append(late[i+shopifyapi.BulkHoldBack-1], line(i, j))
			if j == k/2 {
				late[i+shopifyapi.BulkHoldBack-1] = append(late[i+shopifyapi.BulkHoldBack-1], ship(i))
			}
		}
		rows = append(rows, late[i]...)
	}
	for i := n + 1; i < n+shopifyapi.BulkHoldBack; i++ {
		rows = append(rows, late[i]...)
	}
	s := newSim(t, shopifysim.Options{})
	c := newSimClient(t, s, nil, nil)
	got := readFile(t, c, strings.Join(rows, "\n"))
	if len(got) != n {
		t.Fatalf("%d orders, want %d", len(got), n)
	}
	for _, o := range got {
		want := 1
		if o.ID == 1 {
			want = 600
		}
		if len(o.LineItems) != want || len(o.ShippingLines) != 1 {
			t.Errorf("order %d: %d lines, %d shipping lines", o.ID, len(o.LineItems), len(o.ShippingLines))
		}
	}
	// A row later than the hold-back stops the read: the order was handed on without it.
	bad := []string{order(1)}
	for i := 2; i <= 300; i++ {
		bad = append(bad, order(i))
	}
	bad = append(bad, line(1, 1))
	_, err := readFileErr(t, c, strings.Join(bad, "\n"))
	if !errors.Is(err, shopifyapi.ErrBulkOrdering) {
		t.Errorf("late row: %v", err)
	}
	if !slices.ContainsFunc([]string{err.Error()}, func(s string) bool { return strings.Contains(s, "Order/1") }) {
		t.Errorf("the error does not name the order: %v", err)
	}
}

func readFileErr(t *testing.T, c *shopifyapi.Client, content string) ([]shopifyapi.Order, error) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(content))
	}))
	defer srv.Close()
	var out []shopifyapi.Order
	err := c.ReadBulkOrders(context.Background(), srv.URL+"/x.jsonl", 50, func(p []shopifyapi.Order) error {
		out = append(out, p...)
		return nil
	})
	return out, err
}

func readFile(t *testing.T, c *shopifyapi.Client, content string) []shopifyapi.Order {
	t.Helper()
	out, err := readFileErr(t, c, content)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
