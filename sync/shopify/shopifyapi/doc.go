// Package shopifyapi is kassa's client layer for the Shopify Admin REST API.
//
// It owns three things:
//   - Order and DecodeOrder: kassa's own lenient order model. go-shopify v4.7.0's types drop
//     total_outstanding and fail a whole order on one unexpected field, so orders are
//     fetched as raw JSON and decoded here, one order at a time.
//   - Transport: an http.RoundTripper placed under go-shopify that paces requests from the
//     X-Shopify-Shop-Api-Call-Limit header, honours 429 Retry-After, retries 5xx answers,
//     dropped connections and truncated bodies with capped, jittered exponential backoff,
//     and can redirect https://{shop}.myshopify.com to another base URL (the simulator).
//   - Client: counting, listing (page by page) and fetching orders. go-shopify builds the
//     requests; a page's body comes back from the Transport on the answer and goes to
//     DecodeOrder without passing through go-shopify's decoding.
package shopifyapi
