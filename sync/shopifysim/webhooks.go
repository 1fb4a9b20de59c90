package shopifysim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// WebhookOptions tunes webhook delivery. Shopify retries a failed delivery 8 times over 4
// hours; the defaults keep the count and the doubling but scale the delays down to
// milliseconds so tests and demos see retries happen.
type WebhookOptions struct {
	// Attempts is the number of delivery attempts per webhook, first one included;
	// default 9 (Shopify's first try and 8 retries).
	Attempts int
	// InitialBackoff is the wait before the first retry; it doubles for every further retry.
	// Default 100ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the wait between retries; default 5s.
	MaxBackoff time.Duration
	// Timeout is how long one attempt may take; default 5s, as Shopify's.
	Timeout time.Duration
	// Copies delivers every webhook this many times (same X-Shopify-Webhook-Id), to exercise
	// at-least-once handling; default 1.
	Copies int
	// Shuffle delivers due webhooks in random order (Shopify does not guarantee order); each
	// new webhook is also held back by a random delay of up to ShuffleWindow.
	Shuffle bool
	// ShuffleWindow is the largest random hold-back when shuffling; default 50ms.
	ShuffleWindow time.Duration
	// ShuffleSeed seeds the shuffling.
	ShuffleSeed uint64
}

// Webhook is a webhook subscription as webhooks.json serves it.
type Webhook struct {
	ID                         int64    `json:"id"`
	Address                    string   `json:"address"`
	Topic                      string   `json:"topic"`
	CreatedAt                  string   `json:"created_at"`
	UpdatedAt                  string   `json:"updated_at"`
	Format                     string   `json:"format"`
	Fields                     []string `json:"fields"`
	MetafieldNamespaces        []string `json:"metafield_namespaces"`
	APIVersion                 string   `json:"api_version"`
	PrivateMetafieldNamespaces []string `json:"private_metafield_namespaces"`

	// name, createdAt and updatedAt are what the GraphQL Admin API also shows.
	name                 string
	createdAt, updatedAt time.Time
}

// WebhookAttempt records one delivery attempt.
type WebhookAttempt struct {
	Topic     string
	Address   string
	WebhookID string
	EventID   string
	// Attempt counts from 1.
	Attempt int
	// Status is the receiver's HTTP status, 0 when the attempt failed without one.
	Status int
	// Err says why the attempt failed without a status (timeout, refused connection).
	Err  string
	Time time.Time
}

// WebhookStats counts webhook deliveries.
type WebhookStats struct {
	// Pending is the number of deliveries queued or waiting for a retry.
	Pending   int   `json:"pending"`
	Attempts  int64 `json:"attempts"`
	Delivered int64 `json:"delivered"`
	// Failed counts deliveries abandoned after the last attempt.
	Failed int64 `json:"failed"`
}

type delivery struct {
	address     string
	topic       string
	version     string
	body        []byte
	webhookID   string
	eventID     string
	triggeredAt string
	attempt     int
	due         time.Time
	seq         uint64
}

// webhooks holds subscriptions and delivers webhooks in one background goroutine.
type webhooks struct {
	s    *Server
	opts WebhookOptions

	mu       sync.Mutex
	subs     []*Webhook
	queue    []*delivery
	busy     bool
	seq      uint64
	rng      *rand.Rand
	changed  chan struct{} // closed and replaced on every state change
	attempts []WebhookAttempt

	wake      chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	transport *http.Transport
	client    *http.Client

	nAttempts  atomic.Int64
	nDelivered atomic.Int64
	nFailed    atomic.Int64
}

func newWebhooks(s *Server, o WebhookOptions) *webhooks {
	if o.Attempts <= 0 {
		o.Attempts = 9
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Copies <= 0 {
		o.Copies = 1
	}
	if o.ShuffleWindow <= 0 {
		o.ShuffleWindow = 50 * time.Millisecond
	}
	h := &webhooks{
		s: s, opts: o, rng: rand.New(rand.NewPCG(o.ShuffleSeed, 0x700c)), changed: make(chan struct{}),
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	h.client = &http.Client{
		Transport: h.transport,
		Timeout:   o.Timeout,
		// Shopify counts a redirect as a failed delivery.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return h
}

func (h *webhooks) start() { go h.run() }

// stop ends delivery (an attempt in flight is cancelled) and waits for the goroutine.
func (h *webhooks) stop() {
	h.cancel()
	<-h.done
	h.transport.CloseIdleConnections()
}

// notify wakes waiters after a state change (caller holds mu).
func (h *webhooks) notify() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *webhooks) subscribe(topic, address, format, version string) *Webhook {
	h.mu.Lock()
	defer h.mu.Unlock()
	at := h.s.clock()
	now := h.s.formatTime(at)
	if format == "" {
		format = "json"
	}
	wh := &Webhook{
		ID: h.s.newID(), Address: address, Topic: topic, CreatedAt: now, UpdatedAt: now, Format: format,
		Fields: []string{}, MetafieldNamespaces: []string{}, PrivateMetafieldNamespaces: []string{}, APIVersion: version,
		createdAt: at, updatedAt: at,
	}
	h.subs = append(h.subs, wh)
	h.notify()
	return wh
}

// Webhooks returns the current subscriptions.
func (s *Server) Webhooks() []Webhook {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]Webhook, len(s.hooks.subs))
	for i, w := range s.hooks.subs {
		out[i] = *w
	}
	return out
}

// Subscribe adds a webhook subscription as POST webhooks.json would.
func (s *Server) Subscribe(topic, address string) Webhook {
	return *s.hooks.subscribe(topic, address, "json", s.version)
}

// SendWebhook delivers body as a webhook of topic to every subscription of that topic and
// returns how many subscriptions it was queued for. The body is sent byte for byte.
func (s *Server) SendWebhook(topic string, body []byte) int {
	return s.hooks.emit([]string{topic}, body)
}

// WebhookAttempts returns the record of delivery attempts, oldest first.
func (s *Server) WebhookAttempts() []WebhookAttempt {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return append([]WebhookAttempt(nil), s.hooks.attempts...)
}

// WaitWebhooks blocks until no webhook is queued, waiting for a retry or being delivered,
// or until ctx ends.
func (s *Server) WaitWebhooks(ctx context.Context) error {
	for {
		s.hooks.mu.Lock()
		idle := len(s.hooks.queue) == 0 && !s.hooks.busy
		ch := s.hooks.changed
		s.hooks.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for webhooks: %w", ctx.Err())
		}
	}
}

func (h *webhooks) stats() WebhookStats {
	h.mu.Lock()
	pending := len(h.queue)
	if h.busy {
		pending++
	}
	h.mu.Unlock()
	return WebhookStats{
		Pending: pending, Attempts: h.nAttempts.Load(), Delivered: h.nDelivered.Load(), Failed: h.nFailed.Load(),
	}
}

// emit queues one event (one merchant action) for every subscription of each topic; all its
// deliveries share an X-Shopify-Event-Id.
func (h *webhooks) emit(topics []string, body []byte) int {
	eventID := newUUID()
	triggered := h.s.clock().UTC().Format(time.RFC3339Nano)
	now := time.Now()
	h.mu.Lock()
	n := 0
	for _, topic := range topics {
		for _, sub := range h.subs {
			if sub.Topic != topic {
				continue
			}
			n++
			id := newUUID()
			for c := 0; c < h.opts.Copies; c++ {
				h.seq++
				d := &delivery{
					address: sub.Address, topic: topic, version: sub.APIVersion, body: body, webhookID: id,
					eventID: eventID, triggeredAt: triggered, due: now, seq: h.seq,
				}
				if h.opts.Shuffle {
					d.due = now.Add(time.Duration(h.rng.Int64N(int64(h.opts.ShuffleWindow))))
				}
				h.queue = append(h.queue, d)
			}
		}
	}
	if n > 0 {
		h.notify()
	}
	h.mu.Unlock()
	if n > 0 {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	return n
}

// next removes and returns a due delivery, or returns how long until one is due (-1 when
// the queue is empty). Caller holds mu.
func (h *webhooks) next(now time.Time) (*delivery, time.Duration) {
	var due []int
	wait := time.Duration(-1)
	for i, d := range h.queue {
		if !d.due.After(now) {
			due = append(due, i)
		} else if w := d.due.Sub(now); wait < 0 || w < wait {
			wait = w
		}
	}
	if len(due) == 0 {
		return nil, wait
	}
	var pick int
	if h.opts.Shuffle {
		pick = due[h.rng.IntN(len(due))]
	} else {
		sort.Slice(due, func(a, b int) bool {
			da, db := h.queue[due[a]], h.queue[due[b]]
			if !da.due.Equal(db.due) {
				return da.due.Before(db.due)
			}
			return da.seq < db.seq
		})
		pick = due[0]
	}
	d := h.queue[pick]
	h.queue = append(h.queue[:pick], h.queue[pick+1:]...)
	return d, 0
}

func (h *webhooks) run() {
	defer close(h.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		h.mu.Lock()
		d, wait := h.next(time.Now())
		if d != nil {
			h.busy = true
		}
		h.mu.Unlock()
		if d != nil {
			h.deliver(d)
			continue
		}
		if wait < 0 {
			wait = time.Hour
		}
		timer.Reset(wait)
		select {
		case <-h.ctx.Done():
			return
		case <-h.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// sign is Shopify's webhook signature: base64 of HMAC-SHA256 of the raw body.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// deliver makes one attempt and requeues the delivery with back-off when it fails.
func (h *webhooks) deliver(d *delivery) {
	d.attempt++
	h.nAttempts.Add(1)
	rec := WebhookAttempt{
		Topic: d.topic, Address: d.address, WebhookID: d.webhookID, EventID: d.eventID, Attempt: d.attempt,
		Time: h.s.clock(),
	}
	ok := false
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, d.address, bytes.NewReader(d.body))
	if err == nil {
		hd := req.Header
		hd.Set("Content-Type", "application/json")
		hd.Set("User-Agent", "Shopify-Captain-Hook")
		hd.Set("X-Shopify-Topic", d.topic)
		hd.Set("X-Shopify-Hmac-Sha256", sign(h.s.Secret, d.body))
		hd.Set("X-Shopify-Shop-Domain", h.s.Shop)
		hd.Set("X-Shopify-API-Version", d.version)
		hd.Set("X-Shopify-Webhook-Id", d.webhookID)
		hd.Set("X-Shopify-Event-Id", d.eventID)
		hd.Set("X-Shopify-Triggered-At", d.triggeredAt)
		var resp *http.Response
		resp, err = h.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
			rec.Status = resp.StatusCode
			ok = resp.StatusCode >= 200 && resp.StatusCode < 300
		}
	}
	if err != nil {
		rec.Err = err.Error()
	}
	h.s.log.Debug().Str("topic", d.topic).Str("webhook_id", d.webhookID).Int("attempt", d.attempt).
		Int("status", rec.Status).Str("error", rec.Err).Msg("webhook")

	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.attempts) >= 10000 {
		n := copy(h.attempts, h.attempts[5000:])
		h.attempts = h.attempts[:n]
	}
	h.attempts = append(h.attempts, rec)
	h.busy = false
	switch {
	case ok:
		h.nDelivered.Add(1)
	case d.attempt >= h.opts.Attempts || h.ctx.Err() != nil:
		h.nFailed.Add(1)
	default:
		backoff := h.opts.InitialBackoff << (d.attempt - 1)
		if backoff > h.opts.MaxBackoff || backoff <= 0 {
			backoff = h.opts.MaxBackoff
		}
		d.due = time.Now().Add(backoff)
		h.queue = append(h.queue, d)
	}
	h.notify()
}

// ---- REST: webhooks.json ----

type webhookInput struct {
	Address    *string `json:"address"`
	Topic      *string `json:"topic"`
	Format     *string `json:"format"`
	APIVersion *string `json:"api_version"`
}

func (h *webhooks) route(w http.ResponseWriter, r *apiRequest, rest []string) {
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		q := r.URL.Query()
		h.mu.Lock()
		out := []Webhook{}
		for _, s := range h.subs {
			if (q.Get("topic") == "" || s.Topic == q.Get("topic")) && (q.Get("address") == "" || s.Address == q.Get("address")) {
				out = append(out, *s)
			}
		}
		h.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
	case len(rest) == 0 && r.Method == http.MethodPost:
		h.create(w, r)
	case len(rest) == 1 && rest[0] == "count":
		topic := r.URL.Query().Get("topic")
		h.mu.Lock()
		n := 0
		for _, s := range h.subs {
			if topic == "" || s.Topic == topic {
				n++
			}
		}
		h.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]int{"count": n})
	case len(rest) == 1:
		id, _ := strconv.ParseInt(rest[0], 10, 64)
		h.one(w, r, id)
	default:
		writeJSONError(w, http.StatusNotFound, "Not Found")
	}
}

func unprocessableFields(w http.ResponseWriter, field, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{field: {msg}}})
}

func (h *webhooks) create(w http.ResponseWriter, r *apiRequest) {
	var body struct {
		Webhook *webhookInput `json:"webhook"`
	}
	if !readJSON(w, r.Request, &body) {
		return
	}
	in := body.Webhook
	if in == nil {
		writeFieldError(w, http.StatusBadRequest, "webhook", "Required parameter missing or invalid")
		return
	}
	if in.Topic == nil || !strings.Contains(*in.Topic, "/") {
		unprocessableFields(w, "topic", "Invalid topic specified. Topics allowed: orders/create, orders/updated, orders/paid, orders/cancelled")
		return
	}
	if in.Address == nil || strings.TrimSpace(*in.Address) == "" {
		unprocessableFields(w, "address", "can't be blank")
		return
	}
	if !strings.HasPrefix(*in.Address, "http://") && !strings.HasPrefix(*in.Address, "https://") {
		unprocessableFields(w, "address", "protocol must be https or http")
		return
	}
	h.mu.Lock()
	for _, s := range h.subs {
		if s.Topic == *in.Topic && s.Address == *in.Address {
			h.mu.Unlock()
			unprocessableFields(w, "address", "for this topic has already been taken")
			return
		}
	}
	h.mu.Unlock()
	format, version := "json", h.s.servedVersion(r.version)
	if in.Format != nil && *in.Format != "" {
		format = *in.Format
	}
	wh := h.subscribe(*in.Topic, *in.Address, format, version)
	writeJSON(w, http.StatusCreated, map[string]any{"webhook": wh})
}

func (h *webhooks) one(w http.ResponseWriter, r *apiRequest, id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	idx := -1
	for i, s := range h.subs {
		if s.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		writeJSONError(w, http.StatusNotFound, "Not Found")
		return
	}
	sub := h.subs[idx]
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"webhook": sub})
	case http.MethodPut:
		var body struct {
			Webhook *webhookInput `json:"webhook"`
		}
		if !readJSON(w, r.Request, &body) {
			return
		}
		if in := body.Webhook; in != nil {
			if in.Address != nil && *in.Address != "" {
				sub.Address = *in.Address
			}
			if in.Topic != nil && *in.Topic != "" {
				sub.Topic = *in.Topic
			}
			if in.Format != nil && *in.Format != "" {
				sub.Format = *in.Format
			}
			sub.updatedAt = h.s.clock()
			sub.UpdatedAt = h.s.formatTime(sub.updatedAt)
		}
		writeJSON(w, http.StatusOK, map[string]any{"webhook": sub})
	case http.MethodDelete:
		h.subs = append(h.subs[:idx], h.subs[idx+1:]...)
		writeRaw(w, http.StatusOK, []byte("{}"))
	default:
		writeMethodNotAllowed(w)
	}
}
