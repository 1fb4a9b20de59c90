package shopifyapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

// decodeLikeGoShopify decodes body into resource as go-shopify v4.7.0 decodes a response.
func decodeLikeGoShopify(body []byte, resource any) error {
	v := resource
	return json.NewDecoder(bytes.NewReader(body)).Decode(&v)
}

// samePage fails t unless ordersPage reads body as the plain struct of raw messages does.
func samePage(t *testing.T, body []byte) {
	t.Helper()
	var got ordersPage
	var want plainOrdersPage
	gotErr := decodeLikeGoShopify(body, &got)
	wantErr := decodeLikeGoShopify(body, &want)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("error = %v, want %v\nbody %q", gotErr, wantErr, body)
	}
	if gotErr != nil {
		return
	}
	if len(got.Orders) != len(want.Orders) {
		t.Fatalf("%d orders, want %d\nbody %q", len(got.Orders), len(want.Orders), body)
	}
	_, fast := splitOrders(append([]byte(nil), body...))
	for i := range got.Orders {
		if !bytes.Equal(got.Orders[i], want.Orders[i]) {
			t.Fatalf("order %d = %q, want %q", i, got.Orders[i], want.Orders[i])
		}
		if fast && cap(got.Orders[i]) != len(got.Orders[i]) {
			t.Fatalf("order %d has room to grow into its neighbour", i)
		}
	}
}

var pageBodies = []string{
	`{"orders":[{"id":1},{"id":2,"line_items":[]}]}`, `{"orders":[]}`, `{"orders":null}`, `{}`, `null`, ` {"orders" : [ {"id":1} , null, 3 ] } `,
	`{"other":{"orders":[1]},"orders":[{"id":1}]}`, `{"orders":[{"id":1}],"orders":[{"id":2}]}`, `{"orders":[{"id":1}],"orders":null}`,
	`{"Orders":[{"id":1}]}`, `{"ORDERS":[{"id":1}],"orders":[{"id":2}]}`, `{"ordeſs":[{"id":1}]}`, `{"\u006frders":[{"id":1}]}`,
	`{"orders":{"id":1}}`, `{"orders":"x"}`, `[{"id":1}]`, `"x"`, `{"orders":[{"id":1}]`, `{"orders":[{"id":01}]}`, ``,
}

func TestOrdersPageReadsLikeRawMessages(t *testing.T) {
	t.Parallel()
	for _, body := range pageBodies {
		samePage(t, []byte(body))
	}
}

func FuzzOrdersPage(f *testing.F) {
	for _, body := range pageBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { samePage(t, body) })
}
