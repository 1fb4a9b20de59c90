// Package inventory owns outlets, products (with the ids other channels know them by),
// stock levels per outlet and the stock movement ledger.
//
// Stock levels are never written directly: every change is a movement in the ledger,
// and the database keeps each level equal to the sum of its movements. A movement made
// for a sale line names it, and the database accepts one movement per sale line, so
// replaying an import can never move stock twice. Stock may go negative.
//
// Other channels reach products through ResolveProducts, which finds (by the channel's
// variant id, then by SKU in any case), makes and publishes a page's products in a few
// set-based statements and remembers the channel's ids; a channel's shipping-fee product
// is made and kept untracked by EnsureShippingProduct and ResetShippingProduct. The
// nightly report reads the stock that went negative through NegativeStock.
//
// Stock another channel mirrors (channelstock.go): a product at an outlet linked to the
// channel's inventory item at a location (LinkChannelItem) is queued for a push by every
// movement, in the movement's statement; a pusher claims the queue's rows (ClaimPushes,
// with a lease and SKIP LOCKED, so several daemons push each change once) and finishes
// them (FinishPushes, FailPushes). The drift check's corrections are kept for the nightly
// report (StockCorrections).
//
// Owns tables: outlets, products, product_external_ids, stock_levels, stock_movements,
// stock_channel_items, stock_push_queue, stock_channel_states and stock_corrections.
package inventory
