package daemon

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// onReplica runs read, one of the reads that may be a moment behind (sales lists and
// searches, reports), on the daemon's read replica when it has one: a PostgreSQL streaming
// replica of the database, so that many staff searching and reporting do not load the
// primary that imports and sells. When the replica cannot be reached, the read runs on the
// primary: a replica that is down costs speed, never an answer. Without a replica it runs
// on the primary.
func (a *api) onReplica(ctx context.Context, read func(q *sqlx.DB) error) error {
	if a.replica != nil {
		err := read(a.replica)
		if err == nil || !unreachable(err) || ctx.Err() != nil {
			a.metrics.replicaReads.WithLabelValues(replicaResult(err)).Inc()
			return err
		}
		a.metrics.replicaReads.WithLabelValues("primary").Inc()
		if ok, n := a.replicaDown.allow("replica"); ok {
			a.log.Warn().Err(err).Int("suppressed", n).Msg("the read replica cannot be reached: reading from the primary")
		}
	}
	return read(a.db)
}

func replicaResult(err error) string {
	if err != nil {
		return "error"
	}
	return "replica"
}

// unreachable tells whether err says the database could not be reached or went away (as
// opposed to an answer the database gave: a row not found, a refused value).
func unreachable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		code := string(pqErr.Code)
		// connection_exception (08…), admin/crash shutdown and cannot_connect_now (57P01–03),
		// and a standby that cancelled the read for recovery (40001 on a hot standby is a
		// serialization failure: it is a conflict with replay, try the primary).
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" ||
			(code == "40001" && strings.Contains(pqErr.Message, "recovery"))
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.As(err, &netErr) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}
