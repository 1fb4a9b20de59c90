package shopifysim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// orderWindow is how far back an app without read_all_orders sees orders.
const orderWindow = 60 * 24 * time.Hour

// orderFilterKeys are the order list parameters that filter; they are the ones a cursor
// carries and the ones refused next to page_info.
var orderFilterKeys = []string{
	"attribution_app_id", "created_at_max", "created_at_min", "financial_status", "fulfillment_status",
	"ids", "processed_at_max", "processed_at_min", "since_id", "status", "updated_at_max", "updated_at_min",
}

// orderFilter is a parsed set of order list filters.
type orderFilter struct {
	ids                        map[int64]bool
	sinceID                    int64
	hasSinceID                 bool
	createdMin, createdMax     time.Time
	updatedMin, updatedMax     time.Time
	processedMin, processedMax time.Time
	status                     string
	financial                  string
	fulfillment                string
	windowStart                time.Time
	windowBy                   string
}

// filterError is a 400 answer about one parameter.
type filterError struct{ field, msg string }

func parseOrderFilter(q url.Values) (orderFilter, *filterError) {
	f := orderFilter{status: "open", financial: "any", fulfillment: "any"}
	if v := q.Get("ids"); v != "" {
		f.ids = map[int64]bool{}
		for _, part := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil {
				return f, &filterError{"ids", "ids must be a comma-separated list of integers"}
			}
			f.ids[id] = true
		}
	}
	if v := q.Get("since_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, &filterError{"since_id", "since_id must be an integer"}
		}
		f.sinceID, f.hasSinceID = id, true
	}
	times := []struct {
		key string
		dst *time.Time
	}{
		{"created_at_min", &f.createdMin}, {"created_at_max", &f.createdMax},
		{"updated_at_min", &f.updatedMin}, {"updated_at_max", &f.updatedMax},
		{"processed_at_min", &f.processedMin}, {"processed_at_max", &f.processedMax},
	}
	for _, t := range times {
		if v := q.Get(t.key); v != "" {
			ts, err := parseTimestamp(v)
			if err != nil {
				return f, &filterError{t.key, t.key + " is not a valid ISO 8601 timestamp"}
			}
			*t.dst = ts
		}
	}
	if v := q.Get("status"); v != "" {
		switch v {
		case "open", "closed", "cancelled", "any":
			f.status = v
		default:
			return f, &filterError{"status", "status is not a valid value"}
		}
	}
	if v := q.Get("financial_status"); v != "" {
		f.financial = v
	}
	if v := q.Get("fulfillment_status"); v != "" {
		f.fulfillment = v
	}
	return f, nil
}

func inRange(t, lo, hi time.Time) bool {
	return (lo.IsZero() || !t.Before(lo)) && (hi.IsZero() || !t.After(hi))
}

// match reports whether o passes the filter and the 60-day window.
func (f orderFilter) match(o *storedOrder) bool {
	if !f.windowStart.IsZero() && o.windowTime(f.windowBy).Before(f.windowStart) {
		return false
	}
	if f.ids != nil && !f.ids[o.id] {
		return false
	}
	if f.hasSinceID && o.id <= f.sinceID {
		return false
	}
	if !inRange(o.created, f.createdMin, f.createdMax) || !inRange(o.updated, f.updatedMin, f.updatedMax) ||
		!inRange(o.processed, f.processedMin, f.processedMax) {
		return false
	}
	switch f.status {
	case "open":
		if o.closed || o.cancelled {
			return false
		}
	case "closed":
		if !o.closed {
			return false
		}
	case "cancelled":
		if !o.cancelled {
			return false
		}
	}
	switch f.financial {
	case "any":
	case "unpaid":
		if o.financial != "authorized" && o.financial != "partially_paid" {
			return false
		}
	default:
		if o.financial != f.financial {
			return false
		}
	}
	switch f.fulfillment {
	case "any":
	case "shipped", "fulfilled":
		return o.fulfillment == "fulfilled"
	case "partial":
		return o.fulfillment == "partial"
	case "unshipped":
		return o.fulfillment == ""
	case "unfulfilled":
		return o.fulfillment == "" || o.fulfillment == "partial"
	default:
		return o.fulfillment == f.fulfillment
	}
	return true
}

// windowTime is the timestamp the 60-day window is measured on.
func (o *storedOrder) windowTime(by string) time.Time {
	switch by {
	case "processed_at":
		return o.processed
	case "updated_at":
		return o.updated
	}
	return o.created
}

// windowStart is the oldest timestamp an app may see, or zero with read_all_orders.
func (s *Server) windowStart() time.Time {
	if s.opts.ReadAllOrders {
		return time.Time{}
	}
	return s.clock().Add(-orderWindow)
}

// pageInfo is the content of an opaque page_info cursor, shaped like Shopify's.
type pageInfo struct {
	Direction string `json:"direction"`
	LastID    int64  `json:"last_id"`
	LastValue string `json:"last_value,omitempty"`
	// Filters is the query string of the first request's filters.
	Filters string `json:"filters,omitempty"`
}

func encodePageInfo(p pageInfo) string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageInfo(s string) (pageInfo, bool) {
	var p pageInfo
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || json.Unmarshal(b, &p) != nil || (p.Direction != "next" && p.Direction != "prev") {
		return pageInfo{}, false
	}
	return p, true
}

// pageInfoConflict returns the first parameter that may not accompany page_info.
func pageInfoConflict(q url.Values) string {
	var keys []string
	for k := range q {
		if k != "page_info" && k != "limit" && k != "fields" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

func writePageInfoConflict(w http.ResponseWriter, key string) {
	writeFieldError(w, http.StatusBadRequest, key, key+
		" cannot be passed when page_info is present. See https://shopify.dev/api/usage/pagination-rest for more information.")
}

func (s *Server) routeOrders(w http.ResponseWriter, r *apiRequest, rest []string) {
	switch {
	case len(rest) == 0:
		if r.Method != http.MethodGet {
			writeMethodNotAllowed(w)
			return
		}
		s.listOrders(w, r)
	case len(rest) == 1 && rest[0] == "count":
		s.countOrders(w, r)
	case len(rest) == 1:
		s.getOrder(w, r, rest[0])
	case len(rest) == 2 && rest[1] == "transactions":
		s.listTransactions(w, r, rest[0], false)
	case len(rest) == 3 && rest[1] == "transactions" && rest[2] == "count":
		s.listTransactions(w, r, rest[0], true)
	case len(rest) == 2 && rest[1] == "refunds":
		s.listRefunds(w, r, rest[0])
	default:
		writeJSONError(w, http.StatusNotFound, "Not Found")
	}
}

func (s *Server) listOrders(w http.ResponseWriter, r *apiRequest) {
	q := r.URL.Query()
	limit, ok := queryLimit(w, q)
	if !ok {
		return
	}
	var (
		cursor  *pageInfo
		filterQ = url.Values{}
	)
	if pi := q.Get("page_info"); pi != "" {
		if k := pageInfoConflict(q); k != "" {
			writePageInfoConflict(w, k)
			return
		}
		p, ok := decodePageInfo(pi)
		if !ok {
			writeFieldError(w, http.StatusBadRequest, "page_info", "Invalid value.")
			return
		}
		cursor = &p
		if filterQ, _ = url.ParseQuery(p.Filters); filterQ == nil {
			filterQ = url.Values{}
		}
	} else {
		for _, k := range orderFilterKeys {
			if v, ok := q[k]; ok {
				filterQ[k] = v
			}
		}
	}
	f, ferr := parseOrderFilter(filterQ)
	if ferr != nil {
		writeFieldError(w, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}
	f.windowStart, f.windowBy = s.windowStart(), s.opts.WindowBy

	st := s.store
	st.mu.RLock()
	view := orderView{items: st.byCreated, desc: true}
	if f.hasSinceID {
		view = orderView{items: st.byIDOrder, byID: true}
	}
	var (
		key       *cursorKey
		direction = "next"
	)
	if cursor != nil {
		k := cursorKey{id: cursor.LastID}
		if !view.byID {
			t, err := time.Parse(time.RFC3339Nano, cursor.LastValue)
			if err != nil {
				st.mu.RUnlock()
				writeFieldError(w, http.StatusBadRequest, "page_info", "Invalid value.")
				return
			}
			k.created = t
		}
		key, direction = &k, cursor.Direction
	}
	page, hasPrev, hasNext := view.page(f.match, direction, key, limit)
	st.mu.RUnlock()

	fields := parseFields(q.Get("fields"))
	filters := filterQ.Encode()
	var links []string
	if hasPrev && len(page) > 0 {
		links = append(links, fmt.Sprintf("<%s>; rel=\"previous\"", s.pageURL(r, limit, q.Get("fields"), pageInfo{
			Direction: "prev", LastID: page[0].id, LastValue: cursorValue(page[0]), Filters: filters})))
	}
	if hasNext && len(page) > 0 {
		last := page[len(page)-1]
		links = append(links, fmt.Sprintf("<%s>; rel=\"next\"", s.pageURL(r, limit, q.Get("fields"), pageInfo{
			Direction: "next", LastID: last.id, LastValue: cursorValue(last), Filters: filters})))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	var buf bytes.Buffer
	buf.WriteString(`{"orders":[`)
	for i, o := range page {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(selectFields(o.raw, fields))
	}
	buf.WriteString("]}")
	writeRaw(w, http.StatusOK, buf.Bytes())
}

func cursorValue(o *storedOrder) string { return o.created.UTC().Format(time.RFC3339Nano) }

// pageURL is the absolute Link URL for a page, on the shop's domain, as Shopify builds it.
func (s *Server) pageURL(r *apiRequest, limit int, fields string, p pageInfo) string {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("page_info", encodePageInfo(p))
	if fields != "" {
		q.Set("fields", fields)
	}
	enc := q.Encode()
	if s.opts.RawCommaLinks {
		enc = strings.ReplaceAll(enc, "%2C", ",")
	}
	return s.shopURL(r.version, r.resource, enc)
}

func (s *Server) countOrders(w http.ResponseWriter, r *apiRequest) {
	if r.Method != http.MethodGet {
		writeMethodNotAllowed(w)
		return
	}
	q := r.URL.Query()
	filterQ := url.Values{}
	for _, k := range orderFilterKeys {
		// The count endpoint has no since_id or ids filter; go-shopify may still send them.
		if v, ok := q[k]; ok && k != "since_id" && k != "ids" {
			filterQ[k] = v
		}
	}
	f, ferr := parseOrderFilter(filterQ)
	if ferr != nil {
		writeFieldError(w, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}
	f.windowStart, f.windowBy = s.windowStart(), s.opts.WindowBy
	s.store.mu.RLock()
	n := 0
	for _, o := range s.store.byCreated {
		if f.match(o) {
			n++
		}
	}
	s.store.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]int{"count": n})
}

// visibleOrder finds an order the app may see (inside the window).
func (s *Server) visibleOrder(idText string) (*storedOrder, bool) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil, false
	}
	o, ok := s.store.get(id)
	if !ok {
		return nil, false
	}
	if ws := s.windowStart(); !ws.IsZero() && o.windowTime(s.opts.WindowBy).Before(ws) {
		return nil, false
	}
	return o, true
}

func (s *Server) getOrder(w http.ResponseWriter, r *apiRequest, idText string) {
	if r.Method != http.MethodGet {
		writeMethodNotAllowed(w)
		return
	}
	o, ok := s.visibleOrder(idText)
	if !ok {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	var buf bytes.Buffer
	buf.WriteString(`{"order":`)
	buf.Write(selectFields(o.raw, parseFields(r.URL.Query().Get("fields"))))
	buf.WriteString("}")
	writeRaw(w, http.StatusOK, buf.Bytes())
}

func (s *Server) listTransactions(w http.ResponseWriter, r *apiRequest, idText string, count bool) {
	if r.Method != http.MethodGet {
		writeMethodNotAllowed(w)
		return
	}
	o, ok := s.visibleOrder(idText)
	if !ok {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	txs := s.transactionsOf(o)
	if count {
		writeJSON(w, http.StatusOK, map[string]int{"count": len(txs)})
		return
	}
	var buf bytes.Buffer
	buf.WriteString(`{"transactions":[`)
	for i, t := range txs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(t)
	}
	buf.WriteString("]}")
	writeRaw(w, http.StatusOK, buf.Bytes())
}

// listRefunds serves the refunds embedded in the order JSON, as orders/{id}/refunds.json.
func (s *Server) listRefunds(w http.ResponseWriter, r *apiRequest, idText string) {
	if r.Method != http.MethodGet {
		writeMethodNotAllowed(w)
		return
	}
	o, ok := s.visibleOrder(idText)
	if !ok {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	var embedded struct {
		Refunds []json.RawMessage `json:"refunds"`
	}
	_ = json.Unmarshal(o.raw, &embedded)
	if embedded.Refunds == nil {
		embedded.Refunds = []json.RawMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"refunds": embedded.Refunds})
}

// parseFields splits a fields parameter; nil means every field.
func parseFields(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// selectFields keeps only the requested top-level fields of a JSON object, in the order
// requested; unknown field names are skipped, as Shopify does.
func selectFields(raw []byte, fields []string) []byte {
	if fields == nil {
		return raw
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return raw
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	for _, f := range fields {
		v, ok := m[f]
		if !ok {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		k, _ := json.Marshal(f)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
