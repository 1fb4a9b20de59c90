// Package shopifyapi is kassa's client layer for the Shopify Admin API, GraphQL and REST.
//
// Orders are read through GraphQL (gqlorders.go: pages of the orders query whose size the
// query's cost decides; bulk.go: bulk exports, downloaded and assembled into orders while
// they download, under the ordering documented there; gqlorder.go: DecodeGraphQLOrder, into
// the same Order as DecodeOrder; gqlrefunds.go: the refunds those name, detailed by id
// for each page), or, for a connection that asks for it, through REST as
// below. Webhook bodies are REST-shaped and always go to DecodeOrder.
//
// Its REST side owns three things:
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
//
// # Two order decoders, and why
//
// What DecodeOrder answers is defined by the reference decoder (decodeReference): the
// order's REST shape (restOrder, the list of the fields kassa reads, with their JSON names)
// decoded by encoding/json, its leaves shopifyjson's lenient values (Amount, ID, Int, Bool,
// Time, Text), which a GraphQL order shape will reuse. It also names the field in error.
//
// Almost every order is read instead by a single pass written for the purpose (decodeFast,
// fast.go), which reads the same leaves with the same shopifyjson code but walks the JSON
// itself, and gives up, to the reference, on anything it does not read exactly as the
// reference would. TestDecodeOrderMatchesReference and FuzzDecodeOrder keep the two in step.
// The single pass stays because it makes a backfill cheaper by a sixth, measured side by side
// on 2026-12-02 (2 shared cores, AMD EPYC, go1.26.8; load averages in parentheses):
//
//   - Decoding 1,000 generated orders (about 4.4 KB each; BenchmarkDecodeGeneratedOrders,
//     median of 3, load 5–9): the single pass 23 µs, 8,506 B and 137 allocations an order;
//     the reference 88 µs, 11,155 B, 172 allocations. encoding/json alone needs 21 µs to
//     validate such an order (json.Valid) and 45 µs to validate and skip it (Unmarshal into
//     struct{}), so no decoder built on it can come near the single pass.
//   - A backfill of 20,000 generated orders without rate limit (figure 1 of make bench), one
//     kassa binary with either decoder, runs interleaved in the same minutes: kassa serve
//     spent 98–108 µs of CPU an order with the single pass and 152–163 µs with the
//     reference (medians of three batches of 4 to 10 runs each, load 5–13): 59 % more. Counting
//     PostgreSQL's and the simulator's CPU as well (third batch), an imported order cost
//     365 µs against 430 µs (+18 %): 5,470 against 4,640 orders/s on 2 cores of its own (−15 %). The
//     backfill's own rate on the busy host moved more from one minute to the next than
//     between decoders (medians 3,107 against 3,172, 1,782 against 1,731 and 4,094
//     against 2,917 orders/s in the three batches).
package shopifyapi
