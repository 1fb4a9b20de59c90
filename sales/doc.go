// Package sales owns sales, their lines and taxes, payments and their voids, payment types,
// customers and the sales history.
//
// A sale starts owing its total. Its balance falls only through payments, and the
// database refuses a payment that would take it below zero, so no sequence of payments,
// however concurrent, can over-pay a sale. A payment is never changed or removed: one
// recorded in error is voided, a row of its own, and the balance counts it no more.
// Status follows from the balance: "paid" at zero, "awaiting_payment" above.
//
// Owns tables: sales, sale_lines, sale_external_ids, payments, payment_voids, payment_types,
// customers and customer_external_ids.
package sales
