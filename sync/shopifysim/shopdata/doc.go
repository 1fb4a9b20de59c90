// Package shopdata models Shopify orders as the REST Admin API 2024-10 renders them and
// generates realistic, reproducible shops of orders for kassa's Shopify simulator
// (sync/shopifysim).
//
// # Model
//
// Order, LineItem, ShippingLine, Customer, Transaction, Refund and friends carry Shopify's
// field names and JSON types: ids are JSON numbers, money (Money) is a string with two
// decimals, tax rates (Rate) are JSON numbers, timestamps are RFC 3339 strings with the shop's
// UTC offset (FormatTime), and customer.marketing_opt_in_level is never emitted because
// go-shopify v4.7.0 fails on the string values older API versions used. Money is
// decimal.Decimal throughout, never a float.
//
// # Generated shops
//
// NewGenerator builds a shop from GenerateOptions. The same seed and options always render
// byte-identical JSON: each order is drawn from its own random stream keyed by the seed and
// its position in the shop's order sequence, so Orders and NewOrder can be called in any
// order. The catalog is a fixed Belgian concept store of 21 products with 1–4 variants each
// (tea towels, mugs, coffee, chocolate, books, an e-book, a cooking class voucher, a gift
// card); a few products have no tracked stock and one has an empty SKU.
//
// Proportions (nominal; each order draws independently):
//   - 2 % test orders (test: true, gateway "bogus", paid). Of the others: card
//     ("shopify_payments", paid) 57 % — three in ten of them are authorized first and
//     captured up to two hours later; PayPal 15 %; bank deposit left pending
//     (["Bank Deposit"], financial_status "pending", total_outstanding = total_price) 9 %;
//     partially paid (a gift card covered 5–25, at most half; the rest owed by bank deposit)
//     3 %; authorized and never captured 5 %; gift card only 3 %; gift card plus card 4 %;
//     draft orders marked paid (["manual"], source_name "shopify_draft_order") 4 %.
//   - Buyers: 12 % guest checkouts (customer null; half of them without an e-mail); the rest
//     come from a pool of Orders/3 customers (12–20,000), drawn so that some order often;
//     a quarter of a customer's orders spell the e-mail in another case
//     ("Anna.Peeters@Example.be" for "anna.peeters@example.be"). 85 % of buyers live in the
//     EU (taxes included: VAT 21 %, 12 % or 6 % by product, shipping at 21 %); 15 % in the US
//     (taxes added: one or two state/city taxes per item; shipping taxed in three of four
//     states).
//   - Lines: 1, 2, 3 or 4 products (50/30/14/6 %), quantity 1 (72 %), 2 (18 %) or 3–6; a gift
//     card purchase in 4 % of orders (gift_card: true, not taxable, no stock, no shipping);
//     a custom item without product, variant or SKU in 4 %.
//   - Shipping: one shipping line when anything must be shipped, except 12 % local pickups
//     (tag "local-pickup", no shipping address, a free shipping line named after the pickup
//     location, as Shopify's REST orders show one); orders of digital goods or
//     gift cards only have none.
//   - Discounts: 10 % an automatic 20 % "Spring Sale" on one product line; codes: 8 %
//     WELCOME10 (10 % off every line), 5 % SAVE5 (5.00 spread over the lines of orders of at
//     least 25.00), 8 % FREESHIP (shipping price kept, discounted_price "0.00", a discount
//     allocation on the shipping line). Gift cards are never discounted.
//   - Tips on 5 % of card and PayPal orders.
//   - Lifecycle, only where it happened before Now: 3 % cancelled soon after the order
//     (15 % of pending bank deposit orders, 3–14 days later), refunded in full when paid
//     (financial_status "refunded", one refund) or "voided" when not, closed at
//     cancellation; paid orders fulfilled 4 hours to 4 days later (digital ones at once, a
//     pickup within two days; 5 % of multi-line orders only partly); 40 % of fulfilled
//     orders closed (archived) up to two weeks later. 5 % have processed_at up to three
//     hours before created_at. With Days > 60, about (Days − 60)/Days of the orders are older
//     than 60 days.
//
// # Amounts
//
// The generator computes, and CheckTotals independently verifies, every amount to the cent:
//   - line gross = price × quantity; a line's discount is the sum of its
//     discount_allocations, and total_discount equals it. Percentage discounts are rounded
//     per line; a fixed amount is spread over the lines in proportion, the last line taking
//     the rounding remainder, so discount_codes[].amount is the exact sum of its allocations.
//   - each tax line is rounded half-up to cents per line: taxes included ⇒
//     (gross − discount) × rate / (1 + rate); taxes added ⇒ (gross − discount) × rate.
//     Gift card lines have no tax. Shipping is taxed likewise on its discounted price.
//   - total_line_items_price = Σ gross; subtotal_price = Σ gross − Σ line discounts;
//     total_discounts = Σ line discounts + Σ shipping discounts; the shipping amount
//     (total_shipping_price_set) = Σ shipping discounted_price; total_tax = Σ every tax line.
//   - total_price = subtotal_price + shipping + (taxes included ? 0 : total_tax) + tips.
//   - total_outstanding = total_price − what was collected: 0 when paid, total_price when
//     pending or authorized, the rest when partially paid, 0 once cancelled (nothing is owed
//     any more; current_total_price and the other current_* amounts are then 0 too).
//   - order-level tax_lines = the line and shipping tax lines summed per (title, rate).
//
// Transactions derives an order's transactions from the order alone, so that successful
// sales and captures minus refunds equal total_price − total_outstanding, and pending sales
// equal what is outstanding.
//
// # Files
//
// ReadOrdersFile and ReadOrders read Shopify's list shape {"orders":[…]}, keeping each order
// as raw JSON so that fields this package does not model reach the simulator's clients
// unchanged.
package shopdata
