package daemon

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// filling says how fill sets a value's slices and pointers.
type filling int

const (
	full  filling = iota // every field set, every slice two elements long, every pointer set
	empty                // every slice empty but not nil, every pointer nil
	zero                 // the zero value: nil slices, nil pointers
)

// fill sets every exported field reachable from v to a value of its own (strings and
// numbers from a counter, so no two fields are alike), as f says.
func fill(v reflect.Value, f filling, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		if f == full {
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem(), f, n)
		}
	case reflect.Slice:
		size := 0
		if f == full {
			size = 2
		}
		v.Set(reflect.MakeSlice(v.Type(), size, size))
		for i := range size {
			fill(v.Index(i), f, n)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), f, n)
			}
		}
	default:
		panic("fill: no rule for " + v.Kind().String())
	}
}

// sameJSON fails the test when the domain's value and the API's view of it encode to
// different JSON.
func sameJSON[D, V any](t *testing.T, name string, view func(D) V) {
	t.Helper()
	for _, f := range []filling{full, empty, zero} {
		var d D
		if f != zero {
			n := 0
			fill(reflect.ValueOf(&d).Elem(), f, &n)
		}
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(view(d))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s (filling %d): the API's view encodes as\n%s\nthe domain's value as\n%s", name, f, got, want)
		}
	}
}

// TestViewsEncodeLikeTheDomain: the API answers with daemon/client's types and the command
// line prints the domain's views; a script reading either gets the same bytes. A field
// added to one side only, renamed, retagged or moved fails here.
func TestViewsEncodeLikeTheDomain(t *testing.T) {
	t.Parallel()
	sameJSON(t, "sale", saleView)
	sameJSON(t, "return", returnView)
	sameJSON(t, "stock row", stockView)
	sameJSON(t, "closing report", closingView)
	sameJSON(t, "nightly report", nightlyView)
	sameJSON(t, "counts", countsView)
}
