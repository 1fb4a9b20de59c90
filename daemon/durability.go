package daemon

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// durability is how the database server keeps what it commits: the two settings that,
// when off, let a crash lose committed transactions.
type durability struct {
	// Fsync is the server's fsync: off, a power cut can lose or corrupt anything.
	Fsync string `json:"fsync" db:"fsync"`
	// SynchronousCommit is what the daemon's sessions get by default (the server's, the
	// database's or the role's setting): off, a crash can lose the last commits.
	SynchronousCommit string `json:"synchronous_commit" db:"synchronous_commit"`
}

// readiness is the answer of /readyz.
type readiness struct {
	Status   string     `json:"status"`
	Database durability `json:"database"`
	// Warnings name what is ready but unsafe; empty when nothing is.
	Warnings []string `json:"warnings"`
	// Shopify is the state of each enabled Shopify connection.
	Shopify []shopifyReadiness `json:"shopify"`
}

// checkDurability reads the durability settings the daemon's sessions run with.
func checkDurability(ctx context.Context, db *sqlx.DB) (durability, error) {
	var d durability
	err := db.GetContext(ctx, &d, `SELECT current_setting('fsync') AS fsync,
		current_setting('synchronous_commit') AS synchronous_commit`)
	if err != nil {
		return durability{}, fmt.Errorf("read the database's durability settings: %w", err)
	}
	return d, nil
}

// warnings says, for an operator, what the settings put at risk.
func (d durability) warnings() []string {
	out := []string{}
	if d.Fsync == "off" {
		out = append(out, "the database server runs with fsync off: a power cut or crash can lose or corrupt "+
			"committed sales, payments and webhook deliveries; turn fsync on in postgresql.conf")
	}
	if d.SynchronousCommit == "off" {
		out = append(out, "the database runs with synchronous_commit off: a crash can lose the last committed "+
			"sales and payments (webhook deliveries are still committed with it on); set synchronous_commit to on")
	}
	return out
}

// warnDurability logs at start-up what warnings says.
func (d *Daemon) warnDurability(ctx context.Context) {
	dur, err := checkDurability(ctx, d.db)
	if err != nil {
		d.log.Warn().Err(err).Msg("could not check the database's durability settings")
		return
	}
	for _, w := range dur.warnings() {
		d.log.Warn().Str("fsync", dur.Fsync).Str("synchronous_commit", dur.SynchronousCommit).Msg(w)
	}
}
