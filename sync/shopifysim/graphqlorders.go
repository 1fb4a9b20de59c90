package shopifysim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The GraphQL orders are the same orders the REST endpoints and webhooks serve: each is
// rendered from the stored REST JSON when a query reaches it, field by field as Shopify's
// GraphQL Admin API names them (camelCase, MoneyBag amounts, gid:// ids, tags as a list,
// upper-case enums). What REST does not carry is derived the way Shopify derives it: a
// fulfillment order's delivery method is SHIPPING for an order with shipping lines that
// needs shipping, else NONE (PICK_UP for the generated shop's pickup orders), assigned to
// the shop's first location; a refund's total is the sum of its successful refund
// transactions; a refund's shipping_refund adjustments are its refundShippingLines (2026-10
// has no OrderAdjustment.kind: an order adjustment is a refund discrepancy).

const orderGIDPrefix = "gid://shopify/Order/"

// gid is a global id of a resource type.
func gid(typ string, id any) string {
	return fmt.Sprintf("gid://shopify/%s/%v", typ, id)
}

// restValue is a decoded REST JSON value (numbers as json.Number).
type restValue = map[string]any

func decodeREST(raw []byte) (restValue, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m restValue
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

func rstr(m restValue, k string) (string, bool) {
	switch v := m[k].(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

func rtext(m restValue, k string) any {
	if s, ok := rstr(m, k); ok {
		return s
	}
	return nil
}

func rbool(m restValue, k string) bool {
	switch v := m[k].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

func rint(m restValue, k string) int64 {
	s, _ := rstr(m, k)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return int64(f)
		}
	}
	return n
}

// rid is a REST id as its number text ("" when absent); a gid keeps its last segment.
func rid(m restValue, k string) string {
	s, _ := rstr(m, k)
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func robj(m restValue, k string) restValue {
	v, _ := m[k].(map[string]any)
	return v
}

func rlist(m restValue, k string) []restValue {
	raw, _ := m[k].([]any)
	out := make([]restValue, 0, len(raw))
	for _, v := range raw {
		if o, ok := v.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

// amountText is a REST money value as a GraphQL Decimal: the text Shopify sent ("0" when
// absent).
func amountText(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return "0.0"
		}
		return v
	case json.Number:
		return v.String()
	}
	return "0.0"
}

// moneyBag is a MoneyBag of one amount in the shop's currency, with the presentment
// amount of a REST *_set when there is one.
func moneyBag(amount any, set restValue, currency string) map[string]any {
	shop := map[string]any{"amount": amountText(amount), "currencyCode": currency}
	pres := shop
	if set != nil {
		if sm := robj(set, "shop_money"); sm != nil {
			shop = map[string]any{"amount": amountText(sm["amount"]), "currencyCode": currency}
			pres = shop
		}
		if pm := robj(set, "presentment_money"); pm != nil {
			code, _ := rstr(pm, "currency_code")
			if code == "" {
				code = currency
			}
			pres = map[string]any{"amount": amountText(pm["amount"]), "currencyCode": code}
		}
	}
	return map[string]any{"shopMoney": shop, "presentmentMoney": pres}
}

// gqlTime renders a REST timestamp as a GraphQL DateTime (UTC, whole seconds); nil when
// absent.
func gqlTime(m restValue, k string) any {
	s, ok := rstr(m, k)
	if !ok || s == "" {
		return nil
	}
	t, err := parseTimestamp(s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

func gqlTaxLines(tls []restValue, currency string) []any {
	out := make([]any, 0, len(tls))
	for _, t := range tls {
		rate := t["rate"]
		var pct any
		if n, ok := rate.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				pct = f * 100
			}
		} else if s, ok := rate.(string); ok {
			rate = json.Number(s)
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				pct = f * 100
			} else {
				rate = nil
			}
		}
		out = append(out, map[string]any{
			"title": textOr(t, "title", ""), "rate": rate, "ratePercentage": pct,
			"priceSet": moneyBag(t["price"], robj(t, "price_set"), currency), "channelLiable": t["channel_liable"],
		})
	}
	return out
}

func textOr(m restValue, k, def string) string {
	if s, ok := rstr(m, k); ok {
		return s
	}
	return def
}

// discountApplicationTypes are the GraphQL types of REST discount application types.
var discountApplicationTypes = map[string]string{
	"discount_code": "DiscountCodeApplication", "manual": "ManualDiscountApplication",
	"automatic": "AutomaticDiscountApplication", "script": "ScriptDiscountApplication",
}

func gqlAllocations(allocs []restValue, apps []restValue, currency string) []any {
	out := make([]any, 0, len(allocs))
	for _, a := range allocs {
		idx := rint(a, "discount_application_index")
		typ, title, code := "ManualDiscountApplication", "", ""
		if idx >= 0 && int(idx) < len(apps) {
			app := apps[idx]
			if t, ok := discountApplicationTypes[textOr(app, "type", "")]; ok {
				typ = t
			}
			title, code = textOr(app, "title", ""), textOr(app, "code", "")
		}
		out = append(out, map[string]any{
			"allocatedAmountSet": moneyBag(a["amount"], robj(a, "amount_set"), currency),
			"discountApplication": gqlTyped{typeName: typ, value: map[string]any{
				"index": idx, "title": title, "code": code,
			}},
		})
	}
	return out
}

func gqlAddress(a restValue, id string) any {
	if a == nil {
		return nil
	}
	return map[string]any{
		"id": gid("MailingAddress", id), "firstName": rtext(a, "first_name"), "lastName": rtext(a, "last_name"),
		"name": rtext(a, "name"), "company": rtext(a, "company"), "address1": rtext(a, "address1"),
		"address2": rtext(a, "address2"), "city": rtext(a, "city"), "zip": rtext(a, "zip"),
		"province": rtext(a, "province"), "provinceCode": rtext(a, "province_code"), "country": rtext(a, "country"),
		"countryCodeV2": rtext(a, "country_code"), "phone": rtext(a, "phone"),
	}
}

// gqlOrder renders a stored REST order as the GraphQL Order object; locs are the shop's
// locations, the first one the fulfillment orders' assigned location.
func gqlOrder(raw []byte, shopCurrency string, locs []Location) (map[string]any, error) {
	o, err := decodeREST(raw)
	if err != nil {
		return nil, err
	}
	id := rid(o, "id")
	currency := textOr(o, "currency", shopCurrency)
	if currency == "" {
		currency = shopCurrency
	}
	apps := rlist(o, "discount_applications")
	bag := func(k string) map[string]any { return moneyBag(o[k], robj(o, k+"_set"), currency) }
	setOnly := func(k string) any {
		set := robj(o, k)
		if set == nil {
			return nil
		}
		return moneyBag(nil, set, currency)
	}
	// REST's total_shipping_price_set; else the shipping lines' discounted prices.
	shipping := setOnly("total_shipping_price_set")

	var lines []any
	var qty, currentQty int64
	for i, li := range rlist(o, "line_items") {
		lineID := rid(li, "id")
		if lineID == "" {
			lineID = strconv.Itoa(i + 1)
		}
		var product, variant any
		if pid := rid(li, "product_id"); pid != "" {
			product = map[string]any{"id": gid("Product", pid), "legacyResourceId": pid}
		}
		if vid := rid(li, "variant_id"); vid != "" {
			tracked := strings.EqualFold(textOr(li, "variant_inventory_management", ""), "shopify")
			if _, present := li["variant_inventory_management"]; !present {
				// A payload that does not say: physical goods are tracked.
				tracked = rbool(li, "requires_shipping")
			}
			variant = map[string]any{
				"id": gid("ProductVariant", vid), "legacyResourceId": vid, "sku": rtext(li, "sku"),
				"inventoryItem": map[string]any{"id": gid("InventoryItem", vid), "tracked": tracked},
			}
		}
		q := rint(li, "quantity")
		cq := q
		if _, ok := li["current_quantity"]; ok {
			cq = rint(li, "current_quantity")
		}
		if !rbool(li, "gift_card") {
			qty += q
			currentQty += cq
		}
		var attrs []any
		switch p := li["properties"].(type) {
		case []any:
			for _, e := range p {
				if m, ok := e.(map[string]any); ok {
					attrs = append(attrs, map[string]any{"key": textOr(m, "name", ""), "value": rtext(m, "value")})
				}
			}
		case map[string]any:
			keys := make([]string, 0, len(p))
			for k := range p {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				attrs = append(attrs, map[string]any{"key": k, "value": rtext(p, k)})
			}
		}
		var duties []any
		for j, d := range rlist(li, "duties") {
			did := rid(d, "id")
			if did == "" {
				did = fmt.Sprintf("%s%d", lineID, j+1)
			}
			duties = append(duties, map[string]any{
				"id": gid("Duty", did), "harmonizedSystemCode": rtext(d, "harmonized_system_code"),
				"countryCodeOfOrigin": rtext(d, "country_code_of_origin"),
				"price":               moneyBag(nil, robj(d, "price_set"), currency), "taxLines": gqlTaxLines(rlist(d, "tax_lines"), currency),
			})
		}
		lines = append(lines, map[string]any{
			"id": gid("LineItem", lineID), "name": textOr(li, "name", ""), "title": textOr(li, "title", ""),
			"variantTitle": rtext(li, "variant_title"), "sku": rtext(li, "sku"), "quantity": q, "currentQuantity": cq,
			"refundableQuantity":   cq,
			"originalUnitPriceSet": moneyBag(li["price"], robj(li, "price_set"), currency),
			"totalDiscountSet":     moneyBag(li["total_discount"], robj(li, "total_discount_set"), currency),
			"discountAllocations":  gqlAllocations(rlist(li, "discount_allocations"), apps, currency),
			"taxLines":             gqlTaxLines(rlist(li, "tax_lines"), currency),
			"isGiftCard":           rbool(li, "gift_card"), "taxable": rbool(li, "taxable"),
			"requiresShipping": rbool(li, "requires_shipping"), "product": product, "variant": variant,
			"customAttributes": nonNilList(attrs), "duties": nonNilList(duties),
		})
	}
	needsShipping := false
	for _, li := range rlist(o, "line_items") {
		if rbool(li, "requires_shipping") {
			needsShipping = true
		}
	}
	var shippingLines []any
	for i, s := range rlist(o, "shipping_lines") {
		sid := rid(s, "id")
		if sid == "" {
			sid = strconv.Itoa(i + 1)
		}
		// As REST says it: a payload without discounted_price reads as 0.00.
		discounted := s["discounted_price"]
		shippingLines = append(shippingLines, map[string]any{
			"id": gid("ShippingLine", sid), "title": textOr(s, "title", ""), "code": rtext(s, "code"), "source": rtext(s, "source"),
			"originalPriceSet":          moneyBag(s["price"], robj(s, "price_set"), currency),
			"discountedPriceSet":        moneyBag(discounted, robj(s, "discounted_price_set"), currency),
			"currentDiscountedPriceSet": moneyBag(discounted, robj(s, "discounted_price_set"), currency),
			"discountAllocations":       gqlAllocations(rlist(s, "discount_allocations"), apps, currency),
			"taxLines":                  gqlTaxLines(rlist(s, "tax_lines"), currency),
			"isRemoved":                 false,
		})
	}
	if shipping == nil {
		sum := 0.0
		exact := "0.0"
		for _, s := range rlist(o, "shipping_lines") {
			if f, err := strconv.ParseFloat(amountText(s["discounted_price"]), 64); err == nil {
				sum += f
			}
		}
		if sum != 0 {
			exact = strconv.FormatFloat(sum, 'f', 2, 64)
		}
		shipping = moneyBag(exact, nil, currency)
	}
	method := "NONE"
	if len(shippingLines) > 0 && needsShipping {
		method = "SHIPPING"
		// A local pickup (the generated shop tags the orders its buyers chose to collect):
		// Shopify's fulfillment order is delivered by PICK_UP.
		for _, tag := range strings.Split(textOr(o, "tags", ""), ",") {
			if strings.TrimSpace(tag) == "local-pickup" {
				method = "PICK_UP"
			}
		}
	}
	foStatus := "OPEN"
	if textOr(o, "fulfillment_status", "") == "fulfilled" {
		foStatus = "CLOSED"
	}
	if _, cancelled := rstr(o, "cancelled_at"); cancelled {
		foStatus = "CANCELLED"
	}
	fo := map[string]any{
		"id": gid("FulfillmentOrder", id), "status": foStatus,
		"deliveryMethod": map[string]any{"id": gid("DeliveryMethod", id), "methodType": method},
	}
	if len(locs) > 0 {
		l := locs[0]
		fo["assignedLocation"] = map[string]any{
			"name": l.Name, "address1": l.Address1, "city": l.City, "zip": l.Zip, "location": locationRef(l),
		}
	}
	fulfillmentOrders := []any{fo}
	var refunds []any
	for _, r := range rlist(o, "refunds") {
		refunds = append(refunds, gqlRefund(r, currency, lines, shippingLines, locs))
	}
	var customer any
	if c := robj(o, "customer"); c != nil {
		cid := rid(c, "id")
		var email, phone any
		if e, ok := rstr(c, "email"); ok && e != "" {
			email = map[string]any{"emailAddress": e}
		}
		if p, ok := rstr(c, "phone"); ok && p != "" {
			phone = map[string]any{"phoneNumber": p}
		}
		customer = map[string]any{
			"id": gid("Customer", cid), "legacyResourceId": cid, "firstName": rtext(c, "first_name"), "lastName": rtext(c, "last_name"),
			"defaultEmailAddress": email, "defaultPhoneNumber": phone,
			"defaultAddress": gqlAddress(robj(c, "default_address"), rid(robj(c, "default_address"), "id")),
		}
	}
	var tags []any
	for _, t := range strings.Split(textOr(o, "tags", ""), ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	var gateways []any
	if gs, ok := o["payment_gateway_names"].([]any); ok {
		for _, g := range gs {
			if s, ok := g.(string); ok {
				gateways = append(gateways, s)
			}
		}
	}
	if len(gateways) == 0 {
		if g, ok := rstr(o, "gateway"); ok && strings.TrimSpace(g) != "" {
			gateways = append(gateways, g)
		}
	}
	financial := strings.ToUpper(textOr(o, "financial_status", ""))
	var displayFinancial any
	if financial != "" {
		displayFinancial = financial
	}
	fulfillment := "UNFULFILLED"
	switch textOr(o, "fulfillment_status", "") {
	case "fulfilled":
		fulfillment = "FULFILLED"
	case "partial":
		fulfillment = "PARTIALLY_FULFILLED"
	case "restocked":
		fulfillment = "RESTOCKED"
	}
	var cancelReason any
	if r, ok := rstr(o, "cancel_reason"); ok && r != "" {
		cancelReason = strings.ToUpper(r)
	}
	// Shopify writes the current figures together; a body with none of them (older
	// payloads) stands as it was placed, and one with current_total_price has the others
	// as written (absent: none).
	_, hasCurrent := o["current_total_price"]
	current := func(k, fallback string) map[string]any {
		if _, ok := o[k]; ok || hasCurrent {
			return bag(k)
		}
		return bag(fallback)
	}
	processed := gqlTime(o, "processed_at")
	if processed == nil {
		processed = gqlTime(o, "created_at")
	}
	updated := gqlTime(o, "updated_at")
	if updated == nil {
		updated = gqlTime(o, "created_at")
	}
	_, closed := rstr(o, "closed_at")
	return map[string]any{
		"id": orderGIDPrefix + id, "legacyResourceId": id, "name": textOr(o, "name", ""), "email": rtext(o, "email"),
		"createdAt": gqlTime(o, "created_at"), "updatedAt": updated, "processedAt": processed,
		"cancelledAt": gqlTime(o, "cancelled_at"), "cancelReason": cancelReason, "closed": closed,
		"closedAt": gqlTime(o, "closed_at"), "test": rbool(o, "test"), "currencyCode": currency,
		"presentmentCurrencyCode": textOr(o, "presentment_currency", currency),
		"displayFinancialStatus":  displayFinancial, "displayFulfillmentStatus": fulfillment,
		"taxesIncluded": rbool(o, "taxes_included"),
		"totalPriceSet": bag("total_price"), "subtotalPriceSet": bag("subtotal_price"), "totalTaxSet": bag("total_tax"),
		"totalDiscountsSet": bag("total_discounts"), "totalOutstandingSet": bag("total_outstanding"),
		"totalTipReceivedSet": moneyBag(o["total_tip_received"], nil, currency), "totalShippingPriceSet": shipping,
		"currentTotalPriceSet": current("current_total_price", "total_price"), "currentSubtotalPriceSet": current("current_subtotal_price", "subtotal_price"),
		"currentTotalTaxSet": current("current_total_tax", "total_tax"), "currentTotalDiscountsSet": current("current_total_discounts", "total_discounts"),
		"currentTotalDutiesSet": setOnly("current_total_duties_set"), "originalTotalDutiesSet": setOnly("original_total_duties_set"),
		"subtotalLineItemsQuantity": qty, "currentSubtotalLineItemsQuantity": currentQty,
		"paymentGatewayNames": nonNilList(gateways), "sourceName": rtext(o, "source_name"), "tags": nonNilList(tags),
		"taxLines": gqlTaxLines(rlist(o, "tax_lines"), currency), "customer": customer,
		"billingAddress":  gqlAddress(robj(o, "billing_address"), id+"1"),
		"shippingAddress": gqlAddress(robj(o, "shipping_address"), id+"2"),
		"lineItems":       nonNilList(lines), "shippingLines": nonNilList(shippingLines), "fulfillmentOrders": fulfillmentOrders,
		"refunds": nonNilList(refunds),
	}, nil
}

// locationRef is a Location object as an order's parts name it.
func locationRef(l Location) map[string]any {
	id := strconv.FormatInt(l.ID, 10)
	return map[string]any{
		"id": gid("Location", id), "legacyResourceId": id, "name": l.Name, "isActive": l.Active, "fulfillsOnlineOrders": true,
		"address": map[string]any{"address1": l.Address1, "city": l.City, "zip": l.Zip, "countryCode": l.CountryCode,
			"formatted": []string{l.Address1, strings.TrimSpace(l.Zip + " " + l.City), l.CountryName}},
	}
}

// negated is a REST money value with its sign turned (Shopify writes refunded shipping
// negative in order_adjustments and positive in refundShippingLines).
func negated(v any) string {
	d, err := decimal.NewFromString(amountText(v))
	if err != nil {
		return amountText(v)
	}
	return d.Neg().StringFixed(2)
}

// gqlRefund renders a REST refund as the GraphQL Refund object (2026-10): its
// refundLineItems (restockType RETURN, CANCEL, NO_RESTOCK or LEGACY_RESTOCK; the line item
// as the order renders it), transactions, refundShippingLines (REST's shipping_refund
// adjustments, or refund_shipping_lines when a body has them) and orderAdjustments (the
// other adjustments: refund discrepancies).
func gqlRefund(r restValue, currency string, lines, shippingLines []any, locs []Location) map[string]any {
	rfid := rid(r, "id")
	total := decimal.Zero
	var txs []any
	for i, t := range rlist(r, "transactions") {
		kind, status := textOr(t, "kind", ""), textOr(t, "status", "success")
		if kind == "refund" && status == "success" {
			if d, err := decimal.NewFromString(amountText(t["amount"])); err == nil {
				total = total.Add(d)
			}
		}
		tid := rid(t, "id")
		if tid == "" {
			tid = fmt.Sprintf("%s%d", rfid, i+1)
		}
		created := gqlTime(t, "created_at")
		if created == nil {
			created = gqlTime(r, "created_at")
		}
		txs = append(txs, map[string]any{
			"id": gid("OrderTransaction", tid), "kind": strings.ToUpper(kind), "status": strings.ToUpper(status),
			"gateway": rtext(t, "gateway"), "amountSet": moneyBag(t["amount"], robj(t, "amount_set"), currency),
			"createdAt": created, "processedAt": gqlTime(t, "processed_at"), "test": rbool(t, "test"),
		})
	}
	lineByID := map[string]any{}
	for _, l := range lines {
		if m, ok := l.(map[string]any); ok {
			lineByID[m["id"].(string)] = m
		}
	}
	var rlis []any
	for i, rl := range rlist(r, "refund_line_items") {
		rlid := rid(rl, "id")
		if rlid == "" {
			rlid = fmt.Sprintf("%s%d", rfid, i+1)
		}
		lgid := gid("LineItem", rid(rl, "line_item_id"))
		li := lineByID[lgid]
		if li == nil {
			li = map[string]any{"id": lgid}
		}
		restock := strings.ToUpper(textOr(rl, "restock_type", "no_restock"))
		var loc any
		if lid := rint(rl, "location_id"); lid != 0 {
			l := Location{ID: lid}
			for _, x := range locs {
				if x.ID == lid {
					l = x
				}
			}
			loc = locationRef(l)
		}
		var price any
		if m, ok := li.(map[string]any); ok {
			price = m["originalUnitPriceSet"]
		}
		if price == nil {
			price = moneyBag(nil, nil, currency)
		}
		rlis = append(rlis, map[string]any{
			"id": gid("RefundLineItem", rlid), "lineItem": li, "quantity": rint(rl, "quantity"), "restockType": restock,
			"restocked": restock != "NO_RESTOCK", "location": loc, "priceSet": price,
			"subtotalSet": moneyBag(rl["subtotal"], robj(rl, "subtotal_set"), currency),
			"totalTaxSet": moneyBag(rl["total_tax"], robj(rl, "total_tax_set"), currency),
		})
	}
	shippingLine := func(want string) any {
		var first any
		for _, sl := range shippingLines {
			m, _ := sl.(map[string]any)
			if first == nil {
				first = m
			}
			if bag, _ := m["discountedPriceSet"].(map[string]any); bag != nil && want != "" {
				if sm, _ := bag["shopMoney"].(map[string]any); sm != nil && sm["amount"] == want {
					return m
				}
			}
		}
		if first == nil {
			first = map[string]any{"id": gid("ShippingLine", rfid), "title": "", "code": nil}
		}
		return first
	}
	var rsls, adjs []any
	for i, s := range rlist(r, "refund_shipping_lines") {
		sid := rid(s, "id")
		if sid == "" {
			sid = fmt.Sprintf("%s%d", rfid, i+1)
		}
		rsls = append(rsls, map[string]any{
			"id": gid("RefundShippingLine", sid), "shippingLine": shippingLine(""),
			"subtotalAmountSet": moneyBag(s["subtotal_amount"], robj(s, "subtotal_amount_set"), currency),
			"taxAmountSet":      moneyBag(s["tax_amount"], robj(s, "tax_amount_set"), currency),
		})
	}
	for i, a := range rlist(r, "order_adjustments") {
		aid := rid(a, "id")
		if aid == "" {
			aid = fmt.Sprintf("%s%d", rfid, i+1)
		}
		if textOr(a, "kind", "") == "shipping_refund" {
			if len(rlist(r, "refund_shipping_lines")) > 0 {
				continue
			}
			amount := negated(a["amount"])
			rsls = append(rsls, map[string]any{
				"id": gid("RefundShippingLine", aid), "shippingLine": shippingLine(amount),
				"subtotalAmountSet": moneyBag(amount, nil, currency), "taxAmountSet": moneyBag(negated(a["tax_amount"]), nil, currency),
			})
			continue
		}
		adjs = append(adjs, map[string]any{
			"id": gid("OrderAdjustment", aid), "reason": "REFUND_DISCREPANCY",
			"amountSet":    moneyBag(a["amount"], robj(a, "amount_set"), currency),
			"taxAmountSet": moneyBag(a["tax_amount"], robj(a, "tax_amount_set"), currency),
		})
	}
	created := gqlTime(r, "created_at")
	updated := gqlTime(r, "processed_at")
	if updated == nil {
		updated = created
	}
	return map[string]any{
		"id": gid("Refund", rfid), "legacyResourceId": rfid, "createdAt": created, "updatedAt": updated, "note": rtext(r, "note"),
		"totalRefundedSet": moneyBag(total.StringFixed(2), nil, currency),
		"refundLineItems":  nonNilList(rlis), "transactions": nonNilList(txs),
		"orderAdjustments": nonNilList(adjs), "refundShippingLines": nonNilList(rsls),
	}
}

func nonNilList(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// orderSearch is the part of Shopify's search syntax the orders query honours: terms
// "field:value" or "field:<op>value" joined by spaces (AND), on created_at, updated_at,
// processed_at and id; a date without a time is midnight in the shop's time zone. Other
// terms are ignored, as Shopify ignores terms it cannot use (it warns in
// extensions.search).
type orderSearch struct {
	terms []searchTerm
}

type searchTerm struct {
	field string
	op    string // ">", ">=", "<", "<=", "="
	at    time.Time
	id    int64
}

func parseOrderSearch(q string, loc *time.Location) (orderSearch, error) {
	var s orderSearch
	for _, tok := range splitSearch(q) {
		field, value, ok := strings.Cut(tok, ":")
		if !ok {
			continue
		}
		field = strings.ToLower(field)
		op := "="
		for _, p := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(value, p) {
				op, value = p, value[len(p):]
				break
			}
		}
		value = strings.Trim(value, `'"`)
		t := searchTerm{field: field, op: op}
		switch field {
		case "created_at", "updated_at", "processed_at":
			at, err := time.Parse(time.RFC3339Nano, value)
			if err != nil {
				d, derr := time.ParseInLocation("2006-01-02", value, loc)
				if derr != nil {
					return s, fmt.Errorf("invalid date %q for %s", value, field)
				}
				at = d
			}
			t.at = at
		case "id":
			n, err := strconv.ParseInt(strings.TrimPrefix(value, orderGIDPrefix), 10, 64)
			if err != nil {
				continue
			}
			t.id = n
		default:
			continue
		}
		s.terms = append(s.terms, t)
	}
	return s, nil
}

// splitSearch splits a search query on spaces outside quotes.
func splitSearch(q string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	for _, r := range q {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote = r
			cur.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\n':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func compareOp(c int, op string) bool {
	switch op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return c == 0
}

func (s orderSearch) match(o *storedOrder) bool {
	for _, t := range s.terms {
		var c int
		switch t.field {
		case "created_at":
			c = o.created.Compare(t.at)
		case "updated_at":
			c = o.updated.Compare(t.at)
		case "processed_at":
			c = o.processed.Compare(t.at)
		case "id":
			c = 0
			if o.id < t.id {
				c = -1
			} else if o.id > t.id {
				c = 1
			}
		}
		if !compareOp(c, t.op) {
			return false
		}
	}
	return true
}

// orderSortKey is the value an order sorts by under a sort key (ties broken by id).
func orderSortKey(key string) (func(*storedOrder) time.Time, error) {
	switch key {
	case "", "PROCESSED_AT":
		return func(o *storedOrder) time.Time { return o.processed }, nil
	case "CREATED_AT":
		return func(o *storedOrder) time.Time { return o.created }, nil
	case "UPDATED_AT":
		return func(o *storedOrder) time.Time { return o.updated }, nil
	case "ID":
		return nil, nil
	}
	return nil, &codedError{code: "BAD_REQUEST", msg: fmt.Sprintf("the simulator does not sort orders by %s", key)}
}

// orderCursor is the content of an orders cursor: the last order's sort value and id.
type orderCursor struct {
	LastID    int64  `json:"last_id"`
	LastValue string `json:"last_value,omitempty"`
}

func encodeOrderCursor(o *storedOrder, sortBy func(*storedOrder) time.Time) string {
	c := orderCursor{LastID: o.id}
	if sortBy != nil {
		c.LastValue = sortBy(o).UTC().Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(c)
	return base64.StdEncoding.EncodeToString(b)
}

var errInvalidCursor = &codedError{code: "BAD_REQUEST", msg: "Invalid cursor"}

func decodeOrderCursor(s string) (orderCursor, time.Time, error) {
	var c orderCursor
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.LastID <= 0 {
		return c, time.Time{}, errInvalidCursor
	}
	var at time.Time
	if c.LastValue != "" {
		if at, err = time.Parse(time.RFC3339Nano, c.LastValue); err != nil {
			return c, time.Time{}, errInvalidCursor
		}
	}
	return c, at, nil
}

// matchingOrders returns the orders visible to the app that match a search, sorted by the
// sort key (ascending; reverse turns it round) and then id.
func (s *Server) matchingOrders(query, sortKey string, reverse bool) ([]*storedOrder, func(*storedOrder) time.Time, error) {
	search, err := parseOrderSearch(query, s.loc)
	if err != nil {
		return nil, nil, &codedError{code: "BAD_REQUEST", msg: err.Error()}
	}
	sortBy, err := orderSortKey(sortKey)
	if err != nil {
		return nil, nil, err
	}
	ws := s.windowStart()
	s.store.mu.RLock()
	out := make([]*storedOrder, 0, 64)
	for _, o := range s.store.byIDOrder {
		if !ws.IsZero() && o.windowTime(s.opts.WindowBy).Before(ws) {
			continue
		}
		if search.match(o) {
			out = append(out, o)
		}
	}
	s.store.mu.RUnlock()
	if sortBy != nil {
		sort.SliceStable(out, func(i, j int) bool {
			a, b := sortBy(out[i]), sortBy(out[j])
			if !a.Equal(b) {
				return a.Before(b)
			}
			return out[i].id < out[j].id
		})
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, sortBy, nil
}

// cursorCompare compares o with the cursor position in the listing's order: negative when
// o comes first.
func cursorCompare(o *storedOrder, c orderCursor, at time.Time, sortBy func(*storedOrder) time.Time, reverse bool) int {
	cmp := 0
	if sortBy != nil {
		cmp = sortBy(o).Compare(at)
	}
	if cmp == 0 {
		switch {
		case o.id < c.LastID:
			cmp = -1
		case o.id > c.LastID:
			cmp = 1
		}
	}
	if reverse {
		cmp = -cmp
	}
	return cmp
}

// ordersConnection answers QueryRoot.orders: a page of orders after (or before) a cursor.
func (s *Server) ordersConnection(args map[string]any) (any, error) {
	first, hasFirst := argInt(args, "first")
	last, hasLast := argInt(args, "last")
	if !hasFirst && !hasLast {
		return nil, errPageArgs
	}
	if (hasFirst && (first < 0 || first > maxPageSize)) || (hasLast && (last < 0 || last > maxPageSize)) {
		return nil, &codedError{code: "BAD_REQUEST", msg: "first and last must be between 0 and 250"}
	}
	query, _ := argString(args, "query")
	sortKey, _ := argString(args, "sortKey")
	reverse := argBool(args, "reverse")
	all, sortBy, err := s.matchingOrders(query, sortKey, reverse)
	if err != nil {
		return nil, err
	}
	start, end := 0, len(all)
	if after, ok := argString(args, "after"); ok && after != "" {
		c, at, err := decodeOrderCursor(after)
		if err != nil {
			return nil, err
		}
		start = sort.Search(len(all), func(i int) bool { return cursorCompare(all[i], c, at, sortBy, reverse) > 0 })
	}
	if before, ok := argString(args, "before"); ok && before != "" {
		c, at, err := decodeOrderCursor(before)
		if err != nil {
			return nil, err
		}
		end = sort.Search(len(all), func(i int) bool { return cursorCompare(all[i], c, at, sortBy, reverse) >= 0 })
	}
	if start > end {
		start = end
	}
	window := all[start:end]
	hasNext, hasPrev := end < len(all), start > 0
	if hasFirst && len(window) > first {
		window, hasNext = window[:first], true
	}
	if hasLast && len(window) > last {
		window, hasPrev = window[len(window)-last:], true
	}
	edges := make([]any, len(window))
	nodes := make([]any, len(window))
	for i, o := range window {
		node, err := gqlOrder(o.raw, s.currency(), s.Locations())
		if err != nil {
			return nil, fmt.Errorf("order %d: %w", o.id, err)
		}
		nodes[i] = node
		edges[i] = map[string]any{"cursor": encodeOrderCursor(o, sortBy), "node": node}
	}
	page := map[string]any{"hasNextPage": hasNext, "hasPreviousPage": hasPrev, "startCursor": nil, "endCursor": nil}
	if len(window) > 0 {
		page["startCursor"], page["endCursor"] = encodeOrderCursor(window[0], sortBy), encodeOrderCursor(window[len(window)-1], sortBy)
	}
	return map[string]any{"edges": edges, "nodes": nodes, "pageInfo": page}, nil
}

// listKey is the key of a connection's node for opaque cursors: its id.
func listKey(n any) string {
	m, _ := n.(map[string]any)
	id, _ := m["id"].(string)
	return id
}

// orderResolvers serve QueryRoot.orders and order, and the connections of an Order.
func (s *Server) orderResolvers() map[string]map[string]gqlFieldFunc {
	conn := func(field string) gqlFieldFunc {
		return func(rc *gqlRequest, parent any, args map[string]any) (any, error) {
			m, _ := parent.(map[string]any)
			nodes, _ := m[field].([]any)
			if rc.bulk {
				return allConnection(nodes), nil
			}
			return gqlConnection(nodes, listKey, args)
		}
	}
	return map[string]map[string]gqlFieldFunc{
		"QueryRoot": {
			"orders": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				if !s.hasScope(rc, "read_orders") {
					return nil, accessDenied("orders", "read_orders")
				}
				return s.ordersConnection(args)
			},
			"nodes": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				if !s.hasScope(rc, "read_orders") {
					return nil, accessDenied("nodes", "read_orders")
				}
				return s.nodes(args)
			},
			"order": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				if !s.hasScope(rc, "read_orders") {
					return nil, accessDenied("order", "read_orders")
				}
				id, _ := argString(args, "id")
				n, ok := strings.CutPrefix(id, orderGIDPrefix)
				if !ok {
					return nil, &codedError{code: "BAD_REQUEST", msg: fmt.Sprintf("Invalid global id '%s'", id)}
				}
				o, ok := s.visibleOrder(n)
				if !ok {
					return nil, nil
				}
				return gqlOrder(o.raw, s.currency(), s.Locations())
			},
		},
		"Order": {
			"lineItems":         conn("lineItems"),
			"shippingLines":     conn("shippingLines"),
			"fulfillmentOrders": conn("fulfillmentOrders"),
			"refunds": func(_ *gqlRequest, parent any, args map[string]any) (any, error) {
				m, _ := parent.(map[string]any)
				list, _ := m["refunds"].([]any)
				if n, ok := argInt(args, "first"); ok && n < len(list) {
					list = list[:max(n, 0)]
				}
				return list, nil
			},
		},
		"Refund": {
			"refundLineItems":     conn("refundLineItems"),
			"transactions":        conn("transactions"),
			"orderAdjustments":    conn("orderAdjustments"),
			"refundShippingLines": conn("refundShippingLines"),
		},
		"LineItem": {
			"taxLines": func(_ *gqlRequest, parent any, args map[string]any) (any, error) {
				m, _ := parent.(map[string]any)
				list, _ := m["taxLines"].([]any)
				if n, ok := argInt(args, "first"); ok && n < len(list) {
					list = list[:max(n, 0)]
				}
				return list, nil
			},
		},
	}
}

// maxNodeIDs is the most ids nodes(ids:) takes.
const maxNodeIDs = 250

// nodes answers QueryRoot.nodes: each id's object, null for one the shop does not show.
// The simulator knows refunds (the kind of node kassa asks for by id).
func (s *Server) nodes(args map[string]any) (any, error) {
	raw, _ := args["ids"].([]any)
	if len(raw) > maxNodeIDs {
		return nil, &codedError{code: "BAD_REQUEST", msg: fmt.Sprintf("nodes accepts at most %d ids", maxNodeIDs)}
	}
	want := map[string][]int{}
	out := make([]any, len(raw))
	for i, v := range raw {
		id, _ := v.(string)
		if !strings.HasPrefix(id, "gid://shopify/") {
			return nil, &codedError{code: "BAD_REQUEST", msg: fmt.Sprintf("Invalid global id '%s'", id)}
		}
		if strings.HasPrefix(id, "gid://shopify/Refund/") {
			want[id] = append(want[id], i)
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	// The orders the refunds asked for belong to, each rendered once.
	ws := s.windowStart()
	s.store.mu.RLock()
	var orders []*storedOrder
	seen := map[int64]bool{}
	for id := range want {
		rid, err := strconv.ParseInt(strings.TrimPrefix(id, "gid://shopify/Refund/"), 10, 64)
		if err != nil {
			continue
		}
		oid, ok := s.store.refundOf[rid]
		if !ok || seen[oid] {
			continue
		}
		seen[oid] = true
		if o := s.store.byID[oid]; ws.IsZero() || !o.windowTime(s.opts.WindowBy).Before(ws) {
			orders = append(orders, o)
		}
	}
	s.store.mu.RUnlock()
	for _, o := range orders {
		node, err := gqlOrder(o.raw, s.currency(), s.Locations())
		if err != nil {
			return nil, fmt.Errorf("order %d: %w", o.id, err)
		}
		list, _ := node["refunds"].([]any)
		for _, r := range list {
			m, _ := r.(map[string]any)
			id, _ := m["id"].(string)
			for _, i := range want[id] {
				out[i] = gqlTyped{typeName: "Refund", value: m}
			}
		}
	}
	return out, nil
}

// hasScope reports whether the request's token holds scope (a write scope counts as its
// read scope).
func (s *Server) hasScope(rc *gqlRequest, scope string) bool {
	if rc.token == nil {
		return true
	}
	for _, h := range rc.token.scopes {
		if h == scope || (strings.HasPrefix(scope, "read_") && h == "write_"+strings.TrimPrefix(scope, "read_")) {
			return true
		}
	}
	return false
}

func accessDenied(field, scope string) error {
	return &codedError{
		code: "ACCESS_DENIED",
		msg:  fmt.Sprintf("Access denied for %s field. Required access: `%s` access scope.", field, scope),
		ext:  map[string]any{"requiredAccess": "`" + scope + "` access scope."},
	}
}
