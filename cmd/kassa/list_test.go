package main

import (
	"bytes"
	"testing"
)

// TestPrintList: every list command prints through printList, so its shapes hold for all
// of them: --json is an array even when empty, a table's columns line up, and a list
// with something to say when empty says it.
func TestPrintList(t *testing.T) {
	t.Parallel()
	type item struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	tab := table[item]{header: "NAME\tN", row: func(i item) []any { return []any{i.Name, i.N} }}
	items := []item{{"Espresso cup", 4}, {"Mug", -12}}
	for _, c := range []struct {
		name  string
		json  bool
		items []item
		t     table[item]
		want  string
	}{
		{"table", false, items, tab, "NAME          N\nEspresso cup  4\nMug           -12\n"},
		{"empty table", false, nil, tab, "NAME  N\n"},
		{"empty with a word", false, nil, table[item]{header: "NAME\tN", none: "no items yet"}, "no items yet\n"},
		{"json as it is", true, items[:1], tab, "[\n  {\n    \"name\": \"Espresso cup\",\n    \"n\": 4\n  }\n]\n"},
		{"json of none", true, nil, tab, "[]\n"},
		{"json shaped", true, items[1:], table[item]{json: func(i item) any { return i.Name }}, "[\n  \"Mug\"\n]\n"},
		{"json shaped of none", true, nil, table[item]{json: func(i item) any { return i.Name }}, "[]\n"},
	} {
		var out bytes.Buffer
		cl := &cli{stdout: &out, jsonOut: c.json}
		if err := printList(cl, c.items, c.t); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if out.String() != c.want {
			t.Errorf("%s: printed\n%q\nwant\n%q", c.name, out.String(), c.want)
		}
	}
}
