package shopdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotOrdersList is returned (wrapped) when a document is not Shopify's order list shape
// {"orders":[…]}.
var ErrNotOrdersList = errors.New(`not a Shopify order list: want {"orders":[...]}`)

// ReadOrdersFile reads a Shopify order list ({"orders":[…]}, as GET orders.json returns it)
// from path; see ReadOrders.
func ReadOrdersFile(path string) ([]json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open orders file: %w", err)
	}
	defer f.Close()
	orders, err := ReadOrders(f)
	if err != nil {
		return nil, fmt.Errorf("read orders file %s: %w", path, err)
	}
	return orders, nil
}

// ReadOrders reads a Shopify order list ({"orders":[…]}) and returns each order as its raw
// JSON, so that fields this package does not model survive unchanged. Every element must be a
// JSON object; other top-level keys are ignored. A document of another shape (a bare array,
// a single {"order":…}, "orders" missing or not an array) yields an error wrapping
// ErrNotOrdersList that says what was found.
func ReadOrders(r io.Reader) ([]json.RawMessage, error) {
	var doc map[string]json.RawMessage
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("%w: the document is a JSON %s", ErrNotOrdersList, typeErr.Value)
		}
		return nil, fmt.Errorf("decode orders document: %w", err)
	}
	if doc == nil {
		return nil, fmt.Errorf("%w: the document is null", ErrNotOrdersList)
	}
	raw, ok := doc["orders"]
	if !ok {
		if _, single := doc["order"]; single {
			return nil, fmt.Errorf(`%w: found a single {"order":...}`, ErrNotOrdersList)
		}
		return nil, fmt.Errorf(`%w: no "orders" key`, ErrNotOrdersList)
	}
	var orders []json.RawMessage
	if err := json.Unmarshal(raw, &orders); err != nil || orders == nil && !bytes.Equal(bytes.TrimSpace(raw), []byte("[]")) {
		return nil, fmt.Errorf(`%w: "orders" is not an array`, ErrNotOrdersList)
	}
	for i, o := range orders {
		if t := bytes.TrimSpace(o); len(t) == 0 || t[0] != '{' {
			return nil, fmt.Errorf("%w: orders[%d] is not an object", ErrNotOrdersList, i)
		}
	}
	if orders == nil {
		orders = []json.RawMessage{}
	}
	return orders, nil
}
