package daemon

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// Metrics are the daemon's Prometheus metrics, in a registry of its own (not the global
// one), so that two daemons in one test process never share counters.
type Metrics struct {
	Registry *prometheus.Registry

	importRuns     *prometheus.CounterVec
	importOutcomes *prometheus.CounterVec
	webhooks       *prometheus.CounterVec
	webhookAnswer  prometheus.Histogram
	webhookDone    *prometheus.CounterVec
	webhookLatency prometheus.Histogram
	rateLimitWaits *prometheus.CounterVec
	rateLimitSecs  *prometheus.CounterVec
	shopifyRetries *prometheus.CounterVec
	apiRequests    *prometheus.CounterVec
	apiDuration    *prometheus.HistogramVec
	nightlyReports *prometheus.CounterVec

	// reconciliations counts the nightly reconciliations by result (clean, differences,
	// failed); reconcileDifferences the differences they found, by shop.
	reconciliations      *prometheus.CounterVec
	reconcileDifferences *prometheus.CounterVec

	// webhookReading counts the webhook deliveries being read and stored right now.
	webhookReading prometheus.Gauge
	// webhookRejected counts deliveries refused as not proven to be the shop's, by reason.
	webhookRejected *prometheus.CounterVec

	// tokenRenewals counts access-token renewals of Dev Dashboard apps, by result.
	tokenRenewals *prometheus.CounterVec
	// versionMismatches counts Shopify answers in another API version than asked for.
	versionMismatches *prometheus.CounterVec
	// webhookSubscriptions counts changes the webhook subscription checks made.
	webhookSubscriptions *prometheus.CounterVec

	// The stock push to Shopify: the queue's length per shop, the time from a movement to
	// Shopify holding its level, the items pushed (set, or already there), the failed
	// batches, the stale answers and the drift corrections.
	stockQueue       *prometheus.GaugeVec
	stockLatency     prometheus.Histogram
	stockPushed      *prometheus.CounterVec
	stockErrors      *prometheus.CounterVec
	stockStale       prometheus.Counter
	stockCorrections *prometheus.CounterVec

	// replicaReads counts the reads sent to the read replica, by where they were answered.
	replicaReads *prometheus.CounterVec
}

// NewMetrics makes the daemon's metrics and their registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		importRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_import_runs_total", Help: "Import runs ended, by mode, trigger and status.",
		}, []string{"mode", "trigger", "status"}),
		importOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_import_orders_total", Help: "Orders seen by import runs, by outcome.",
		}, []string{"outcome"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_webhook_deliveries_total",
			Help: "Webhook deliveries received, by topic and result (accepted, duplicate, ignored_topic, bad_signature, unknown_shop, wrong_body, too_large, busy, timeout, bad_request, error).",
		}, []string{"topic", "result"}),
		webhookAnswer: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kassa_webhook_answer_seconds", Help: "Time to verify, store and answer a webhook delivery.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		webhookDone: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_webhook_processed_total", Help: "Webhook deliveries processed, by topic and result (processed, retry, gave_up, kept: stored for a later version to act on).",
		}, []string{"topic", "result"}),
		webhookLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kassa_webhook_processing_delay_seconds", Help: "Time from receiving a webhook delivery to having processed it.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12),
		}),
		rateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_shopify_rate_limit_waits_total", Help: "Waits before Shopify requests: pacing under the limit, or throttled (429).",
		}, []string{"kind"}),
		rateLimitSecs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_shopify_rate_limit_wait_seconds_total", Help: "Time spent waiting for Shopify's rate limit.",
		}, []string{"kind"}),
		shopifyRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_shopify_retries_total", Help: "Shopify requests retried after a 5xx or a failed exchange, by reason.",
		}, []string{"reason"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_api_requests_total", Help: "API requests, by route and status code.",
		}, []string{"route", "code"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kassa_api_request_seconds", Help: "API request duration, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		nightlyReports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_nightly_reports_total", Help: "Nightly reports written by the scheduler, by result.",
		}, []string{"result"}),
	}
	m.webhookReading = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kassa_webhook_readers_busy",
		Help: "Webhook deliveries being read and stored right now (at most the daemon's webhook reader limit).",
	})
	m.webhookRejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_webhooks_rejected_total",
		Help: "Webhook deliveries refused as not proven to be the shop's, by reason (unknown_shop, bad_signature, wrong_body, uninstall_not_confirmed).",
	}, []string{"reason"})
	m.Registry.MustRegister(m.webhookReading, m.webhookRejected)
	m.tokenRenewals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_shopify_token_renewals_total",
		Help: "Access-token renewals of Dev Dashboard apps (client credentials grant), by result (renewed, failed).",
	}, []string{"result"})
	m.versionMismatches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_shopify_api_version_mismatches_total",
		Help: "Shopify answers served in another Admin API version than kassa asked for (Shopify falls forward when a version is no longer served), by asked and served version.",
	}, []string{"api_version", "served_api_version"})
	m.webhookSubscriptions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_shopify_webhook_subscriptions_total",
		Help: "Changes the webhook subscription checks made, by action (created, removed) and checks that failed (failed).",
	}, []string{"action"})
	m.Registry.MustRegister(m.tokenRenewals, m.versionMismatches, m.webhookSubscriptions)
	m.stockQueue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kassa_stock_push_queue", Help: "Products whose stock change is waiting to be pushed to Shopify, by shop.",
	}, []string{"shop"})
	m.stockLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "kassa_stock_push_latency_seconds", Help: "Time from a stock movement to Shopify holding the product's level.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300},
	})
	m.stockPushed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_stock_pushes_total", Help: "Products pushed to Shopify, by result (set; unchanged: Shopify held the level already).",
	}, []string{"result"})
	m.stockErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_stock_push_errors_total", Help: "Stock pushes to Shopify that failed (retried later), by shop.",
	}, []string{"shop"})
	m.stockStale = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kassa_stock_push_stale_total", Help: "Sets Shopify refused because its quantity had changed meanwhile (read and set again).",
	})
	m.stockCorrections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_stock_corrections_total", Help: "Products whose Shopify quantity the drift check found different from kassa's level, by shop.",
	}, []string{"shop"})
	m.Registry.MustRegister(m.stockQueue, m.stockLatency, m.stockPushed, m.stockErrors, m.stockStale, m.stockCorrections)
	m.replicaReads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_replica_reads_total",
		Help: "Reads sent to the read replica (--replica-url), by result: replica (answered there), primary (the replica could not be reached: answered by the primary), error.",
	}, []string{"result"})
	m.Registry.MustRegister(m.replicaReads)
	m.reconciliations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_shopify_reconciliations_total",
		Help: "Nightly reconciliations with Shopify, by result (clean, differences: some found, failed).",
	}, []string{"result"})
	m.reconcileDifferences = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_shopify_reconcile_differences_total",
		Help: "Orders the nightly reconciliation found different from Shopify (and recorded, when the shop has auto-update on), by shop.",
	}, []string{"shop"})
	m.Registry.MustRegister(m.reconciliations, m.reconcileDifferences)
	m.Registry.MustRegister(m.importRuns, m.importOutcomes, m.webhooks, m.webhookAnswer, m.webhookDone,
		m.webhookLatency, m.rateLimitWaits, m.rateLimitSecs, m.shopifyRetries, m.apiRequests, m.apiDuration,
		m.nightlyReports, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeRun counts an ended import run and its outcomes.
func (m *Metrics) observeRun(mode shopify.Mode, trigger string, sum shopify.Summary, err error) {
	if sum.RunID == 0 {
		return // the run never started (e.g. another held the connection)
	}
	status := "finished"
	if err != nil {
		status = "failed"
	}
	m.importRuns.WithLabelValues(string(mode), trigger, status).Inc()
	c := sum.Outcomes
	for outcome, n := range map[shopify.Outcome]int{
		shopify.Imported: c.Imported, shopify.AlreadyImported: c.AlreadyImported, shopify.TooOld: c.TooOld,
		shopify.NoShippingMethod: c.NoShippingMethod, shopify.TestOrder: c.TestOrder,
		shopify.Cancelled: c.Cancelled, shopify.Failed: c.Failed, shopify.Updated: c.Updated, shopify.NeedsReview: c.NeedsReview,
	} {
		if n > 0 {
			m.importOutcomes.WithLabelValues(string(outcome)).Add(float64(n))
		}
	}
}

// The Metrics are the Shopify clients' Observer, for the rate-limit and retry figures.
var _ shopifyapi.Observer = (*Metrics)(nil)

// ObserveAttempt counts the answers Shopify served in another API version than asked for;
// attempts themselves are not exported.
func (m *Metrics) ObserveAttempt(a shopifyapi.Attempt) {
	if a.APIVersion != "" && a.ServedVersion != "" && a.ServedVersion != a.APIVersion {
		m.versionMismatches.WithLabelValues(a.APIVersion, a.ServedVersion).Inc()
	}
}

// The Metrics count the token renewals of Dev Dashboard apps.
var _ shopify.TokenObserver = (*Metrics)(nil)

// ObserveTokenRenewal counts a token renewal by its result.
func (m *Metrics) ObserveTokenRenewal(_ string, result string) {
	m.tokenRenewals.WithLabelValues(result).Inc()
}

// ObservePacing counts a wait taken to stay under Shopify's rate limit.
func (m *Metrics) ObservePacing(_ string, wait time.Duration) {
	m.rateLimitWaits.WithLabelValues("pacing").Inc()
	m.rateLimitSecs.WithLabelValues("pacing").Add(wait.Seconds())
}

// ObserveThrottled counts a 429 answer and the wait it asked for.
func (m *Metrics) ObserveThrottled(_ string, wait time.Duration) {
	m.rateLimitWaits.WithLabelValues("throttled").Inc()
	m.rateLimitSecs.WithLabelValues("throttled").Add(wait.Seconds())
}

// ObserveRetry counts a retried Shopify request.
func (m *Metrics) ObserveRetry(_ string, reason string, _ time.Duration) {
	m.shopifyRetries.WithLabelValues(reason).Inc()
}

// expiringDesc is the gauge of failed orders about to leave Shopify's 60-day window.
var expiringDesc = prometheus.NewDesc("kassa_shopify_failed_orders_expiring",
	"Orders whose import failed and that leave Shopify's 60-day window within 7 days (fix them while Shopify still hands them out), by shop.",
	[]string{"shop"}, nil)

// expiringCollector reads the failed orders about to leave Shopify's window from the
// import log at each scrape.
type expiringCollector struct {
	db    *sqlx.DB
	clock func() time.Time
}

// Describe implements prometheus.Collector.
func (c expiringCollector) Describe(ch chan<- *prometheus.Desc) { ch <- expiringDesc }

// Collect implements prometheus.Collector; a scrape the database cannot answer in time
// reports nothing rather than a wrong count.
func (c expiringCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conns, err := shopify.ConnectionStore{}.List(ctx, c.db)
	if err != nil {
		return
	}
	orders, err := shopify.RunLog{}.ExpiringFailures(ctx, c.db, 0, c.clock())
	if err != nil {
		return
	}
	count := map[string]int{}
	for _, o := range orders {
		count[o.Shop]++
	}
	for _, cn := range conns {
		if cn.Enabled {
			ch <- prometheus.MustNewConstMetric(expiringDesc, prometheus.GaugeValue, float64(count[cn.Shop]), cn.Shop)
		}
	}
}

// The Metrics are the stock pushers' observer.
var _ shopify.PushObserver = (*Metrics)(nil)

// ObservePushed counts pushed items and their latency.
func (m *Metrics) ObservePushed(_ string, latencies []time.Duration, set int) {
	for _, l := range latencies {
		m.stockLatency.Observe(l.Seconds())
	}
	m.stockPushed.WithLabelValues("set").Add(float64(set))
	m.stockPushed.WithLabelValues("unchanged").Add(float64(len(latencies) - set))
}

// ObservePushError counts a failed push.
func (m *Metrics) ObservePushError(shop string) { m.stockErrors.WithLabelValues(shop).Inc() }

// ObserveStale counts a stale answer.
func (m *Metrics) ObserveStale(string) { m.stockStale.Inc() }

// ObserveCorrections counts drift corrections.
func (m *Metrics) ObserveCorrections(shop string, n int) {
	m.stockCorrections.WithLabelValues(shop).Add(float64(n))
}
