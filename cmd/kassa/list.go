package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// table says how a list command shows its items: as JSON with --json, else as a table of
// aligned columns under a header.
type table[T any] struct {
	// json is an item's --json shape; nil prints the items as they are. An empty list is
	// always [], never null.
	json func(T) any
	// header names the columns, tab-separated: "SKU\tNAME\tON HAND".
	header string
	// row is an item's cells, in the header's order.
	row func(T) []any
	// none, when set, is said instead of an empty table.
	none string
}

// listCommand makes cmd a list command: no arguments, --json, and a run that loads the
// items and prints them as t says. load checks the command's flags and opens the
// database itself, in the order it needs.
func listCommand[T any](c *cli, cmd *cobra.Command, load func(ctx context.Context) ([]T, error), t table[T]) *cobra.Command {
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		items, err := load(cmd.Context())
		if err != nil {
			return err
		}
		return printList(c, items, t)
	}
	c.addJSONFlag(cmd)
	return cmd
}

// printList prints items as t says.
func printList[T any](c *cli, items []T, t table[T]) error {
	if c.jsonOut {
		if t.json == nil {
			if items == nil {
				items = []T{}
			}
			return c.printJSON(items)
		}
		out := make([]any, 0, len(items))
		for _, it := range items {
			out = append(out, t.json(it))
		}
		return c.printJSON(out)
	}
	if len(items) == 0 && t.none != "" {
		fmt.Fprintln(c.stdout, t.none)
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, t.header)
	for _, it := range items {
		for i, cell := range t.row(it) {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, cell)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
