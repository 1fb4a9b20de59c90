// Package sales owns sales, their lines and taxes, payments and their voids, payment types,
// customers and the sales history.
//
// A sale starts owing its total. Its balance falls only through payments, and the
// database refuses a payment that would take it below zero, so no sequence of payments,
// however concurrent, can over-pay a sale. A payment is never changed or removed: one
// recorded in error is voided, a row of its own, and the balance counts it no more.
// Status follows from the balance: "paid" at zero, "awaiting_payment" above.
//
// An import finds its orders' customers through ResolveCustomers (by e-mail whatever its
// case, else by the channel's customer id, else new; one statement per kind for a page)
// and its orders already recorded through SalesByExternal. The register's reports read
// sales and payments through the read models of reports.go (SessionTakings, SessionSales,
// PaymentTotals, DayTotals, AwaitingPayment...), each one statement, in the report's own
// transaction. The names of the outlet, register and API tokens a sale refers to are not
// sales': register.Store's NameSales fills them in.
//
// Counter sales are priced by PriceSale (the rounding rule is written in pricing.go). A
// sale rung up by mistake is voided (VoidSale: a row of its own, its payments voided with
// it, never a delete). A return is a document of its own linked to its sale, whatever the
// sale's source (CreateReturn, returns.go): -R1, -R2... receipts, lines capped at what was
// sold less returned, refunds by payment type; a channel's refund records one too, once
// per refund id.
//
// Owns tables: sales, sale_lines, sale_external_ids, payments, payment_voids, payment_types,
// customers, customer_external_ids, sale_voids, sale_returns, sale_return_lines and refunds.
package sales
