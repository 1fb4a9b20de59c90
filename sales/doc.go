// Package sales owns sales, their lines and taxes, payments, payment types, customers and
// the sales history.
//
// A sale starts owing its total. Its balance falls only through payments, and the
// database refuses a payment that would take it below zero, so no sequence of payments,
// however concurrent, can over-pay a sale. Status follows from the balance: "paid" at
// zero, "awaiting_payment" above.
package sales
