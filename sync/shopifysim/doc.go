// Package shopifysim serves a simulated Shopify shop on a loopback port, in the style of
// net/http/httptest, so that the real go-shopify v4.7.0 client can be exercised without
// reaching Shopify.
//
// The simulator also serves a subset of the GraphQL Admin API (2026-10) at
// /admin/api/{version}/graphql.json: the schema is SDL in schema/*.graphql, every query is
// parsed and validated against it with gqlparser (never matched as text) and run by a small
// executor with a resolver per field (graphqlexec.go). Queries cost what Shopify's
// calculated query cost says (object 1, scalar 0, connection 2 + first × node, mutation 10;
// over 1000 refused as MAX_COST_EXCEEDED) and are paid from a per-plan bucket of points
// (graphqlcost.go): the requested cost is taken before running, the unused part given back
// after, and a query the bucket cannot pay for is answered THROTTLED with extensions.cost.
// Orders are served through GraphQL too (graphqlorders.go: the orders query over the same
// stored orders the REST endpoints and webhooks serve, rendered as Shopify's GraphQL
// Order), and bulk query operations write them as Shopify's flat JSONL
// (graphqlbulk.go). A Dev Dashboard app (Options.ClientID) gets access tokens from /admin/oauth/access_token
// with Shopify's refusals, and its tokens expire (oauth.go). Every answer names the API
// version it was served in; a version older than the oldest served falls forward.
//
// The simulator owns the subset of the Shopify Admin REST API that kassa uses: order listing
// with Shopify's filters and cursor pagination (Link headers and opaque page_info cursors that
// carry the first request's filters), order counts, single orders and their transactions, the
// 60-day window an app without read_all_orders sees, products with variants, locations and
// inventory levels, webhook subscriptions and signed webhook deliveries with retries, the
// leaky-bucket rate limit with its headers and 429 answers, and injectable faults (5xx, slow
// answers, dropped connections, truncated bodies).
//
// Rules chosen where Shopify's documentation is silent (see shared/SHOPIFY-API.md):
//   - Lists without since_id are sorted newest first by created_at, ties by id descending;
//     with since_id they are sorted by id ascending.
//   - status=open means neither closed nor cancelled; closed means closed_at is set;
//     cancelled means cancelled_at is set.
//   - The 60-day window is measured on created_at (Options.WindowBy picks another
//     timestamp) against the injected clock.
//   - The zero Plan means no rate limit; the rate limit runs on real (monotonic) time, not on
//     the injected clock, so that a fixed test clock does not freeze the bucket.
//   - Faults apply to /admin/ paths only, never to the /_sim/ control endpoints; bulk results
//     (/_bulk/) have faults of their own (BulkOptions, SetBulkFaults).
//   - A GraphQL order's delivery method is SHIPPING when the REST order has shipping lines
//     and a line that requires shipping, else NONE; a refund's totalRefundedSet is the sum of
//     its successful refund transactions; a REST field that is absent reads as REST's zero.
//   - Without groupObjects a bulk export writes each order's children after the next order's
//     row (Shopify only guarantees that a child comes after its parent).
//   - Placing a paid order delivers orders/create and orders/paid (one event id); an update
//     delivers orders/updated, plus orders/paid or orders/cancelled when it paid or
//     cancelled the order.
//   - Placing an order takes its tracked line items out of the first location's stock.
//   - Uninstalling the app (Server.Uninstall, POST /_sim/uninstall) delivers app/uninstalled
//     with the shop resource, then removes every webhook subscription; from then on the
//     access token is answered 401, as Shopify answers a revoked token.
//
// A test starts a shop and points the real client at it:
//
//	sim, err := shopifysim.NewServer(shopifysim.Options{
//		Clock:    func() time.Time { return now },
//		Generate: &shopdata.GenerateOptions{Seed: 1, Orders: 200, Days: 90},
//		Plan:     shopifysim.CustomPlan(10, 100),
//	})
//	defer sim.Close()
//	client, err := sim.Client(goshopify.App{ApiSecret: sim.Secret})
//
// Other code reaches the simulator with goshopify.WithHTTPClient and Server.Transport, or by
// sending requests to Server.URL directly.
//
// Faults: a dropped connection on a reused keep-alive connection is retried once by Go's
// own http.Transport for GET requests, so a client only sees the drop when it happens on a
// fresh connection (or twice in a row). Truncated bodies and 5xx answers are always seen.
//
// The simulator stands apart from kassa's own Shopify code (sync/shopify): production code
// never imports it. Tests, and the kassa shopify-sim and kassa demo commands, do;
// internal/archtest fails when another package starts to.
//
// Orders are stored as the raw JSON objects they were given as, so that orders loaded from a
// file keep fields the simulator does not know about; only the fields it filters on are
// parsed.
package shopifysim
