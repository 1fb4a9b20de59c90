package shopifyapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

// samePage fails t unless decodePage reads body as encoding/json reads it into a struct of
// raw messages.
func samePage(t *testing.T, body []byte) {
	t.Helper()
	var want plainOrdersPage
	wantErr := json.Unmarshal(body, &want)
	got, gotErr := decodePage(append([]byte(nil), body...))
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("error = %v, want %v\nbody %q", gotErr, wantErr, body)
	}
	if gotErr != nil {
		return
	}
	if len(got) != len(want.Orders) {
		t.Fatalf("%d orders, want %d\nbody %q", len(got), len(want.Orders), body)
	}
	_, fast := splitOrders(append([]byte(nil), body...))
	for i := range got {
		if !bytes.Equal(got[i], want.Orders[i]) {
			t.Fatalf("order %d = %q, want %q", i, got[i], want.Orders[i])
		}
		if fast && cap(got[i]) != len(got[i]) {
			t.Fatalf("order %d has room to grow into its neighbour", i)
		}
	}
}

var pageBodies = []string{
	`{"orders":[{"id":1},{"id":2,"line_items":[]}]}`, `{"orders":[]}`, `{"orders":null}`, `{}`, `null`, ` {"orders" : [ {"id":1} , null, 3 ] } `,
	`{"other":{"orders":[1]},"orders":[{"id":1}]}`, `{"orders":[{"id":1}],"orders":[{"id":2}]}`, `{"orders":[{"id":1}],"orders":null}`,
	`{"Orders":[{"id":1}]}`, `{"ORDERS":[{"id":1}],"orders":[{"id":2}]}`, `{"ordeſs":[{"id":1}]}`, `{"\u006frders":[{"id":1}]}`,
	`{"orders":{"id":1}}`, `{"orders":"x"}`, `[{"id":1}]`, `"x"`, `{"orders":[{"id":1}]`, `{"orders":[{"id":01}]}`, ``,
	`{"orders":[]} {"orders":[]}`, `{"orders":[{"id":1}]} x`,
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
