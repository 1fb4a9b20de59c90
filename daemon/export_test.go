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
