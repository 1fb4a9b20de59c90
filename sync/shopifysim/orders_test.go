package shopifysim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/kassa-pos/kassa/sync/shopifysim"
)

func TestListAllReturnsEveryOrderOnceAcrossPages(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{RawOrders: manyOrders(t, 123)})
	for _, version := range []string{"", "2024-10"} {
		t.Run("version="+version, func(t *testing.T) {
			var opts []goshopify.Option
			if version != "" {
				opts = append(opts, goshopify.WithVersion(version))
			}
			c := newClient(t, s, opts...)
			ctx := context.Background()
			all, err := c.Order.ListAll(ctx, goshopify.OrderListOptions{ListOptions: goshopify.ListOptions{Limit: 25}, Status: "any"})
			if err != nil {
				t.Fatalf("ListAll: %v", err)
			}
			n, err := c.Order.Count(ctx, goshopify.OrderCountOptions{Status: "any"})
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			if len(all) != 123 || n != 123 {
				t.Fatalf("ListAll got %d orders, Count %d; want 123", len(all), n)
			}
			got := ids(all)
			if !slices.IsSortedFunc(got, func(a, b uint64) int { return int(b) - int(a) }) {
				t.Errorf("orders not newest first: %v", got[:5])
			}
			slices.Sort(got)
			if len(slices.Compact(got)) != 123 {
				t.Errorf("duplicates in ListAll")
			}
		})
	}
	// Every page after the first was asked for with page_info and limit only.
	for _, r := range s.Requests() {
		if strings.Contains(r.Query, "page_info=") && strings.Contains(r.Query, "status=") {
			t.Errorf("next page request carried a filter: %s", r.Query)
		}
	}
}

func TestListWithPaginationWalksForwardAndBack(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{RawOrders: manyOrders(t, 10)})
	c := newClient(t, s, goshopify.WithVersion("2024-10"))
	ctx := context.Background()

	p1, pag, err := c.Order.ListWithPagination(ctx, goshopify.OrderListOptions{ListOptions: goshopify.ListOptions{Limit: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if pag.PreviousPageOptions != nil || pag.NextPageOptions == nil {
		t.Fatalf("first page links: prev %v next %v", pag.PreviousPageOptions, pag.NextPageOptions)
	}
	p2, pag2, err := c.Order.ListWithPagination(ctx, pag.NextPageOptions)
	if err != nil {
		t.Fatal(err)
	}
	if pag2.PreviousPageOptions == nil || pag2.NextPageOptions == nil {
		t.Fatalf("middle page must link both ways")
	}
	p3, pag3, err := c.Order.ListWithPagination(ctx, pag2.NextPageOptions)
	if err != nil {
		t.Fatal(err)
	}
	if pag3.NextPageOptions != nil || pag3.PreviousPageOptions == nil || len(p3) != 2 {
		t.Fatalf("last page: %d orders, next %v", len(p3), pag3.NextPageOptions)
	}
	back, _, err := c.Order.ListWithPagination(ctx, pag2.PreviousPageOptions)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(back), ids(p1)) {
		t.Errorf("previous of page 2 = %v, want page 1 %v", ids(back), ids(p1))
	}
	want := []uint64{1010, 1009, 1008, 1007, 1006, 1005, 1004, 1003, 1002, 1001}
	if got := slices.Concat(ids(p1), ids(p2), ids(p3)); !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
}

func TestLinkHeaderShape(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{Shop: "shop.myshopify.com", RawOrders: manyOrders(t, 5)})
	resp := get(t, s, "/admin/api/2024-10/orders.json?limit=2&fields=id,name")
	link := resp.Header.Get("Link")
	if !strings.HasPrefix(link, "<https://shop.myshopify.com/admin/api/2024-10/orders.json?") || !strings.HasSuffix(link, `>; rel="next"`) {
		t.Fatalf("Link = %q", link)
	}
	if strings.Count(link, ",") != 0 || !strings.Contains(link, "fields=id%2Cname") {
		t.Errorf("commas in fields must be percent-encoded: %q", link)
	}
	var body struct{ Orders []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Orders) != 2 || len(body.Orders[0]) != 2 || body.Orders[0]["name"] != "#1005" {
		t.Errorf("fields=id,name gave %v", body.Orders)
	}
	// A single page has no Link header.
	if l := get(t, s, "/admin/orders.json?limit=50").Header.Get("Link"); l != "" {
		t.Errorf("single page Link = %q", l)
	}
	for _, h := range []string{"X-Shopify-Shop-Api-Call-Limit", "X-Shopify-API-Version", "X-Request-Id"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestRawCommaLinksBreakGoShopify(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{RawCommaLinks: true, RawOrders: manyOrders(t, 5)})
	c := newClient(t, s)
	_, err := c.Order.ListAll(context.Background(), goshopify.OrderListOptions{
		ListOptions: goshopify.ListOptions{Limit: 2, Fields: "id,name"}})
	var de goshopify.ResponseDecodingError
	if !errors.As(err, &de) {
		t.Fatalf("want go-shopify's pagination decoding error, got %v", err)
	}
}

func TestPageInfoWithFilterIsRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{RawOrders: manyOrders(t, 5)})
	c := newClient(t, s, goshopify.WithVersion("2024-10"))
	ctx := context.Background()
	_, pag, err := c.Order.ListWithPagination(ctx, goshopify.OrderListOptions{ListOptions: goshopify.ListOptions{Limit: 2}, Status: "any"})
	if err != nil {
		t.Fatal(err)
	}
	bad := goshopify.OrderListOptions{ListOptions: *pag.NextPageOptions, Status: "any"}
	_, _, err = c.Order.ListWithPagination(ctx, bad)
	var re goshopify.ResponseError
	if !errors.As(err, &re) || re.Status != 400 {
		t.Fatalf("want 400, got %v", err)
	}
	want := "status: status cannot be passed when page_info is present. See https://shopify.dev/api/usage/pagination-rest for more information."
	if re.Message != want {
		t.Errorf("message = %q", re.Message)
	}

	resp := get(t, s, "/admin/api/2024-10/orders.json?limit=251")
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || string(b) != `{"errors":"Limit exceeds maximum limit of 250"}` {
		t.Errorf("limit=251: %d %s", resp.StatusCode, b)
	}
}

func TestFiltersAndSinceID(t *testing.T) {
	t.Parallel()
	h := time.Hour
	orders := []orderSpec{
		{id: 1, age: 10 * h, financial: "paid", fulfillment: "fulfilled", closed: true},
		{id: 2, age: 9 * h, financial: "pending"},
		{id: 3, age: 8 * h, financial: "authorized"},
		{id: 4, age: 7 * h, financial: "partially_paid", fulfillment: "partial"},
		{id: 5, age: 6 * h, financial: "voided", cancelled: true},
		{id: 6, age: 5 * h, financial: "paid", updatedAge: ptr(1 * h)},
		{id: 7, age: 4 * h, financial: "refunded", closed: true, cancelled: true},
	}
	var raw []json.RawMessage
	for _, o := range orders {
		raw = append(raw, rawOrder(t, o))
	}
	s := newServer(t, shopifysim.Options{RawOrders: raw})
	c := newClient(t, s)
	ctx := context.Background()
	at := func(age time.Duration) time.Time { return testNow.Add(-age) }
	cases := []struct {
		name string
		opts goshopify.OrderListOptions
		want []uint64
	}{
		{"default status open", goshopify.OrderListOptions{}, []uint64{6, 4, 3, 2}},
		{"any", goshopify.OrderListOptions{Status: "any"}, []uint64{7, 6, 5, 4, 3, 2, 1}},
		{"closed", goshopify.OrderListOptions{Status: "closed"}, []uint64{7, 1}},
		{"cancelled", goshopify.OrderListOptions{Status: "cancelled"}, []uint64{7, 5}},
		{"unpaid", goshopify.OrderListOptions{Status: "any", FinancialStatus: "unpaid"}, []uint64{4, 3}},
		{"pending", goshopify.OrderListOptions{Status: "any", FinancialStatus: "pending"}, []uint64{2}},
		{"shipped", goshopify.OrderListOptions{Status: "any", FulfillmentStatus: "shipped"}, []uint64{1}},
		{"unfulfilled", goshopify.OrderListOptions{Status: "any", FulfillmentStatus: "unfulfilled"}, []uint64{7, 6, 5, 4, 3, 2}},
		{"unshipped", goshopify.OrderListOptions{Status: "any", FulfillmentStatus: "unshipped"}, []uint64{7, 6, 5, 3, 2}},
		{"created range inclusive", goshopify.OrderListOptions{Status: "any", ListOptions: goshopify.ListOptions{
			CreatedAtMin: at(9 * h), CreatedAtMax: at(7 * h)}}, []uint64{4, 3, 2}},
		{"updated min", goshopify.OrderListOptions{Status: "any", ListOptions: goshopify.ListOptions{UpdatedAtMin: at(2 * h)}}, []uint64{6}},
		{"processed max", goshopify.OrderListOptions{Status: "any", ProcessedAtMax: at(9 * h)}, []uint64{2, 1}},
		{"ids", goshopify.OrderListOptions{Status: "any", ListOptions: goshopify.ListOptions{Ids: []uint64{2, 5, 99}}}, []uint64{5, 2}},
		{"since_id ascending", goshopify.OrderListOptions{Status: "any", ListOptions: goshopify.ListOptions{SinceId: ptr(uint64(3))}}, []uint64{4, 5, 6, 7}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Order.ListAll(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("got %v, want %v", ids(got), tc.want)
			}
		})
	}
	// since_id keeps ascending id order across pages.
	got, err := c.Order.ListAll(ctx, goshopify.OrderListOptions{Status: "any", ListOptions: goshopify.ListOptions{SinceId: ptr(uint64(1)), Limit: 2}})
	if err != nil || !slices.Equal(ids(got), []uint64{2, 3, 4, 5, 6, 7}) {
		t.Errorf("since_id paged: %v %v", ids(got), err)
	}
	n, err := c.Order.Count(ctx, goshopify.OrderCountOptions{FinancialStatus: "unpaid", Status: "any"})
	if err != nil || n != 2 {
		t.Errorf("count unpaid = %d, %v", n, err)
	}
}

func TestSixtyDayWindow(t *testing.T) {
	t.Parallel()
	raw := []json.RawMessage{
		rawOrder(t, orderSpec{id: 501, age: 61 * 24 * time.Hour}),
		rawOrder(t, orderSpec{id: 502, age: 59 * 24 * time.Hour}),
	}
	for _, readAll := range []bool{false, true} {
		s := newServer(t, shopifysim.Options{RawOrders: raw, ReadAllOrders: readAll})
		c := newClient(t, s)
		ctx := context.Background()
		list, err := c.Order.ListAll(ctx, goshopify.OrderListOptions{Status: "any"})
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.Order.Count(ctx, goshopify.OrderCountOptions{Status: "any"})
		if err != nil {
			t.Fatal(err)
		}
		_, getErr := c.Order.Get(ctx, 501, nil)
		if readAll {
			if len(list) != 2 || n != 2 || getErr != nil {
				t.Errorf("read_all_orders: list %v count %d get %v", ids(list), n, getErr)
			}
			continue
		}
		if !slices.Equal(ids(list), []uint64{502}) || n != 1 {
			t.Errorf("window: list %v count %d", ids(list), n)
		}
		var re goshopify.ResponseError
		if !errors.As(getErr, &re) || re.Status != 404 || re.Message != "Not Found" {
			t.Errorf("old order get: %v", getErr)
		}
		if len(s.AllOrders()) != 2 {
			t.Errorf("AllOrders must ignore the window")
		}
	}
}

func TestWindowByUpdatedAt(t *testing.T) {
	t.Parallel()
	// Created 61 days ago, updated yesterday: visible only when the window follows updated_at.
	raw := rawOrder(t, orderSpec{id: 601, age: 61 * 24 * time.Hour, updatedAge: ptr(24 * time.Hour)})
	for by, want := range map[string]int{"": 0, "updated_at": 1} {
		s := newServer(t, shopifysim.Options{RawOrders: []json.RawMessage{raw}, WindowBy: by})
		n, err := newClient(t, s).Order.Count(context.Background(), goshopify.OrderCountOptions{Status: "any"})
		if err != nil || n != want {
			t.Errorf("WindowBy %q: count %d, %v; want %d", by, n, err, want)
		}
	}
	if _, err := shopifysim.NewServer(shopifysim.Options{WindowBy: "closed_at"}); err == nil {
		t.Error("an unknown window timestamp must be refused")
	}
}

func TestUnknownFieldsSurviveAndTokenIsChecked(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{RawOrders: manyOrders(t, 1)})
	resp := get(t, s, "/admin/orders/1001.json")
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"x_unknown_field":"kept"`) {
		t.Errorf("unknown field lost: %s", b)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/admin/orders.json", nil)
	req.Header.Set("X-Shopify-Access-Token", "wrong")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	b2, _ := io.ReadAll(r2.Body)
	if r2.StatusCode != 401 || r2.Header.Get("WWW-Authenticate") == "" ||
		string(b2) != `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}` {
		t.Errorf("bad token: %d %q %s", r2.StatusCode, r2.Header.Get("WWW-Authenticate"), b2)
	}
}

func TestUpdateOrderAndPlaceOrderAreVisible(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{RawOrders: manyOrders(t, 3)})
	c := newClient(t, s)
	ctx := context.Background()
	if err := s.PlaceRawOrder(rawOrder(t, orderSpec{id: 2000, age: time.Minute})); err != nil {
		t.Fatal(err)
	}
	if err := s.PlaceRawOrder(rawOrder(t, orderSpec{id: 2000, age: time.Minute})); err == nil {
		t.Error("placing a duplicate id must fail")
	}
	if _, err := s.UpdateOrder(1001, func(o map[string]any) { o["financial_status"] = "refunded" }); err != nil {
		t.Fatal(err)
	}
	got, err := c.Order.Get(ctx, 1001, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.FinancialStatus != "refunded" || !got.UpdatedAt.Equal(testNow) {
		t.Errorf("updated order: %s %v", got.FinancialStatus, got.UpdatedAt)
	}
	list, err := c.Order.List(ctx, goshopify.OrderListOptions{ListOptions: goshopify.ListOptions{Limit: 1}})
	if err != nil || len(list) != 1 || list[0].Id != 2000 {
		t.Errorf("newest order: %v %v", ids(list), err)
	}
	if _, err := s.UpdateOrder(9, func(map[string]any) {}); !errors.Is(err, shopifysim.ErrOrderNotFound) {
		t.Errorf("unknown order update: %v", err)
	}
}
