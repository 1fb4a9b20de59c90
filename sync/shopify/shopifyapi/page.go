package shopifyapi

import (
	"encoding/json"
	"strings"
)

// ordersPage is the body of orders.json as ListOrders gives it to go-shopify. Decoding it
// into a struct of json.RawMessage would walk every order with encoding/json's reflection
// and copy each one; UnmarshalJSON instead copies the body once and keeps the orders as
// slices of that copy, found in one pass of the scanner.
type ordersPage struct {
	Orders []json.RawMessage
}

// plainOrdersPage is the shape ordersPage reads, decoded by encoding/json when the body is
// unusual, so that such bodies give the answer (or error) they always gave.
type plainOrdersPage struct {
	Orders []json.RawMessage `json:"orders"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *ordersPage) UnmarshalJSON(data []byte) error {
	// data belongs to the decoder, which reuses it: keep a copy.
	body := append([]byte(nil), data...)
	if orders, ok := splitOrders(body); ok {
		p.Orders = orders
		return nil
	}
	var plain plainOrdersPage
	err := json.Unmarshal(body, &plain)
	p.Orders = plain.Orders
	return err
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
