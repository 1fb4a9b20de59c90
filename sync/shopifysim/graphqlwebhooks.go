package shopifysim

import (
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// webhookTopicEnums maps the WebhookSubscriptionTopic values the simulator knows to the
// topics of webhook deliveries (X-Shopify-Topic).
var webhookTopicEnums = map[string]string{
	"APP_UNINSTALLED":         "app/uninstalled",
	"BULK_OPERATIONS_FINISH":  "bulk_operations/finish",
	"CUSTOMERS_CREATE":        "customers/create",
	"CUSTOMERS_UPDATE":        "customers/update",
	"FULFILLMENTS_CREATE":     "fulfillments/create",
	"FULFILLMENTS_UPDATE":     "fulfillments/update",
	"INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
	"ORDERS_CANCELLED":        "orders/cancelled",
	"ORDERS_CREATE":           "orders/create",
	"ORDERS_EDITED":           "orders/edited",
	"ORDERS_FULFILLED":        "orders/fulfilled",
	"ORDERS_PAID":             "orders/paid",
	"ORDERS_UPDATED":          "orders/updated",
	"PRODUCTS_CREATE":         "products/create",
	"PRODUCTS_DELETE":         "products/delete",
	"PRODUCTS_UPDATE":         "products/update",
	"REFUNDS_CREATE":          "refunds/create",
	"RETURNS_REQUEST":         "returns/request",
}

// topicEnum is the WebhookSubscriptionTopic value of a delivery topic.
func topicEnum(topic string) string {
	for enum, t := range webhookTopicEnums {
		if t == topic {
			return enum
		}
	}
	return strings.ToUpper(strings.NewReplacer("/", "_").Replace(topic))
}

const webhookGIDPrefix = "gid://shopify/WebhookSubscription/"

// webhookNode is a subscription as the GraphQL Admin API answers it.
func (h *webhooks) webhookNode(w *Webhook) map[string]any {
	var name any
	if w.name != "" {
		name = w.name
	}
	return map[string]any{
		"id":                  webhookGIDPrefix + strconv.FormatInt(w.ID, 10),
		"legacyResourceId":    strconv.FormatInt(w.ID, 10),
		"topic":               topicEnum(w.Topic),
		"uri":                 w.Address,
		"name":                name,
		"format":              strings.ToUpper(w.Format),
		"includeFields":       w.Fields,
		"metafieldNamespaces": w.MetafieldNamespaces,
		"filter":              nil,
		"apiVersion":          map[string]any{"handle": w.APIVersion, "displayName": w.APIVersion, "supported": true},
		"createdAt":           w.createdAt.UTC().Format(time.RFC3339),
		"updatedAt":           w.updatedAt.UTC().Format(time.RFC3339),
	}
}

// uriProblem says why Shopify would refuse a subscription's URI, or "" when it takes it.
// Shopify delivers to HTTPS only; the simulator also takes plain HTTP to a loopback host, so
// that tests and demos can receive deliveries without TLS.
func uriProblem(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return "Address is invalid"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return ""
		}
		return "Address protocol http:// is not supported"
	}
	return "Address protocol " + u.Scheme + ":// is not supported"
}

func userError(field []string, msg string) map[string]any {
	return map[string]any{"field": field, "message": msg}
}

// resolvers serve webhookSubscriptions, webhookSubscription and the create and delete
// mutations over the same subscriptions webhooks.json serves.
func (h *webhooks) resolvers() map[string]map[string]gqlFieldFunc {
	return map[string]map[string]gqlFieldFunc{
		"QueryRoot": {
			"webhookSubscriptions": func(_ *gqlRequest, _ any, args map[string]any) (any, error) {
				topics, _ := argStrings(args, "topics")
				uri, hasURI := argString(args, "uri")
				h.mu.Lock()
				subs := make([]*Webhook, 0, len(h.subs))
				for _, s := range h.subs {
					if len(topics) > 0 && !containsString(topics, topicEnum(s.Topic)) {
						continue
					}
					if hasURI && s.Address != uri {
						continue
					}
					c := *s
					subs = append(subs, &c)
				}
				h.mu.Unlock()
				sort.Slice(subs, func(i, j int) bool { return subs[i].ID < subs[j].ID })
				nodes := make([]any, len(subs))
				for i, s := range subs {
					nodes[i] = h.webhookNode(s)
				}
				return gqlConnection(nodes, func(n any) string { return n.(map[string]any)["legacyResourceId"].(string) }, args)
			},
			"webhookSubscription": func(_ *gqlRequest, _ any, args map[string]any) (any, error) {
				id, _ := argString(args, "id")
				h.mu.Lock()
				defer h.mu.Unlock()
				for _, s := range h.subs {
					if webhookGIDPrefix+strconv.FormatInt(s.ID, 10) == id {
						return h.webhookNode(s), nil
					}
				}
				return nil, nil
			},
		},
		"Mutation": {
			"webhookSubscriptionCreate": func(rc *gqlRequest, _ any, args map[string]any) (any, error) {
				enum, _ := argString(args, "topic")
				in, _ := args["webhookSubscription"].(map[string]any)
				topic, known := webhookTopicEnums[enum]
				if !known {
					return map[string]any{"webhookSubscription": nil, "userErrors": []any{
						userError([]string{"topic"}, "Topic is not supported by the simulator"),
					}}, nil
				}
				uri, _ := in["uri"].(string)
				if strings.TrimSpace(uri) == "" {
					return map[string]any{"webhookSubscription": nil, "userErrors": []any{
						userError([]string{"webhookSubscription", "callbackUrl"}, "Address can't be blank"),
					}}, nil
				}
				if p := uriProblem(uri); p != "" {
					return map[string]any{"webhookSubscription": nil, "userErrors": []any{
						userError([]string{"webhookSubscription", "callbackUrl"}, p),
					}}, nil
				}
				format := "json"
				if f, ok := in["format"].(string); ok && f != "" {
					format = strings.ToLower(f)
				}
				name, _ := in["name"].(string)
				h.mu.Lock()
				for _, s := range h.subs {
					if s.Topic == topic && s.Address == uri {
						h.mu.Unlock()
						return map[string]any{"webhookSubscription": nil, "userErrors": []any{
							userError([]string{"webhookSubscription", "callbackUrl"}, "Address for this topic has already been taken"),
						}}, nil
					}
				}
				h.mu.Unlock()
				// The webhook API version is the app's, not the subscription's: the
				// version the simulator answers with.
				wh := h.subscribe(topic, uri, format, h.s.servedVersion(h.s.version))
				h.mu.Lock()
				wh.name = name
				node := h.webhookNode(wh)
				h.mu.Unlock()
				return map[string]any{"webhookSubscription": node, "userErrors": []any{}}, nil
			},
			"webhookSubscriptionDelete": func(_ *gqlRequest, _ any, args map[string]any) (any, error) {
				id, _ := argString(args, "id")
				n, err := strconv.ParseInt(strings.TrimPrefix(id, webhookGIDPrefix), 10, 64)
				if err != nil || !strings.HasPrefix(id, webhookGIDPrefix) || !h.s.DeleteWebhook(n) {
					return map[string]any{"deletedWebhookSubscriptionId": nil, "userErrors": []any{
						userError([]string{"id"}, "Webhook subscription does not exist"),
					}}, nil
				}
				return map[string]any{"deletedWebhookSubscriptionId": id, "userErrors": []any{}}, nil
			},
		},
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// DeleteWebhook removes a webhook subscription, as Shopify does after eight consecutive
// failed deliveries to a subscription made through the Admin API, and reports whether it
// existed. Deliveries already queued for it still go out.
func (s *Server) DeleteWebhook(id int64) bool {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	for i, w := range s.hooks.subs {
		if w.ID == id {
			s.hooks.subs = append(s.hooks.subs[:i], s.hooks.subs[i+1:]...)
			s.hooks.notify()
			return true
		}
	}
	return false
}

// serveWebhookControl answers DELETE /_sim/webhooks/{id} and DELETE /_sim/webhooks?topic=T
// (every subscription of a topic): {"deleted": N}.
func (s *Server) serveWebhookControl(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodDelete {
		writeMethodNotAllowed(w)
		return
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/_sim/webhooks"), "/")
	n := 0
	if rest != "" {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			writeJSONError(w, http.StatusNotFound, "Not Found")
			return
		}
		if s.DeleteWebhook(id) {
			n = 1
		}
	} else {
		topic := r.URL.Query().Get("topic")
		if topic == "" {
			writeJSONError(w, http.StatusBadRequest, "name a subscription: /_sim/webhooks/{id} or ?topic=orders/create")
			return
		}
		for _, wh := range s.Webhooks() {
			if wh.Topic == topic && s.DeleteWebhook(wh.ID) {
				n++
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
}
