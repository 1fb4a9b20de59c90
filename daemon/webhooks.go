package daemon

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// webhookReceiver answers POST /webhooks/shopify. What can be refused from the headers
// alone (a malformed signature, an unknown shop) is refused before the body is read; at
// most cap(readers) deliveries are read and checked at once, each body within
// readTimeout; the signature is checked before anything is stored; only subscribed topics
// with the body their topic says are stored, once (by webhook id) and durably, in batches
// (webhookstore.go) whose waiting bodies have a budget of their own, and answered once
// their batch has committed; the worker processes them afterwards.
type webhookReceiver struct {
	db          *sqlx.DB
	clock       func() time.Time
	log         zerolog.Logger
	metrics     *Metrics
	maxBody     int64
	readTimeout time.Duration
	// readers holds a token per body being read; when it is full a delivery is answered
	// 503 at once (Shopify sends it again later).
	readers  chan struct{}
	buffers  bodyBuffers
	refusals *refusalLog
	nudge    func()
	// storeHook, when set (by tests), runs in the transaction that stores a delivery.
	storeHook atomic.Pointer[func(ctx context.Context, tx *sqlx.Tx)]
	// conns opens the connections' webhook secrets with kassa's key.
	conns shopify.ConnectionStore
	// cache remembers the connections deliveries came for; batcher stores deliveries.
	cache   *connCache
	batcher *deliveryBatcher
}

// Why a delivery was refused: the reason label of kassa_webhooks_rejected_total.
const (
	rejectUnknownShop  = "unknown_shop"
	rejectBadSignature = "bad_signature"
	rejectWrongBody    = "wrong_body"
	rejectUninstall    = "uninstall_not_confirmed"
)

// notVerified is the one answer to a delivery that is not proven to come from a connected
// shop, whatever the cause (unknown shop, missing, malformed or wrong signature), so that
// the answer does not tell which shops are connected.
const notVerified = "the webhook could not be verified"

// verifySignature reports whether mac (the decoded X-Shopify-Hmac-Sha256 header) is the
// HMAC-SHA256 of body under secret. The comparison takes the same time whatever matches.
func verifySignature(body, mac []byte, secret string) bool {
	if secret == "" {
		return false
	}
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(body)
	return hmac.Equal(mac, h.Sum(nil))
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
	shop := r.Header.Get("X-Shopify-Shop-Domain")
	mac, ok := decodeSignature(r.Header.Get("X-Shopify-Hmac-Sha256"))
	if !ok {
		result = "bad_signature"
		wr.refuse(w, refusalMalformed, shop, rejectBadSignature, "no well-formed signature")
		return
	}
	webhookID := strings.TrimSpace(r.Header.Get("X-Shopify-Webhook-Id"))
	if webhookID == "" || topic == "" {
		result = "bad_request"
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusBadRequest, "a webhook needs X-Shopify-Webhook-Id and X-Shopify-Topic")
		return
	}
	if r.ContentLength > wr.maxBody {
		result = "too_large"
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the webhook body is larger than %d bytes", wr.maxBody))
		return
	}
	// The reader is freed once the body is read and checked (or the delivery refused): a
	// delivery waiting for its batch's commit holds only its place in the batcher's budget.
	readerHeld := false
	freeReader := func() {
		if readerHeld {
			readerHeld = false
			// The gauge falls only once the reader is free again, so that a reading of it
			// never promises a reader that is still taken.
			<-wr.readers
			wr.metrics.webhookReading.Dec()
		}
	}
	defer freeReader()
	select {
	case wr.readers <- struct{}{}:
		readerHeld = true
		wr.metrics.webhookReading.Inc()
	default:
		result = "busy"
		if ok, n := wr.refusals.allow(refusalBusy); ok {
			wr.log.Warn().Int("readers", cap(wr.readers)).Int("suppressed", n).
				Msg("webhook refused: every webhook reader is busy; Shopify will send it again")
		}
		w.Header().Set("Connection", "close")
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "too many webhooks at once: send it again later")
		return
	}

	cached, err := wr.cache.get(r.Context(), shop)
	if err != nil {
		if errors.Is(err, shopify.ErrNotFound) || errors.Is(err, shopify.ErrInvalidShop) {
			result = "unknown_shop"
			wr.refuse(w, refusalUnknownShop, shop, rejectUnknownShop, "no connection of this shop")
			return
		}
		wr.log.Error().Err(err).Str("shop", logShop(shop)).Msg("find connection of webhook")
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	conn := cached.conn

	// The server's read timeout is for API requests; a webhook's body gets less, so that a
	// sender trickling it holds a reader only that long.
	if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(wr.readTimeout)); err != nil {
		wr.log.Error().Err(err).Msg("set the webhook body's read deadline")
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, wr.maxBody), r.ContentLength, wr.buffers.get())
	// Nothing keeps the body once the delivery is answered (the database driver copies it).
	defer wr.buffers.put(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			result = "too_large"
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the webhook body is larger than %d bytes", wr.maxBody))
		case errors.Is(err, os.ErrDeadlineExceeded):
			result = "timeout"
			if ok, n := wr.refusals.allow(conn.Shop); ok {
				wr.log.Warn().Str("shop", conn.Shop).Dur("read_timeout", wr.readTimeout).Int("suppressed", n).
					Msg("webhook refused: its body did not arrive in time")
			}
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusRequestTimeout, "the webhook body did not arrive in time")
		default:
			result = "bad_request"
			writeError(w, http.StatusBadRequest, "could not read the webhook body")
		}
		return
	}
	if !verifySignature(body, mac, conn.WebhookSecret) {
		// The remembered connection may be older than the secret the delivery is signed
		// with: it is read again when it changed since.
		fresh, err := wr.refresh(r.Context(), cached)
		if err != nil {
			wr.log.Error().Err(err).Str("shop", conn.Shop).Msg("find connection of webhook")
			writeError(w, http.StatusInternalServerError, "internal error")
			return
		}
		if fresh == nil || !verifySignature(body, mac, fresh.conn.WebhookSecret) {
			result = "bad_signature"
			wr.refuse(w, conn.Shop, shop, rejectBadSignature, "not signed with the connection's secret")
			return
		}
		cached, conn = *fresh, fresh.conn
	}
	check, subscribed := webhookTopics[topic]
	if !subscribed {
		result = "ignored_topic"
		writeJSON(w, http.StatusOK, map[string]string{"status": "ignored: kassa does not subscribe to this topic"})
		return
	}
	if err := check(body, conn.Shop); err != nil {
		result = "wrong_body"
		wr.metrics.webhookRejected.WithLabelValues(rejectWrongBody).Inc()
		if ok, n := wr.refusals.allow(conn.Shop); ok {
			wr.log.Warn().Str("shop", conn.Shop).Str("topic", topic).Str("reason", err.Error()).Int("suppressed", n).
				Msg("signed webhook refused: its body is not what its topic says")
		}
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s: %s", topic, err))
		return
	}
	if topic == topicBulkFinish {
		// Nothing to keep: the run waiting for the operation reads its state from Shopify.
		shopify.NotifyBulkFinished(bulkOperationID(body))
		result = "accepted"
		writeJSON(w, http.StatusOK, map[string]string{"status": result})
		return
	}
	pd := &pendingDelivery{conn: cached, webhookID: webhookID, topic: topic, body: body, mac: mac}
	if !wr.batcher.reserve(len(body)) {
		result = "busy"
		if ok, n := wr.refusals.allow(refusalBusy); ok {
			wr.log.Warn().Int64("pending_bytes", wr.batcher.maxBytes).Int("suppressed", n).
				Msg("webhook refused: the deliveries waiting to be stored fill their budget; Shopify will send it again")
		}
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "too many webhooks at once: send it again later")
		return
	}
	freeReader()
	wr.batcher.store(pd)
	wr.batcher.unreserve(len(body))
	stored, err := pd.stored, pd.err
	switch pd.refused {
	case rejectUnknownShop:
		result = "unknown_shop"
		wr.refuse(w, refusalUnknownShop, shop, rejectUnknownShop, "no connection of this shop")
		return
	case rejectBadSignature:
		result = "bad_signature"
		wr.refuse(w, conn.Shop, shop, rejectBadSignature, "not signed with the connection's secret")
		return
	}
	if err != nil {
		// Shopify retries a delivery that was not answered 2xx, so nothing is lost.
		wr.log.Error().Err(err).Str("shop", conn.Shop).Str("webhook_id", webhookID).Msg("store webhook delivery")
		writeError(w, http.StatusInternalServerError, "could not store the webhook: it will be retried")
		return
	}
	result = "duplicate"
	if stored {
		result = "accepted"
		wr.nudge()
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": result})
}

// refuse answers a delivery that is not proven to come from a connected shop: the same
// answer whatever the reason, counted, and logged at most once a minute per key (the
// connected shop, or one key for all unknown shops).
func (wr *webhookReceiver) refuse(w http.ResponseWriter, key, shop, reason, why string) {
	wr.metrics.webhookRejected.WithLabelValues(reason).Inc()
	if ok, n := wr.refusals.allow(key); ok {
		wr.log.Warn().Str("shop", logShop(shop)).Str("reason", reason).Int("suppressed", n).
			Msg("webhook refused: " + why)
	}
	// The body was not read (or is of no use): the connection is not kept for another request.
	w.Header().Set("Connection", "close")
	writeError(w, http.StatusUnauthorized, notVerified)
}

// logShop is the shop header as it may be logged: a shop domain, or a note that it is
// none (the header is the sender's, and may hold anything).
func logShop(h string) string {
	shop, err := shopify.NormalizeShop(h)
	if err != nil || len(shop) > 255 {
		return "(not a shop domain)"
	}
	return shop
}

// refresh reads the connection of c again when it changed since c was read, and returns
// it (nil when it did not change, or the shop is no longer connected).
func (wr *webhookReceiver) refresh(ctx context.Context, c cachedConn) (*cachedConn, error) {
	current, err := wr.cache.current(ctx, c)
	if err != nil || current {
		return nil, err
	}
	fresh, err := wr.cache.load(ctx, c.conn.Shop)
	if errors.Is(err, shopify.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &fresh, nil
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
	db       *sqlx.DB
	importer Importer
	clock    func() time.Time
	log      zerolog.Logger
	metrics  *Metrics
	every    time.Duration
	batch    int
	fillWait time.Duration
	// lockWait is how long an import of a batch waits for the connection's running import.
	lockWait    time.Duration
	retryBase   time.Duration
	retryMax    time.Duration
	maxAttempts int
	busyDelay   time.Duration
	// retention is how long processed deliveries are kept: long enough to recognise every
	// repeat Shopify sends (it retries for 48 hours), short enough not to grow for ever.
	retention time.Duration
	wake      chan struct{}
	// shopProbe opens a connection's Shopify client, to confirm an uninstall.
	shopProbe func(shopify.Connection) (shopProbe, error)
	// conns opens the connections' credentials with kassa's key.
	conns shopify.ConnectionStore
	// afterPass is told after every pass over the due deliveries (tests wait on it).
	afterPass passHook
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
	wk.requeueKept(ctx)
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
		wk.afterPass.passed()
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-wk.wake:
			// A delivery arrived: more of a burst arrive while waiting, to be imported in
			// the same run.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wk.fillWait):
			}
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
	var refetch []int64
	var orderDs, refetchDs, uninstallDs, otherDs []delivery
	for _, d := range ds {
		switch d.Topic {
		case topicOrdersCreate, topicOrdersUpdated, topicOrdersCancelled:
			o, err := shopifyapi.DecodeOrder(d.Body)
			if err != nil {
				// The importer records the order as failed, with why.
				o.DecodeErr = err
			}
			orders = append(orders, o)
			orderDs = append(orderDs, d)
		case topicOrdersEdited, topicRefundsCreate:
			// These name the order only: it is fetched as it stands now, and its changes
			// are recorded against its sale.
			refetch = append(refetch, changedOrderID(d.Topic, d.Body))
			refetchDs = append(refetchDs, d)
		case topicAppUninstall:
			uninstallDs = append(uninstallDs, d)
		default:
			otherDs = append(otherDs, d)
		}
	}
	log := wk.log.With().Int64("connection_id", connID).Logger()
	if len(orders) > 0 {
		// Another daemon's worker importing the same shop's batch is done in a moment: wait
		// for it rather than putting these orders off.
		sum, err := wk.importer.ImportOrders(ctx, connID, orders, shopify.RunOptions{Trigger: shopify.TriggerWebhook, WaitFor: wk.lockWait})
		if err := wk.settle(ctx, tx, orderDs, sum, err, log); err != nil {
			return 0, err
		}
	}
	if len(refetch) > 0 {
		sum, err := wk.importer.ImportOrderIDs(ctx, connID, refetch, shopify.RunOptions{Trigger: shopify.TriggerWebhook, WaitFor: wk.lockWait})
		if err := wk.settle(ctx, tx, refetchDs, sum, err, log); err != nil {
			return 0, err
		}
	}
	if len(uninstallDs) > 0 {
		if err := wk.processUninstalls(ctx, tx, connID, uninstallDs, log); err != nil {
			return 0, err
		}
	}
	if err := wk.finish(ctx, tx, otherDs, ""); err != nil {
		return 0, err
	}
	return len(ds), nil
}

// settle records what became of deliveries whose orders a run imported: processed, or
// postponed, or retried later, as the run's error says.
func (wk *webhookWorker) settle(ctx context.Context, tx *sqlx.Tx, ds []delivery, sum shopify.Summary, err error, log zerolog.Logger) error {
	wk.metrics.observeRun(shopify.ModeWebhook, shopify.TriggerWebhook, sum, err)
	switch {
	case err == nil:
		return wk.finish(ctx, tx, ds, "")
	case ctx.Err() != nil:
		return fmt.Errorf("import webhook orders: %w", ctx.Err())
	case errors.Is(err, shopify.ErrImportRunning):
		// Another run holds the connection: try again shortly; this is no failure.
		return wk.postpone(ctx, tx, ds)
	case errors.Is(err, shopify.ErrDisconnected):
		log.Info().Int("deliveries", len(ds)).Msg("webhook orders of a disconnected shop not imported")
		return wk.finish(ctx, tx, ds, "the connection is disconnected: not imported")
	default:
		log.Warn().Err(err).Int("deliveries", len(ds)).Msg("webhook orders not imported; will retry")
		return wk.retry(ctx, tx, ds, err)
	}
}

// changedOrderID is the order an orders/edited or refunds/create body names (0 when it
// names none: the body was checked when it was received).
func changedOrderID(topic string, body []byte) int64 {
	if topic == topicOrdersEdited {
		var e struct {
			OrderEdit struct {
				OrderID json.Number `json:"order_id"`
			} `json:"order_edit"`
		}
		if json.Unmarshal(body, &e) == nil {
			id, _ := e.OrderEdit.OrderID.Int64()
			return id
		}
		return 0
	}
	r, err := shopifyapi.DecodeRefund(body)
	if err != nil {
		return 0
	}
	return r.OrderID
}

// requeueKept puts back in the queue the deliveries an earlier version kept unprocessed
// (orders/edited, orders/cancelled, refunds/create), now that they are acted on.
func (wk *webhookWorker) requeueKept(ctx context.Context) {
	res, err := wk.db.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1, last_error = ''
		WHERE processed_at IS NULL AND next_attempt_at IS NULL AND last_error LIKE 'kept:%'`, wk.clock())
	if err != nil {
		if ctx.Err() == nil {
			wk.log.Error().Err(err).Msg("requeue kept webhook deliveries")
		}
		return
	}
	if n, _ := res.RowsAffected(); n > 0 {
		wk.log.Info().Int64("deliveries", n).Msg("kept webhook deliveries queued again")
	}
}

func (wk *webhookWorker) finish(ctx context.Context, tx *sqlx.Tx, ds []delivery, note string) error {
	if len(ds) == 0 {
		return nil
	}
	now := wk.clock()
	_, err := tx.ExecContext(context.WithoutCancel(ctx), `UPDATE webhook_deliveries SET processed_at = $2,
		attempts = attempts + 1, last_error = $3, next_attempt_at = NULL WHERE id = ANY($1)`, pq.Array(deliveryIDs(ds)), now, note)
	if err != nil {
		return fmt.Errorf("mark %d webhook deliveries processed: %w", len(ds), err)
	}
	for _, d := range ds {
		wk.metrics.webhookDone.WithLabelValues(metricTopic(d.Topic), "processed").Inc()
		wk.metrics.webhookLatency.Observe(now.Sub(d.ReceivedAt).Seconds())
	}
	return nil
}

// deliveryIDs lists the ids of ds.
func deliveryIDs(ds []delivery) []int64 {
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

func (wk *webhookWorker) postpone(ctx context.Context, tx *sqlx.Tx, ds []delivery) error {
	_, err := tx.ExecContext(context.WithoutCancel(ctx), `UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id = ANY($1)`,
		pq.Array(deliveryIDs(ds)), wk.clock().Add(wk.busyDelay))
	if err != nil {
		return fmt.Errorf("postpone %d webhook deliveries: %w", len(ds), err)
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
