// Package daemon is "kassa serve": the long-running process that serves the HTTP API of
// the register terminals, receives Shopify webhooks, polls connections for new orders and
// writes the nightly reports. It adds no business rule of its own: every rule lives in the
// domain packages (register, sales, inventory, sync/shopify), which the daemon calls.
//
// Several daemons may run against one database. Any of them serves the API and accepts
// webhooks; stored webhook deliveries are shared out with FOR UPDATE SKIP LOCKED; one
// import runs per connection at a time (the importer's advisory lock) and one instance
// writes an outlet's nightly report (an advisory lock of the daemon's, taken in the
// transaction that writes it), so when an instance dies another does its work at its next
// tick.
//
// The webhook address is public: a delivery is refused from its headers when it cannot be
// the shop's (unknown shop, malformed signature) before its body is read, few are read at
// once and each briefly, every unverified one gets the same answer, only subscribed topics
// carrying the body their topic says are stored, app/uninstalled is believed only when
// Shopify refuses the connection's credentials, and a stored delivery is committed with
// synchronous_commit on before it is answered 200 (see webhooks.go and webhooktopics.go).
// The daemon subscribes the shops to its topics itself (webhooksubs.go): at start and every
// 15 minutes, at its --public-url or the one each shop was connected with, creating what
// Shopify lacks (it deletes a subscription after eight failed deliveries). orders/edited,
// orders/cancelled and refunds/create deliveries are verified and kept, unprocessed, for
// the version of kassa that turns them into documents of the sale.
//
// Roles: a cashier token runs the register (registers and sessions, payments, sales,
// imports, stock, closing reports); a manager token also reads and writes the nightly
// reports and manages the Shopify connections.
//
// Owns tables: webhook_deliveries.
package daemon
