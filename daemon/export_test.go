package daemon

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// SetWebhookStoreHook makes the daemon run f in the transaction that stores each webhook
// delivery, after the insert.
func SetWebhookStoreHook(d *Daemon, f func(ctx context.Context, tx *sqlx.Tx)) {
	d.receiver.storeHook.Store(&f)
}

// SetPassHook makes the daemon call f after every pass of its background loops (the
// webhook worker, the poller, the nightly reports and the webhook subscriptions' checks) and after every import run the API
// started, from the loop's or run's goroutine.
func SetPassHook(d *Daemon, f func()) {
	d.runner.afterPass.f.Store(&f)
	d.worker.afterPass.f.Store(&f)
	d.poller.afterPass.f.Store(&f)
	d.nightly.afterPass.f.Store(&f)
	d.subs.afterPass.f.Store(&f)
	d.stock.afterPass.f.Store(&f)
	if d.recon != nil {
		d.recon.afterPass.f.Store(&f)
	}
}

// SetReconcileHook makes the daemon's nightly reconciliation call f after each of its
// passes (instead of the hook SetPassHook set); it returns false when the daemon does not
// reconcile.
func SetReconcileHook(d *Daemon, f func()) bool {
	if d.recon == nil {
		return false
	}
	d.recon.afterPass.f.Store(&f)
	return true
}
