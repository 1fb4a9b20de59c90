// Package shopifyjson reads the JSON Shopify sends with encoding/json, leniently where
// Shopify's payloads vary and strictly where a wrong value would become a wrong sale.
//
// It owns two things, shared by every shape of a Shopify document kassa reads (the REST
// order of sync/shopify/shopifyapi today; a GraphQL order, with camelCase names, MoneyBag
// amounts and gid:// ids, later):
//   - The leaf types, each decoding one JSON value: Amount (money as a string or a number,
//     never an exponent), ID (a non-negative integer as a number, a numeric string or a
//     gid://shopify/Type/123 id), Int, Bool, Time (RFC 3339, or without an offset as UTC)
//     and Text (a string, or a number or boolean as its text). null, and "" where a
//     number, an amount or a time is expected, are the zero value. A document shape is a
//     tree of Go structs with json tags whose leaves are these types.
//   - Decode, which decodes a document into such a shape with one call of encoding/json
//     and, only when that fails, walks the document value by value to read what
//     encoding/json refuses but Shopify's payloads contain (an empty {} where a list is
//     expected, an empty [] where an object is) and to name the first value it cannot
//     read by its path ("line_items[3].price") in a *ValueError.
package shopifyjson
