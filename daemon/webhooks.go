package daemon

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// Webhook topics the daemon acts on; other topics are stored and marked processed.
const (
	topicOrdersCreate  = "orders/create"
	topicOrdersUpdated = "orders/updated"
	topicAppUninstall  = "app/uninstalled"
)

// webhookReceiver answers POST /webhooks/shopify: it checks the signature before it
// stores anything, stores the delivery once (by its webhook id) and answers at once; the
// worker processes it afterwards.
type webhookReceiver struct {
	db      *sqlx.DB
	clock   func() time.Time
	log     zerolog.Logger
	metrics *Metrics
	maxBody int64
	nudge   func()
	conns   shopify.ConnectionStore // with the key that opens the webhook secrets
}

// verifySignature reports whether sig (the X-Shopify-Hmac-Sha256 header) is the base64
// HMAC-SHA256 of body under secret. The comparison takes the same time whatever matches.
func verifySignature(body []byte, sig, secret string) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil || secret == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// ServeHTTP receives one delivery.
func (wr *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	topic := r.Header.Get("X-Shopify-Topic")
	result := "error"
	defer func() {
		wr.metrics.webhooks.WithLabelValues(metricTopic(topic), result).Inc()
		wr.metrics.webhookAnswer.Observe(time.Since(start).Seconds())
	}()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wr.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			result = "too_large"
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the webhook body is larger than %d bytes", wr.maxBody))
			return
		}
		result = "bad_request"
		writeError(w, http.StatusBadRequest, "could not read the webhook body")
		return
	}
	shop := r.Header.Get("X-Shopify-Shop-Domain")
	conn, err := wr.conns.ByShop(r.Context(), wr.db, shop)
	if err != nil {
		if errors.Is(err, shopify.ErrNotFound) || errors.Is(err, shopify.ErrInvalidShop) {
			result = "unknown_shop"
			writeError(w, http.StatusUnauthorized, "unknown shop")
			return
		}
		wr.log.Error().Err(err).Str("shop", shop).Msg("find connection of webhook")
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	if !verifySignature(body, r.Header.Get("X-Shopify-Hmac-Sha256"), conn.WebhookSecret) {
		result = "bad_signature"
		wr.log.Warn().Str("shop", conn.Shop).Str("topic", topic).Msg("webhook with a bad or missing signature refused")
		writeError(w, http.StatusUnauthorized, "the webhook signature does not match")
		return
	}
	webhookID := strings.TrimSpace(r.Header.Get("X-Shopify-Webhook-Id"))
	if webhookID == "" || topic == "" {
		result = "bad_request"
		writeError(w, http.StatusBadRequest, "a webhook needs X-Shopify-Webhook-Id and X-Shopify-Topic")
		return
	}
	now := wr.clock()
	var id int64
	err = sqlx.GetContext(r.Context(), wr.db, &id, `
		INSERT INTO webhook_deliveries (connection_id, webhook_id, topic, body, received_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (connection_id, webhook_id) DO NOTHING RETURNING id`,
		conn.ID, webhookID, topic, body, now)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		result = "duplicate"
	case err != nil:
		// Shopify retries a delivery that was not answered 2xx, so nothing is lost.
		wr.log.Error().Err(err).Str("shop", conn.Shop).Str("webhook_id", webhookID).Msg("store webhook delivery")
		writeError(w, http.StatusInternalServerError, "could not store the webhook: it will be retried")
		return
	default:
		result = "accepted"
		wr.nudge()
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": result})
}

// metricTopic keeps the metric's label set small whatever a caller sends as topic.
func metricTopic(t string) string {
	switch t {
	case topicOrdersCreate, topicOrdersUpdated, topicAppUninstall, "orders/paid", "orders/cancelled":
		return t
	}
	return "other"
}

// delivery is a stored webhook delivery a worker claimed.
type delivery struct {
	ID           int64     `db:"id"`
	ConnectionID int64     `db:"connection_id"`
	WebhookID    string    `db:"webhook_id"`
	Topic        string    `db:"topic"`
	Body         []byte    `db:"body"`
	Attempts     int       `db:"attempts"`
	ReceivedAt   time.Time `db:"received_at"`
}

// webhookWorker processes stored deliveries. Deliveries are claimed with FOR UPDATE SKIP
// LOCKED, so the workers of several daemons share them and none is processed twice at
// once; a delivery whose processing is cut short (the daemon stops or dies) stays
// unprocessed and is picked up again.
type webhookWorker struct {
	db          *sqlx.DB
	importer    Importer
	clock       func() time.Time
	log         zerolog.Logger
	metrics     *Metrics
	every       time.Duration
	batch       int
	retryBase   time.Duration
	retryMax    time.Duration
	maxAttempts int
	busyDelay   time.Duration
	// retention is how long processed deliveries are kept: long enough to recognise every
	// repeat Shopify sends (it retries for 48 hours), short enough not to grow for ever.
	retention time.Duration
	wake      chan struct{}
}

// nudge tells the worker that a delivery arrived; it never blocks.
func (wk *webhookWorker) nudge() {
	select {
	case wk.wake <- struct{}{}:
	default:
	}
}

// Run processes due deliveries until ctx ends: at start (what an earlier run left), when
// nudged, and every wk.every (retries, and deliveries another instance accepted).
func (wk *webhookWorker) Run(ctx context.Context) error {
	tick := time.NewTicker(wk.every)
	defer tick.Stop()
	var pruned time.Time
	for {
		if now := wk.clock(); now.Sub(pruned) >= time.Hour {
			pruned = now
			wk.prune(ctx, now)
		}
		for ctx.Err() == nil {
			n, err := wk.processBatch(ctx)
			if err != nil {
				if ctx.Err() == nil {
					wk.log.Error().Err(err).Msg("process webhook deliveries")
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-wk.wake:
		}
	}
}

// prune deletes the deliveries processed longer than the retention ago.
func (wk *webhookWorker) prune(ctx context.Context, now time.Time) {
	res, err := wk.db.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE processed_at < $1`, now.Add(-wk.retention))
	if err != nil {
		if ctx.Err() == nil {
			wk.log.Error().Err(err).Msg("prune processed webhook deliveries")
		}
		return
	}
	if n, _ := res.RowsAffected(); n > 0 {
		wk.log.Info().Int64("deliveries", n).Msg("processed webhook deliveries pruned")
	}
}

// processBatch claims and processes up to wk.batch due deliveries and returns how many it
// finished with (processed, retried later or given up).
func (wk *webhookWorker) processBatch(ctx context.Context) (int, error) {
	// The claim's transaction outlives a cancelled ctx long enough to record what was
	// finished; work cut short by ctx is rolled back and done again later.
	tx, err := wk.db.BeginTxx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	var ds []delivery
	err = sqlx.SelectContext(ctx, tx, &ds, `
		SELECT id, connection_id, webhook_id, topic, body, attempts, received_at FROM webhook_deliveries
		WHERE processed_at IS NULL AND next_attempt_at IS NOT NULL AND next_attempt_at <= $1
		ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, wk.clock(), wk.batch)
	if err != nil {
		return 0, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	if len(ds) == 0 {
		return 0, nil
	}
	// One import per connection for the batch's orders, in the order they arrived.
	byConn := map[int64][]delivery{}
	var connOrder []int64
	for _, d := range ds {
		if _, ok := byConn[d.ConnectionID]; !ok {
			connOrder = append(connOrder, d.ConnectionID)
		}
		byConn[d.ConnectionID] = append(byConn[d.ConnectionID], d)
	}
	done := 0
	for _, connID := range connOrder {
		n, err := wk.processConnection(ctx, tx, connID, byConn[connID])
		if err != nil {
			return 0, err
		}
		done += n
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit webhook deliveries: %w", err)
	}
	return done, nil
}

func (wk *webhookWorker) processConnection(ctx context.Context, tx *sqlx.Tx, connID int64, ds []delivery) (int, error) {
	var orders []shopifyapi.Order
	var orderDs, otherDs []delivery
	uninstalled := false
	for _, d := range ds {
		switch d.Topic {
		case topicOrdersCreate, topicOrdersUpdated:
			o, err := shopifyapi.DecodeOrder(d.Body)
			if err != nil {
				// The importer records the order as failed, with why.
				o.DecodeErr = err
			}
			orders = append(orders, o)
			orderDs = append(orderDs, d)
		case topicAppUninstall:
			uninstalled = true
			otherDs = append(otherDs, d)
		default:
			otherDs = append(otherDs, d)
		}
	}
	log := wk.log.With().Int64("connection_id", connID).Logger()
	if len(orders) > 0 {
		sum, err := wk.importer.ImportOrders(ctx, connID, orders, shopify.RunOptions{Trigger: shopify.TriggerWebhook})
		wk.metrics.observeRun(shopify.ModeWebhook, shopify.TriggerWebhook, sum, err)
		switch {
		case err == nil:
			if err := wk.finish(ctx, tx, orderDs, ""); err != nil {
				return 0, err
			}
		case ctx.Err() != nil:
			return 0, fmt.Errorf("import webhook orders: %w", ctx.Err())
		case errors.Is(err, shopify.ErrImportRunning):
			// Another run holds the connection: try again shortly; this is no failure.
			if err := wk.postpone(ctx, tx, orderDs); err != nil {
				return 0, err
			}
		case errors.Is(err, shopify.ErrDisconnected):
			log.Info().Int("deliveries", len(orderDs)).Msg("webhook orders of a disconnected shop not imported")
			if err := wk.finish(ctx, tx, orderDs, "the connection is disconnected: not imported"); err != nil {
				return 0, err
			}
		default:
			log.Warn().Err(err).Int("deliveries", len(orderDs)).Msg("webhook orders not imported; will retry")
			if err := wk.retry(ctx, tx, orderDs, err); err != nil {
				return 0, err
			}
		}
	}
	if uninstalled {
		if err := (shopify.ConnectionStore{}).Disconnect(ctx, tx, connID); err != nil {
			return 0, err
		}
		log.Warn().Msg("the app was uninstalled from the shop: connection disabled")
	}
	if err := wk.finish(ctx, tx, otherDs, ""); err != nil {
		return 0, err
	}
	return len(ds), nil
}

func (wk *webhookWorker) finish(ctx context.Context, tx *sqlx.Tx, ds []delivery, note string) error {
	if len(ds) == 0 {
		return nil
	}
	now := wk.clock()
	for _, d := range ds {
		_, err := tx.ExecContext(context.WithoutCancel(ctx), `UPDATE webhook_deliveries SET processed_at = $2,
			attempts = attempts + 1, last_error = $3, next_attempt_at = NULL WHERE id = $1`, d.ID, now, note)
		if err != nil {
			return fmt.Errorf("mark webhook delivery %d processed: %w", d.ID, err)
		}
		wk.metrics.webhookDone.WithLabelValues(metricTopic(d.Topic), "processed").Inc()
		wk.metrics.webhookLatency.Observe(now.Sub(d.ReceivedAt).Seconds())
	}
	return nil
}

func (wk *webhookWorker) postpone(ctx context.Context, tx *sqlx.Tx, ds []delivery) error {
	for _, d := range ds {
		_, err := tx.ExecContext(context.WithoutCancel(ctx), `UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id = $1`,
			d.ID, wk.clock().Add(wk.busyDelay))
		if err != nil {
			return fmt.Errorf("postpone webhook delivery %d: %w", d.ID, err)
		}
	}
	return nil
}

// backoff is the wait before attempt n+1 after n failed attempts: doubling from retryBase,
// at most retryMax.
func (wk *webhookWorker) backoff(n int) time.Duration {
	d := wk.retryBase
	for i := 1; i < n && d < wk.retryMax; i++ {
		d *= 2
	}
	return min(d, wk.retryMax)
}

func (wk *webhookWorker) retry(ctx context.Context, tx *sqlx.Tx, ds []delivery, cause error) error {
	now := wk.clock()
	for _, d := range ds {
		attempts := d.Attempts + 1
		var next *time.Time
		result := "gave_up"
		if attempts < wk.maxAttempts {
			t := now.Add(wk.backoff(attempts))
			next, result = &t, "retry"
		}
		_, err := tx.ExecContext(context.WithoutCancel(ctx), `UPDATE webhook_deliveries SET attempts = $2, last_error = $3,
			next_attempt_at = $4 WHERE id = $1`, d.ID, attempts, oneLine(cause.Error()), next)
		if err != nil {
			return fmt.Errorf("record failed webhook delivery %d: %w", d.ID, err)
		}
		wk.metrics.webhookDone.WithLabelValues(metricTopic(d.Topic), result).Inc()
	}
	return nil
}
