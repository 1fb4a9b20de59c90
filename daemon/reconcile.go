package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// Reconciler compares a connection's orders of a window with kassa and, with Fix,
// records what differs; *shopify.Importer is the real one. A daemon whose Importer is not
// one does not reconcile at night.
type Reconciler interface {
	Reconcile(ctx context.Context, connectionID int64, opts shopify.ReconcileOptions) (shopify.Reconciliation, error)
}

var _ Reconciler = (*shopify.Importer)(nil)

// lockClassReconcile is the first key of the advisory lock that lets one instance run a
// connection's nightly reconciliation (the second key is the connection's id).
const lockClassReconcile int32 = 0x4B44_0002

// reconciler runs every enabled connection's reconciliation once a night, at the
// configured local time of the connection's outlet: the orders created in the last days
// are compared with kassa and, for a connection with auto-update on, the differences are
// recorded by the import's rules (what `kassa shopify reconcile --fix` does); with
// auto-update off staff import by hand, so they are only listed. The result is kept per
// connection and night (shopify_reconciliations), which the nightly report of that day
// shows; a second daemon finds it done (or running: the lock) and leaves it.
//
// A night is reconciled by a daemon that was running when its time came: one started
// later leaves it (the next night's window covers the same orders), so that starting,
// restarting or upgrading a daemon in the day never compares and records orders by itself.
type reconciler struct {
	db      *sqlx.DB
	rec     Reconciler
	clock   func() time.Time
	log     zerolog.Logger
	metrics *Metrics
	every   time.Duration
	// hour and minute are the local time of day it runs at; days is the window.
	hour, minute, days int
	// since is when the reconciler started: a night whose time came before is left.
	since time.Time
	// afterPass is told after every pass over the connections.
	afterPass passHook
}

// Run reconciles the due connections at start and every r.every until ctx ends.
func (r *reconciler) Run(ctx context.Context) error {
	r.since = r.clock()
	tick := time.NewTicker(r.every)
	defer tick.Stop()
	for {
		r.runDue(ctx)
		r.afterPass.passed()
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// night returns the local date whose reconciliation is due at now in loc, and false when
// today's time has not come yet or came before the reconciler started (a night missed is
// not caught up: the next night's window covers its orders).
func (r *reconciler) night(now time.Time, loc *time.Location) (time.Time, bool) {
	local := now.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	at := time.Date(local.Year(), local.Month(), local.Day(), r.hour, r.minute, 0, 0, loc)
	return day, !local.Before(at) && r.since.Before(at)
}

func (r *reconciler) runDue(ctx context.Context) {
	conns, err := shopify.ConnectionStore{}.List(ctx, r.db)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error().Err(err).Msg("list connections to reconcile")
		}
		return
	}
	outlets, err := inventory.Store{}.Outlets(ctx, r.db)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error().Err(err).Msg("list outlets to reconcile")
		}
		return
	}
	byID := map[int64]inventory.Outlet{}
	for _, o := range outlets {
		byID[o.ID] = o
	}
	now := r.clock()
	for _, c := range conns {
		if ctx.Err() != nil {
			return
		}
		o, ok := byID[c.OutletID]
		if !c.Enabled || !ok {
			continue
		}
		loc, err := o.Location()
		if err != nil {
			r.log.Error().Err(err).Str("outlet", o.Name).Msg("outlet time zone")
			continue
		}
		night, due := r.night(now, loc)
		if !due {
			continue
		}
		if err := r.reconcile(ctx, c, night, now); err != nil && ctx.Err() == nil {
			r.metrics.reconciliations.WithLabelValues("failed").Inc()
			r.log.Error().Err(err).Str("shop", c.Shop).Str("night", night.Format(time.DateOnly)).Msg("nightly reconciliation not recorded; tried again at the next tick")
		}
	}
}

// reconcile runs and records the connection's reconciliation of night unless it is
// recorded or another instance runs it. The lock is held, in a transaction, until the
// result is recorded; an instance that dies half-way records nothing and releases it (the
// differences it recorded stay recorded, and are not found again).
func (r *reconciler) reconcile(ctx context.Context, c shopify.Connection, night, now time.Time) error {
	log := r.log.With().Str("shop", c.Shop).Str("night", night.Format(time.DateOnly)).Logger()
	return pg.WithTx(ctx, r.db, func(tx *sqlx.Tx) error {
		var got bool
		if err := tx.GetContext(ctx, &got, `SELECT pg_try_advisory_xact_lock($1, $2::int)`, lockClassReconcile, c.ID); err != nil {
			return fmt.Errorf("lock the reconciliation of %s: %w", c.Shop, err)
		}
		if !got {
			return nil
		}
		done, err := shopify.ReconcileLog{}.Done(ctx, tx, c.ID, night)
		if err != nil || done {
			return err
		}
		started := r.clock()
		res, runErr := r.rec.Reconcile(ctx, c.ID, shopify.ReconcileOptions{
			From: now.AddDate(0, 0, -r.days), To: now, Fix: c.AutoUpdate, Trigger: shopify.TriggerReconcile,
		})
		if runErr != nil && ctx.Err() != nil {
			return runErr
		}
		rec := shopify.ReconcileRecord{ConnectionID: c.ID, Night: night, StartedAt: started, FinishedAt: r.clock(), Result: res, Err: runErr}
		if res.From.IsZero() {
			// It failed before it compared anything: the window it was asked for.
			rec.Result.From, rec.Result.To = now.AddDate(0, 0, -r.days), now
		}
		if err := (shopify.ReconcileLog{}).Record(ctx, tx, rec); err != nil {
			return err
		}
		switch {
		case runErr != nil:
			// Kept with its error: the nightly report says it failed, and the next night
			// (or `kassa shopify reconcile --fix`) compares the orders again.
			r.metrics.reconciliations.WithLabelValues("failed").Inc()
			log.Warn().Err(runErr).Msg("nightly reconciliation failed")
		case len(res.Differences) > 0:
			// Counted whether recorded (auto-update on) or only listed.
			r.metrics.reconciliations.WithLabelValues("differences").Inc()
			r.metrics.reconcileDifferences.WithLabelValues(c.Shop).Add(float64(len(res.Differences)))
			log.Info().Int("orders", res.Orders).Int("differences", len(res.Differences)).Bool("recorded", c.AutoUpdate).
				Msg("nightly reconciliation found differences")
		default:
			r.metrics.reconciliations.WithLabelValues("clean").Inc()
			log.Info().Int("orders", res.Orders).Msg("nightly reconciliation found no difference")
		}
		return nil
	})
}
