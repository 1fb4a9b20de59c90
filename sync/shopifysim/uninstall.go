package shopifysim

import (
	"encoding/json"
	"net/http"
)

// TopicAppUninstalled is the topic Shopify delivers when a merchant uninstalls the app.
const TopicAppUninstalled = "app/uninstalled"

// shopID is the id of the simulated shop's resource (Shopify's documented example id).
const shopID = 548380009

// shopResource is the shop as shop.json serves it and app/uninstalled carries it.
func (s *Server) shopResource() map[string]any {
	return map[string]any{
		"id": shopID, "name": s.shopName(), "domain": s.Shop, "myshopify_domain": s.Shop,
		"iana_timezone": s.loc.String(), "currency": s.currency(), "plan_name": s.limiter.plan.Name,
		"primary_location_id": s.PrimaryLocation(),
	}
}

// Uninstall removes the app from the shop, as a merchant does in the Shopify admin: from
// then on every Admin API request with the app's access token is answered 401 "[API]
// Invalid API key or access token (unrecognized login or wrong password)", as Shopify
// answers a revoked token; app/uninstalled is delivered, with the shop resource as its
// body, to the subscriptions of that topic; and the app's webhook subscriptions are
// removed, so no other webhook follows. It returns how many deliveries were queued; a
// second call does nothing and returns 0.
func (s *Server) Uninstall() int {
	if !s.uninstalled.CompareAndSwap(false, true) {
		return 0
	}
	body, err := json.Marshal(s.shopResource())
	if err != nil {
		return 0 // a map of strings and numbers always encodes
	}
	n := s.hooks.emit([]string{TopicAppUninstalled}, body)
	s.hooks.mu.Lock()
	s.hooks.subs = nil
	s.hooks.mu.Unlock()
	return n
}

// Uninstalled reports whether the app was uninstalled.
func (s *Server) Uninstalled() bool { return s.uninstalled.Load() }

// serveUninstall answers POST /_sim/uninstall: {"uninstalled": true, "webhooks": N}.
func (s *Server) serveUninstall(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeMethodNotAllowed(w)
		return
	}
	n := s.Uninstall()
	writeJSON(w, http.StatusOK, map[string]any{"uninstalled": true, "webhooks": n})
}
