package shopifysim

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// serveControl answers the /_sim/ endpoints scripts use to drive the shop. They need no
// token and never see faults or the rate limit.
//
//	POST /_sim/orders   body: one order JSON object (served as is), or empty to generate one
//	GET  /_sim/orders   every order, ignoring the 60-day window: {"orders":[...]}
//	GET  /_sim/stats    counters: requests, 429s, faults, webhooks
//	POST /_sim/uninstall  uninstall the app (see Server.Uninstall)
//	DELETE /_sim/webhooks/{id}, DELETE /_sim/webhooks?topic=T
//	                    delete webhook subscriptions, as Shopify does after 8 failed deliveries
//	POST /_sim/tokens/revoke  revoke every access token granted so far (Server.RevokeTokens)
//	GET|POST /_sim/inventory, POST /_sim/web-orders, POST /_sim/fulfillments
//	                    stock "in Shopify" (see serveInventoryControl)
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/_sim/inventory", "/_sim/web-orders", "/_sim/fulfillments":
		s.serveInventoryControl(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/_sim/webhooks") {
		s.serveWebhookControl(w, r)
		return
	}
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/_sim/tokens/revoke":
		if r.Method != http.MethodPost {
			writeMethodNotAllowed(w)
			return
		}
		s.RevokeTokens()
		writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
	case "/_sim/orders":
		switch r.Method {
		case http.MethodGet:
			var buf bytes.Buffer
			buf.WriteString(`{"orders":[`)
			for i, o := range s.AllOrders() {
				if i > 0 {
					buf.WriteByte(',')
				}
				buf.Write(o)
			}
			buf.WriteString("]}")
			writeRaw(w, http.StatusOK, buf.Bytes())
		case http.MethodPost:
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
			if err != nil {
				writeJSONError(w, http.StatusBadRequest, "read body: "+err.Error())
				return
			}
			body = bytes.TrimSpace(body)
			if len(body) == 0 {
				o, err := s.NewOrder()
				if err != nil {
					writeJSONError(w, http.StatusUnprocessableEntity, err.Error())
					return
				}
				writeJSON(w, http.StatusCreated, map[string]any{"order": o})
				return
			}
			if err := s.PlaceRawOrder(body); err != nil {
				writeJSONError(w, http.StatusUnprocessableEntity, err.Error())
				return
			}
			var buf bytes.Buffer
			buf.WriteString(`{"order":`)
			buf.Write(body)
			buf.WriteString("}")
			writeRaw(w, http.StatusCreated, buf.Bytes())
		default:
			writeMethodNotAllowed(w)
		}
	case "/_sim/uninstall":
		s.serveUninstall(w, r)
	case "/_sim/stats":
		if r.Method != http.MethodGet {
			writeMethodNotAllowed(w)
			return
		}
		writeJSON(w, http.StatusOK, s.Stats())
	default:
		writeJSONError(w, http.StatusNotFound, "Not Found")
	}
}
