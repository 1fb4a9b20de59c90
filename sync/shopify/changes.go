package shopify

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// An order Shopify changed after it was imported is seen again when it arrives by webhook
// (orders/updated, orders/edited, orders/cancelled, refunds/create), by a run that lists it
// (Get new, Get all) or by reconciliation. Its sale remembers Shopify's update time of the
// order as kassa last took it in; an order seen with that time again is already_imported
// without a look at the sale. A later one is compared with what kassa holds of the sale
// (differences): nothing differs (a fulfilment, a note) and it is already_imported; a
// difference is logged with what differs.

// changedSince reports whether the order may have changed since its sale last took it
// in: Shopify's update time is later than the one recorded, or none was recorded.
func changedSince(o *shopifyapi.Order, x sales.ExternalSale) bool {
	if x.UpdatedAt == nil {
		return true
	}
	return o.UpdatedAt.After(*x.UpdatedAt)
}

// differences lists what differs between the order as Shopify shows it now (d, its
// mapping, or mapErr when it cannot be mapped) and what kassa holds of its sale; none when
// they agree. Money the register took for the sale counts as paid: a sale settled in kassa
// is no difference.
func differences(o *shopifyapi.Order, d *draft, mapErr error, rec sales.Recorded) []string {
	var out []string
	if !o.CancelledAt.IsZero() {
		out = append(out, "cancelled in Shopify at "+o.CancelledAt.UTC().Format(time.RFC3339))
		return out
	}
	if mapErr != nil {
		return append(out, "the order as it stands now cannot be read: "+mapErr.Error())
	}
	differ := func(what string, kassa, shopify decimal.Decimal) {
		if !kassa.Equal(shopify) {
			out = append(out, fmt.Sprintf("%s: kassa %s, Shopify now %s", what, money.String(kassa), money.String(shopify)))
		}
	}
	differ("total", rec.Total, d.sale.Total)
	differ("tax", rec.Tax, d.sale.TaxTotal)
	now := map[string]int{}
	shipping := decimal.Zero
	for _, l := range d.lines {
		switch {
		case l.omit:
		case l.Kind == sales.KindProduct:
			now[l.SKU] += l.Quantity
		case l.Kind == sales.KindShipping:
			shipping = shipping.Add(l.Total)
		}
	}
	var skus []string
	for sku := range now {
		skus = append(skus, sku)
	}
	for sku := range rec.Quantities {
		if _, ok := now[sku]; !ok {
			skus = append(skus, sku)
		}
	}
	sort.Strings(skus)
	for _, sku := range skus {
		if rec.Quantities[sku] != now[sku] {
			name := sku
			if name == "" {
				name = "(no SKU)"
			}
			out = append(out, fmt.Sprintf("quantity of %s: kassa %d, Shopify now %d", name, rec.Quantities[sku], now[sku]))
		}
	}
	differ("shipping", rec.Shipping, shipping)
	switch {
	case d.collected.LessThan(rec.ChannelPaid):
		out = append(out, fmt.Sprintf("paid through Shopify: kassa %s, Shopify kept %s", money.String(rec.ChannelPaid), money.String(d.collected)))
	case d.collected.GreaterThan(rec.ChannelPaid.Add(rec.POSPaid)):
		out = append(out, fmt.Sprintf("paid: kassa %s, Shopify collected %s", money.String(rec.ChannelPaid.Add(rec.POSPaid)), money.String(d.collected)))
	}
	return out
}
