package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"
)

// Webhook topics the daemon acts on.
const (
	topicOrdersCreate    = "orders/create"
	topicOrdersUpdated   = "orders/updated"
	topicAppUninstall    = "app/uninstalled"
	topicOrdersEdited    = "orders/edited"
	topicOrdersCancelled = "orders/cancelled"
	topicRefundsCreate   = "refunds/create"
	topicBulkFinish      = "bulk_operations/finish"
)

// webhookTopics are the topics kassa subscribes to, each with the check its body must pass
// before the delivery is stored. It is the one list: the daemon and 'kassa shopify
// connect' subscribe shops to exactly these (WebhookTopics). X-Shopify-Topic is not covered
// by the signature, so a signed body can be resent under another topic: the check makes
// sure the body is what the topic says. A delivery of any other topic is answered 200
// (Shopify would otherwise send it again) and dropped unstored. A topic kassa starts to
// subscribe to is added here, with its body's check. bulk_operations/finish is not stored:
// it wakes the Get all run waiting for that bulk operation at once (see
// shopify.NotifyBulkFinished), which otherwise finds out by polling.
var webhookTopics = map[string]func(body []byte, shop string) error{
	topicOrdersCreate:    checkOrderBody,
	topicOrdersUpdated:   checkOrderBody,
	topicAppUninstall:    checkShopBody,
	topicOrdersEdited:    checkOrderEditBody,
	topicOrdersCancelled: checkOrderBody,
	topicRefundsCreate:   checkRefundBody,
	topicBulkFinish:      checkBulkFinishBody,
}

// WebhookTopics lists the webhook topics kassa subscribes shops to, sorted.
func WebhookTopics() []string {
	out := make([]string, 0, len(webhookTopics))
	for t := range webhookTopics {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// metricTopic keeps the metric's label set small whatever a caller sends as topic.
func metricTopic(t string) string {
	if _, ok := webhookTopics[t]; ok {
		return t
	}
	return "other"
}

// jsonObject decodes body's top-level fields, leaving their values undecoded.
func jsonObject(body []byte) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return nil, errors.New("the body is not a JSON object")
	}
	return fields, nil
}

// positiveID reports whether v is a JSON number (not a string holding one) that is a
// positive whole id.
func positiveID(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] < '1' || v[0] > '9' {
		return false
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return false
	}
	id, err := n.Int64()
	return err == nil && id > 0
}

// checkOrderBody accepts an order: a JSON object with a positive id, a name or an order
// number, and line items.
func checkOrderBody(body []byte, _ string) error {
	o, err := jsonObject(body)
	if err != nil {
		return err
	}
	if !positiveID(o["id"]) {
		return errors.New("the body is not an order: it has no id")
	}
	var name string
	if json.Unmarshal(o["name"], &name) != nil || strings.TrimSpace(name) == "" {
		if !positiveID(o["order_number"]) {
			return errors.New("the body is not an order: it has neither a name nor an order number")
		}
	}
	if items := bytes.TrimSpace(o["line_items"]); len(items) == 0 || items[0] != '[' {
		return errors.New("the body is not an order: it has no line items")
	}
	return nil
}

// checkShopBody accepts the shop resource of shop (what app/uninstalled carries): a JSON
// object with a positive id whose myshopify_domain, or else domain, is shop, and that is
// not an order.
func checkShopBody(body []byte, shop string) error {
	s, err := jsonObject(body)
	if err != nil {
		return err
	}
	if !positiveID(s["id"]) {
		return errors.New("the body is not a shop: it has no id")
	}
	for _, orderField := range []string{"line_items", "order_number", "financial_status"} {
		if _, ok := s[orderField]; ok {
			return errors.New("the body is an order, not a shop")
		}
	}
	// myshopify_domain is the shop's own; domain may be its custom one.
	var domain string
	if json.Unmarshal(s["myshopify_domain"], &domain) != nil || domain == "" {
		_ = json.Unmarshal(s["domain"], &domain)
	}
	if !strings.EqualFold(strings.TrimSpace(domain), shop) {
		return errors.New("the body is not the shop the delivery names")
	}
	return nil
}

// notAnOrder refuses a body that carries an order's own fields.
func notAnOrder(o map[string]json.RawMessage, what string) error {
	for _, orderField := range []string{"line_items", "order_number", "financial_status"} {
		if _, ok := o[orderField]; ok {
			return errors.New("the body is an order, not " + what)
		}
	}
	return nil
}

// checkOrderEditBody accepts what orders/edited carries: only ids, an order_edit object
// naming its order ({"order_edit": {"id": ..., "order_id": ..., "line_items": {...}}}).
func checkOrderEditBody(body []byte, _ string) error {
	o, err := jsonObject(body)
	if err != nil {
		return err
	}
	if err := notAnOrder(o, "an order edit"); err != nil {
		return err
	}
	edit, err := jsonObject(o["order_edit"])
	if err != nil {
		return errors.New("the body is not an order edit: it has no order_edit object")
	}
	if !positiveID(edit["order_id"]) {
		return errors.New("the body is not an order edit: it names no order")
	}
	return nil
}

// checkRefundBody accepts a refund: a JSON object with a positive id, the id of its order,
// and refund line items; not an order.
func checkRefundBody(body []byte, _ string) error {
	r, err := jsonObject(body)
	if err != nil {
		return err
	}
	if err := notAnOrder(r, "a refund"); err != nil {
		return err
	}
	if !positiveID(r["id"]) || !positiveID(r["order_id"]) {
		return errors.New("the body is not a refund: it has no id or order id")
	}
	if items := bytes.TrimSpace(r["refund_line_items"]); len(items) == 0 || items[0] != '[' {
		return errors.New("the body is not a refund: it has no refund line items")
	}
	return nil
}

// checkBulkFinishBody accepts what bulk_operations/finish carries: the operation's global
// id (admin_graphql_api_id, gid://shopify/BulkOperation/N) and its status; not an order.
func checkBulkFinishBody(body []byte, _ string) error {
	b, err := jsonObject(body)
	if err != nil {
		return err
	}
	if err := notAnOrder(b, "a bulk operation"); err != nil {
		return err
	}
	var id, status string
	if json.Unmarshal(b["admin_graphql_api_id"], &id) != nil || !strings.HasPrefix(id, "gid://shopify/BulkOperation/") {
		return errors.New("the body is not a bulk operation: it has no bulk operation id")
	}
	if json.Unmarshal(b["status"], &status) != nil || status == "" {
		return errors.New("the body is not a bulk operation: it has no status")
	}
	return nil
}

// bulkOperationID is the operation a checked bulk_operations/finish body names.
func bulkOperationID(body []byte) string {
	var b struct {
		ID string `json:"admin_graphql_api_id"`
	}
	_ = json.Unmarshal(body, &b)
	return b.ID
}
