package shopifysim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
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
//	POST /_sim/orders/{id}/refund  body: a RefundRequest (Server.RefundOrder)
//	POST /_sim/orders/{id}/cancel  body: {"restock": true, "reason": "customer"} (Server.CancelOrder)
//	POST /_sim/orders/{id}/edit    body: an EditRequest (Server.EditOrder)
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
	if rest, ok := strings.CutPrefix(r.URL.Path, "/_sim/orders/"); ok && strings.Contains(rest, "/") {
		s.serveOrderChange(w, r, rest)
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

// serveOrderChange answers POST /_sim/orders/{id}/{refund|cancel|edit}.
func (s *Server) serveOrderChange(w http.ResponseWriter, r *http.Request, rest string) {
	if r.Method != http.MethodPost {
		writeMethodNotAllowed(w)
		return
	}
	idText, action, _ := strings.Cut(rest, "/")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var out any
	switch action {
	case "refund":
		var req RefundRequest
		if err = json.Unmarshal(body, &req); err == nil {
			var rf shopdata.Refund
			rf, err = s.RefundOrder(id, req)
			out = map[string]any{"refund": rf}
		}
	case "cancel":
		var req struct {
			Restock bool   `json:"restock"`
			Reason  string `json:"reason"`
		}
		if err = json.Unmarshal(body, &req); err == nil {
			var o shopdata.Order
			o, err = s.CancelOrder(id, req.Restock, req.Reason)
			out = map[string]any{"order": o}
		}
	case "edit":
		var req EditRequest
		if err = json.Unmarshal(body, &req); err == nil {
			var o shopdata.Order
			o, err = s.EditOrder(id, req)
			out = map[string]any{"order": o}
		}
	default:
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	switch {
	case errors.Is(err, ErrOrderNotFound):
		writeJSONError(w, http.StatusNotFound, err.Error())
	case err != nil:
		writeJSONError(w, http.StatusUnprocessableEntity, err.Error())
	default:
		writeJSON(w, http.StatusOK, out)
	}
}
