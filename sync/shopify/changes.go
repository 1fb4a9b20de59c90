package shopify

import (
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// An order Shopify changed after it was imported is seen again when it arrives by webhook
// (orders/updated, orders/edited, orders/cancelled, refunds/create), by a run that lists it
// (Get new, Get all) or by reconciliation. Its sale remembers Shopify's update time of the
// order as kassa last took it in; an order seen with that time again, or an earlier one, is
// already_imported without a look at the sale. A later one is compared with what kassa holds of the sale
// (recordChange): nothing to record (a fulfilment, a note) and it is already_imported; a
// change is recorded, or logged for review with what differs.

// changedSince reports whether the order may have changed since its sale last took it
// in: Shopify's update time is later than the one recorded, or none was recorded.
//
// The same time does not count. Shopify's update times are to the second, so two states
// of an order changed twice within one second share one, and webhook bodies arrive in any
// order: comparing a body of the same second could take an earlier state for the latest
// and undo what the later one recorded. The later state of such a pair reaches the sale
// through reconciliation, which compares the order as Shopify holds it once that second
// is past (settled).
func changedSince(o *shopifyapi.Order, x sales.ExternalSale) bool {
	if x.UpdatedAt == nil {
		return true
	}
	return o.UpdatedAt.After(*x.UpdatedAt)
}
