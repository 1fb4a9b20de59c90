package daemon

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// stockPushers runs one shopify.Pusher per enabled connection that may push stock (it
// names a location and its app has write_inventory), started and stopped as connections
// change, and keeps the push queue's length in the metrics. Several daemons run theirs
// side by side: each change is claimed by one of them.
type stockPushers struct {
	db      *sqlx.DB
	conns   shopify.ConnectionStore
	opts    shopify.ClientOptions
	log     zerolog.Logger
	metrics *Metrics
	// every is how often the connections are looked at again; idle how often an empty
	// queue is; lease how long a claim holds its rows.
	every, idle, lease time.Duration
	// afterPass is told after every look at the connections.
	afterPass passHook
}

type runningPusher struct {
	cancel   context.CancelFunc
	done     chan struct{}
	location int64
	outlet   int64
}

// Run starts and stops the pushers until ctx ends, then waits for them.
func (s *stockPushers) Run(ctx context.Context) error {
	host, _ := os.Hostname()
	claimer := fmt.Sprintf("%s/%d", host, os.Getpid())
	running := map[int64]*runningPusher{}
	var wg sync.WaitGroup
	defer func() {
		for _, r := range running {
			r.cancel()
		}
		wg.Wait()
	}()
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for {
		conns, err := s.conns.List(ctx, s.db)
		if err != nil && ctx.Err() == nil {
			s.log.Error().Err(err).Msg("list connections to push stock")
		}
		want := map[int64]bool{}
		for _, c := range conns {
			ok, why := shopify.CanPush(c)
			if !c.Enabled || !ok {
				if c.Enabled && why != "" {
					s.log.Debug().Str("shop", c.Shop).Str("reason", why).Msg("stock not pushed")
				}
				continue
			}
			if st, err := (inventory.Store{}).PushStatus(ctx, s.db, shopify.Channel, c.Shop); err == nil {
				s.metrics.stockQueue.WithLabelValues(c.Shop).Set(float64(st.Queued))
			}
			want[c.ID] = true
			if r := running[c.ID]; r != nil {
				select {
				case <-r.done:
					// It ended on its own (its client could not be opened): start it again.
					delete(running, c.ID)
				default:
				}
			}
			if r := running[c.ID]; r != nil && r.location == *c.LocationID && r.outlet == c.OutletID {
				continue
			}
			if r := running[c.ID]; r != nil {
				r.cancel()
				<-r.done
			}
			full, err := s.conns.ByID(ctx, s.db, c.ID)
			if err != nil {
				s.log.Error().Err(err).Str("shop", c.Shop).Msg("load connection to push stock")
				continue
			}
			pctx, cancel := context.WithCancel(ctx)
			r := &runningPusher{cancel: cancel, done: make(chan struct{}), location: *c.LocationID, outlet: c.OutletID}
			running[c.ID] = r
			p := &shopify.Pusher{DB: s.db, Store: s.conns, Opts: s.opts, Claimer: claimer, Idle: s.idle, Lease: s.lease, Observer: s.metrics}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(r.done)
				p.Run(pctx, full)
			}()
			s.log.Info().Str("shop", c.Shop).Int64("location_id", *c.LocationID).Msg("stock push started")
		}
		for id, r := range running {
			if !want[id] {
				r.cancel()
				<-r.done
				delete(running, id)
			}
		}
		s.afterPass.passed()
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// driftCheckInterval is how soon a shop's drift check may run again, whichever daemon
// asks.
const driftCheckInterval = 6 * time.Hour

// checkDrift compares the stock of the outlet's connections with Shopify's and queues the
// corrections, before the outlet's nightly report lists them. A shop checked in the last
// hours (by this daemon or another) is not checked again.
func (s *stockPushers) checkDrift(ctx context.Context, outletID int64) {
	conns, err := s.conns.List(ctx, s.db)
	if err != nil {
		s.log.Error().Err(err).Msg("list connections for the drift check")
		return
	}
	for _, c := range conns {
		if ok, _ := shopify.CanPush(c); !ok || !c.Enabled || c.OutletID != outletID {
			continue
		}
		claimed, err := inventory.Store{}.ClaimDriftCheck(ctx, s.db, shopify.Channel, c.Shop, driftCheckInterval)
		if err != nil || !claimed {
			continue
		}
		full, err := s.conns.ByID(ctx, s.db, c.ID)
		if err != nil {
			s.log.Error().Err(err).Str("shop", c.Shop).Msg("load connection for the drift check")
			continue
		}
		if _, err := s.conns.CheckDrift(ctx, s.db, full, s.opts, s.metrics); err != nil {
			s.log.Warn().Err(err).Str("shop", c.Shop).Msg("stock drift check failed")
		}
	}
}
