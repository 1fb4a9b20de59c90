// Package register owns the registers of an outlet and their sessions: opening with a
// float, closing with the counted amounts, applying payments inside an open session and
// voiding them while it is still open, and the closing reports.
//
// A register has at most one open session (the database holds that rule with a partial
// unique index), and a closed session never changes (a trigger refuses any change to it,
// to its counts, and any sale, payment or void added to it). Each close gets the
// register's next Z number, without a gap. Who opened, closed, took or voided something is
// recorded as a staff name next to the API token it came with (none from the command line).
//
// The reports read what is not the register's through its owners, in the report's
// transaction (one snapshot for a nightly report): sales and payments from sales, the
// outlet and the stock that went negative from inventory, the tokens' names from staff, and
// the import failures of the day from an ImportLog the caller gives (sync/shopify's RunLog).
//
// At the counter (counter.go, returns.go, salevoid.go, cash.go) the register sells (Sell:
// products by barcode or SKU, per-line tax, split tenders, change, a gapless receipt series
// per register), takes returns of any sale (Return), voids a sale of the open session
// (VoidSale) and moves cash in and out of the drawer (MoveCash).
//
// Owns tables: registers, register_sessions, register_session_counts,
// register_session_balances, nightly_reports and register_cash_movements.
package register
