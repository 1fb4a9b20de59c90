package shopifyapi

import (
	"encoding/json"
	"fmt"
	"strings"
)

// plainOrdersPage is the shape of an orders.json body, decoded by encoding/json when the
// body is unusual, so that such bodies give the answer (or error) encoding/json gives.
type plainOrdersPage struct {
	Orders []json.RawMessage `json:"orders"`
}

// decodePage returns the orders of an orders.json body as slices of body, which the caller
// hands over. Decoding into a struct of json.RawMessage would walk every order with
// encoding/json's reflection and copy each one; splitOrders finds them in one pass.
func decodePage(body []byte) ([]json.RawMessage, error) {
	if orders, ok := splitOrders(body); ok {
		return orders, nil
	}
	var plain plainOrdersPage
	if err := json.Unmarshal(body, &plain); err != nil {
		return nil, fmt.Errorf("read shopify orders page: %w", err)
	}
	return plain.Orders, nil
}

// splitOrders returns the elements of body's "orders" array as slices of body (their
// capacity capped, so that appending to one cannot overwrite the next). It gives up (ok
// false) where encoding/json might read the body differently: a key that matches "orders"
// only without regard to case, or an "orders" that is neither an array nor null.
func splitOrders(body []byte) (orders []json.RawMessage, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isFallback := r.(fallback); !isFallback {
				panic(r)
			}
			orders, ok = nil, false
		}
	}()
	d := &scanner{b: body}
	if d.peek() != '{' {
		d.fail()
	}
	d.object(func(key []byte) {
		if string(key) != "orders" {
			if !isASCII(key) || strings.EqualFold(string(key), "orders") {
				d.fail()
			}
			d.value()
			return
		}
		switch d.peek() {
		case 'n':
			d.literal("null")
			orders = nil
		case '[':
			orders = []json.RawMessage{}
			d.array(func() {
				v := d.value()
				orders = append(orders, json.RawMessage(v[:len(v):len(v)]))
			})
		default:
			d.fail()
		}
	})
	d.ws()
	if d.i != len(d.b) {
		d.fail()
	}
	return orders, true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
