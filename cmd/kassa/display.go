package main

import "github.com/kassa-pos/kassa/internal/text"

// cellWidth is how wide a name or title may be in a table the command line prints.
const cellWidth = 60

// safeLine makes a text from the database safe to print as part of a line: names and titles
// come from Shopify's checkout, where anyone can type an escape sequence that a terminal
// would obey. JSON output keeps the stored text.
func safeLine(s string) string { return text.Clean(s, text.MaxName) }

// safeCell is safeLine for a table cell: also clipped to cellWidth columns, so one long name
// does not push every other column off the screen.
func safeCell(s string) string { return text.Clip(s, cellWidth) }
