package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/clock"
	"github.com/kassa-pos/kassa/internal/pg"
)

func (s Store) now() time.Time { return clock.Now(s.Clock) }

// RenameOutlet gives a live outlet a new name, which no other live outlet may have
// (whatever the case). Its sales, sessions and reports then show the new name.
func (Store) RenameOutlet(ctx context.Context, q pg.Queryer, id int64, name string) (Outlet, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Outlet{}, errors.New("an outlet needs a name")
	}
	var o Outlet
	err := sqlx.GetContext(ctx, q, &o, `UPDATE outlets SET name = $2 WHERE id = $1 AND archived_at IS NULL RETURNING `+outletColumns, id, name)
	switch {
	case pg.IsUniqueViolation(err, "outlets_name_key"):
		return Outlet{}, fmt.Errorf("outlet %q: %w", name, ErrDuplicateOutlet)
	case errors.Is(err, sql.ErrNoRows):
		return Outlet{}, notLive(ctx, q, id)
	case err != nil:
		return Outlet{}, fmt.Errorf("rename outlet %d: %w", id, err)
	}
	return o, nil
}

// ArchiveOutlet archives a live outlet: it keeps its history but leaves every list and
// takes no new registers or Shopify connections. It is refused (ErrOutletInUse, saying
// what to do) while the outlet has a live register or an enabled Shopify connection.
func (s Store) ArchiveOutlet(ctx context.Context, q pg.Queryer, id int64) (Outlet, error) {
	cur, err := s.Outlet(ctx, q, id)
	if err != nil {
		return Outlet{}, err
	}
	if cur.Archived() {
		return Outlet{}, fmt.Errorf("outlet %q is already %w", cur.Name, ErrArchived)
	}
	var o Outlet
	err = sqlx.GetContext(ctx, q, &o, `UPDATE outlets SET archived_at = $2 WHERE id = $1 AND archived_at IS NULL RETURNING `+outletColumns, id, s.now())
	var pqErr *pq.Error
	errors.As(err, &pqErr)
	switch {
	case pg.IsRaised(err, "outlet_has_live_registers"):
		return Outlet{}, refusal{ErrOutletInUse, fmt.Sprintf(
			"outlet %q still has the registers %s: archive them first with 'kassa register archive'", cur.Name, pqErr.Detail)}
	case pg.IsRaised(err, "outlet_has_live_connection"):
		return Outlet{}, refusal{ErrOutletInUse, fmt.Sprintf(
			"outlet %q takes the orders of the Shopify shop %s: disconnect it first with 'kassa shopify disconnect', or connect the shop to another outlet", cur.Name, pqErr.Detail)}
	case errors.Is(err, sql.ErrNoRows):
		return Outlet{}, notLive(ctx, q, id)
	case err != nil:
		return Outlet{}, fmt.Errorf("archive outlet %q: %w", cur.Name, err)
	}
	return o, nil
}

// refusal is a rule's refusal: a sentence for staff that unwraps to the store's error.
type refusal struct {
	kind error
	msg  string
}

// Error returns the sentence for staff.
func (r refusal) Error() string { return r.msg }

// Unwrap returns the store's error, for errors.Is.
func (r refusal) Unwrap() error { return r.kind }

// notLive says why outlet id was not changed: it does not exist, or it is archived.
func notLive(ctx context.Context, q pg.Queryer, id int64) error {
	o, err := Store{}.Outlet(ctx, q, id)
	if err != nil {
		return err
	}
	return fmt.Errorf("outlet %q is %w", o.Name, ErrArchived)
}
