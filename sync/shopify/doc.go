// Package shopify links kassa to Shopify shops: the connections (one shop bound to one outlet
// and register), and the importer that turns the shop's orders into POS sales by the rules of
// DESIGN.md ("Importing orders: the rules").
//
// A connection authenticates as its app was made. An app made in Shopify's Dev Dashboard
// (every app since 2026) has a Client ID and a client secret: kassa asks the shop for an
// access token with them (the client credentials grant; tokens live 24 hours), keeps the
// token sealed with its expiry, and renews it ahead of the expiry and once on a 401, one
// process at a time whatever the number of daemons (token.go). The client secret also signs
// the app's webhooks. An app made in the Shopify admin before 2026 keeps its static token
// and webhook secret. CheckAndConnect asks Shopify before storing anything (connect.go);
// OpenClient opens a connection's client with the right token source and records, when the
// client is closed, its last successful call and the API version Shopify answered in
// (client.go); SyncWebhooks subscribes the shop to kassa's webhook topics at its public URL
// (webhooksubs.go).
//
// An import run reads the orders page by page (250 a page, status=any), gives every order
// exactly one outcome (imported, already_imported, cancelled, test_order, too_old,
// no_shipping_method or failed, checked in that order) and records each in the import log
// together with the order as Shopify sent it (the orders written together compressed in one
// zstd frame, a row of import_order_json; RunLog.RawOrder gives one back). A page goes
// fetch → classify and map (pure, mapping.go) → one transaction that calls the owners of the
// rows it writes: inventory resolves the products, sales the customers and records the
// sales, register share-locks the open session, inventory moves the stock, and the run log
// (runlog.go) records the outcomes and counts, each set-based. The run's cache (cache.go)
// spares later pages the look-ups of products and customers earlier pages met. When that
// transaction fails, the page's orders are written one by one, so one bad order never holds
// back the others and never leaves half a sale. Only one
// run per connection works at a time, whichever process started it: the run holds a
// PostgreSQL advisory lock keyed by the connection id on a connection of its own.
//
// Rules chosen where DESIGN.md is silent:
//   - Payment types by gateway: what Shopify collected for an order paid by bank deposit
//     alone (once the shop marked it paid) is recorded as "Bank deposit", like the deposits
//     staff apply at the register; everything else (shopify_payments, paypal, gift_card,
//     manual, cash on delivery, unknown gateways, and a bank deposit combined with another
//     gateway, where the deposit is the part still owed) is recorded as "Shopify". Money
//     collected online is neither in the drawer nor in the card terminal's batch, so the
//     closing counts of Cash and Card stay exactly what staff can count.
//   - An order whose currency differs from the outlet's is failed: a sale has one currency.
//   - The shipping-fee line carries the method's price as unit price and its shipping
//     discounts as discount, so the line total is what the buyer paid for shipping and the
//     sale's discount total equals Shopify's total_discounts. An order with several shipping
//     lines gets one shipping-fee line per shipping line.
//   - The first connection's shipping-fee product has SKU SHOPIFY-SHIPPING; further shops get
//     SHOPIFY-SHIPPING-<SHOP> so that reports can tell the shops' shipping fees apart.
//   - A line item whose variant Shopify no longer knows and which has no SKU is recorded as a
//     custom line: there is no product to find, create or move stock for.
//   - A product created by an import tracks stock when Shopify tracks the variant
//     (variant_inventory_management "shopify"). Payloads that lack that field altogether
//     (hand-made files, older exports) say nothing about it: there, goods that need shipping
//     are taken to be stocked, as products entered in the POS are.
//   - Refunds made in Shopify are not imported: the sale records the order as it was sold.
//
// Owns tables: shopify_connections, shopify_credentials, shopify_webhook_subscriptions,
// import_runs, import_outcomes, import_order_json and shopify_reconciliations.
package shopify
