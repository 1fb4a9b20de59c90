package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// passHook is what a background loop tells after each pass: tests wait on it rather than
// poll for the pass's effects.
type passHook struct{ f atomic.Pointer[func()] }

// passed calls the hook, if one is set.
func (h *passHook) passed() {
	if f := h.f.Load(); f != nil {
		(*f)()
	}
}

// poller is the polling backstop of the webhooks: for every enabled connection with
// auto-update on, a "Get new" run every poll interval. When a poll is due is read from
// the import log, which all instances share, so that several daemons do not poll one
// connection several times an interval; the importer's lock makes sure one runs at a time.
type poller struct {
	db       *sqlx.DB
	importer Importer
	clock    func() time.Time
	log      zerolog.Logger
	metrics  *Metrics
	every    time.Duration
	// afterPass is told after every pass over the connections.
	afterPass passHook
}

// Run polls the connections that are due at start and every p.every until ctx ends.
func (p *poller) Run(ctx context.Context) error {
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for {
		p.pollDue(ctx)
		p.afterPass.passed()
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (p *poller) pollDue(ctx context.Context) {
	conns, err := shopify.ConnectionStore{}.List(ctx, p.db)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error().Err(err).Msg("list connections to poll")
		}
		return
	}
	for _, c := range conns {
		if ctx.Err() != nil {
			return
		}
		if !c.Enabled || !c.AutoUpdate {
			continue
		}
		due, err := p.due(ctx, c)
		if err != nil {
			p.log.Error().Err(err).Str("shop", c.Shop).Msg("check poll")
			continue
		}
		if !due {
			continue
		}
		sum, err := p.importer.Run(ctx, c.ID, shopify.RunOptions{Mode: shopify.ModeNew, Trigger: shopify.TriggerPoll})
		switch {
		case errors.Is(err, shopify.ErrImportRunning):
			// Another run (this or another instance) is importing the shop right now.
			p.log.Debug().Str("shop", c.Shop).Msg("poll skipped: an import is running")
			continue
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			p.log.Warn().Err(err).Str("shop", c.Shop).Msg("poll failed; next poll at the next interval")
		}
		p.metrics.observeRun(shopify.ModeNew, shopify.TriggerPoll, sum, err)
	}
}

// due reports whether the connection's last listing run started a poll interval ago or
// more (or never ran).
func (p *poller) due(ctx context.Context, c shopify.Connection) (bool, error) {
	last, err := shopify.RunLog{}.LastListingStart(ctx, p.db, c.ID)
	if errors.Is(err, shopify.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	interval := time.Duration(c.PollSeconds) * time.Second
	if interval <= 0 {
		interval = shopify.DefaultPollInterval
	}
	return p.clock().Sub(last) >= interval, nil
}

// lockClassNightly is the first key of the advisory lock that lets one instance write an
// outlet's nightly report (the second key is the outlet's id).
const lockClassNightly int32 = 0x4B44_0001

// nightly writes each outlet's nightly report once its local day has reached the
// configured time, and catches up at start on days missed while no daemon ran.
type nightly struct {
	db      *sqlx.DB
	clock   func() time.Time
	log     zerolog.Logger
	metrics *Metrics
	every   time.Duration
	// hour and minute are the local time of day the report is written at.
	hour, minute int
	// catchUp is how many days back a missed report is still written.
	catchUp int
	// beforeReport, when set, runs before the outlet's newest due report is written (the
	// stock drift check, whose corrections the report lists).
	beforeReport func(ctx context.Context, outletID int64)
	// afterPass is told after every pass over the outlets.
	afterPass passHook
}

// Run writes the due reports at start and every n.every until ctx ends.
func (n *nightly) Run(ctx context.Context) error {
	tick := time.NewTicker(n.every)
	defer tick.Stop()
	for {
		n.runDue(ctx)
		n.afterPass.passed()
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// scheduled is the moment day's report is due in loc: the configured time of that day.
func (n *nightly) scheduled(day time.Time, loc *time.Location) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), n.hour, n.minute, 0, 0, loc)
}

// dueDays returns the local days whose report should exist by now, oldest first: the
// newest day whose scheduled time has passed and up to catchUp-1 days before it, none
// before the outlet existed.
func (n *nightly) dueDays(now time.Time, loc *time.Location, created time.Time) []time.Time {
	local := now.In(loc)
	newest := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	if local.Before(n.scheduled(newest, loc)) {
		newest = newest.AddDate(0, 0, -1)
	}
	c := created.In(loc)
	first := time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, loc)
	var out []time.Time
	for i := n.catchUp - 1; i >= 0; i-- {
		d := newest.AddDate(0, 0, -i)
		if !d.Before(first) {
			out = append(out, d)
		}
	}
	return out
}

func (n *nightly) runDue(ctx context.Context) {
	outlets, err := inventory.Store{}.Outlets(ctx, n.db)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Error().Err(err).Msg("list outlets for the nightly reports")
		}
		return
	}
	now := n.clock()
	for _, o := range outlets {
		loc, err := o.Location()
		if err != nil {
			n.log.Error().Err(err).Str("outlet", o.Name).Msg("outlet time zone")
			continue
		}
		days := n.dueDays(now, loc, o.CreatedAt)
		for i, day := range days {
			if ctx.Err() != nil {
				return
			}
			if i == len(days)-1 && n.beforeReport != nil {
				if due, err := n.reportDue(ctx, o, day, n.scheduled(day, loc)); err == nil && due {
					n.beforeReport(ctx, o.ID)
				}
			}
			wrote, err := n.generate(ctx, o, day, n.scheduled(day, loc))
			switch {
			case err != nil && ctx.Err() != nil:
				return
			case err != nil:
				n.metrics.nightlyReports.WithLabelValues("failed").Inc()
				n.log.Error().Err(err).Str("outlet", o.Name).Str("day", day.Format(time.DateOnly)).Msg("nightly report failed; retried at the next tick")
			case wrote:
				n.metrics.nightlyReports.WithLabelValues("written").Inc()
				n.log.Info().Str("outlet", o.Name).Str("day", day.Format(time.DateOnly)).Msg("nightly report written")
			}
		}
	}
}

// reportDue reports whether the outlet's report of day is still to be written.
func (n *nightly) reportDue(ctx context.Context, o inventory.Outlet, day, scheduled time.Time) (bool, error) {
	date := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	at, err := register.Service{Clock: n.clock}.NightlyGeneratedAt(ctx, n.db, o.ID, date)
	if errors.Is(err, register.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return at.Before(scheduled), nil
}

// generate writes the outlet's report of day unless one written at or after its scheduled
// time exists (a report generated on demand earlier in the day is written again) or
// another instance is writing it. The lock and the report share one transaction, so an
// instance that dies half-way leaves nothing and releases the lock.
func (n *nightly) generate(ctx context.Context, o inventory.Outlet, day, scheduled time.Time) (bool, error) {
	wrote := false
	err := pg.WithTx(ctx, n.db, func(tx *sqlx.Tx) error {
		var got bool
		if err := tx.GetContext(ctx, &got, `SELECT pg_try_advisory_xact_lock($1, $2::int)`, lockClassNightly, o.ID); err != nil {
			return fmt.Errorf("lock nightly report of %s: %w", o.Name, err)
		}
		if !got {
			return nil
		}
		date := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
		svc := register.Service{Clock: n.clock, ImportLog: shopify.RunLog{}}
		at, err := svc.NightlyGeneratedAt(ctx, tx, o.ID, date)
		if err == nil && !at.Before(scheduled) {
			return nil
		}
		if err != nil && !errors.Is(err, register.ErrNotFound) {
			return fmt.Errorf("outlet %s: %w", o.Name, err)
		}
		if _, err := svc.GenerateNightly(ctx, tx, o.ID, date); err != nil {
			return err
		}
		wrote = true
		return nil
	})
	return wrote, err
}
