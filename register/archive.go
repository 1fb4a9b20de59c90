package register

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Rename gives a live register a new name, which no other live register of its outlet may
// have (whatever the case). Its sessions and reports then show the new name.
func (s Store) Rename(ctx context.Context, q pg.Queryer, id int64, name string) (Register, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Register{}, errors.New("a register needs a name")
	}
	if strings.Contains(name, "/") {
		return Register{}, fmt.Errorf("register %q: a register name cannot contain '/'", name)
	}
	cur, err := s.Get(ctx, q, id)
	if err != nil {
		return Register{}, err
	}
	if cur.Archived() {
		return Register{}, refusal{ErrArchived, fmt.Sprintf("register %q of outlet %q is archived: an archived register keeps its name", cur.Name, cur.OutletName)}
	}
	_, err = q.ExecContext(ctx, `UPDATE registers SET name = $2 WHERE id = $1 AND archived_at IS NULL`, id, name)
	if pg.IsUniqueViolation(err, "registers_outlet_id_name_key") {
		return Register{}, fmt.Errorf("register %q: %w", name, ErrDuplicateRegister)
	}
	if err != nil {
		return Register{}, fmt.Errorf("rename register %q: %w", cur.Name, err)
	}
	return s.Get(ctx, q, id)
}

// Archive archives a live register: it keeps its sessions, sales and reports but leaves
// every list and takes no new session or Shopify connection. It is refused
// (ErrRegisterInUse, saying what to do) while the register has an open session or an
// enabled Shopify connection imports into it.
func (s Store) Archive(ctx context.Context, q pg.Queryer, id int64) (Register, error) {
	cur, err := s.Get(ctx, q, id)
	if err != nil {
		return Register{}, err
	}
	if cur.Archived() {
		return Register{}, refusal{ErrArchived, fmt.Sprintf("register %q of outlet %q is already archived", cur.Name, cur.OutletName)}
	}
	_, err = q.ExecContext(ctx, `UPDATE registers SET archived_at = $2 WHERE id = $1 AND archived_at IS NULL`, id, s.now())
	var pqErr *pq.Error
	errors.As(err, &pqErr)
	switch {
	case pg.IsRaised(err, "register_has_open_session"):
		return Register{}, refusal{ErrRegisterInUse, fmt.Sprintf(
			"register %q has an open session: close it first with 'kassa register close'", cur.Name)}
	case pg.IsRaised(err, "register_has_live_connection"):
		return Register{}, refusal{ErrRegisterInUse, fmt.Sprintf(
			"register %q takes the orders of the Shopify shop %s: disconnect it first with 'kassa shopify disconnect', or connect the shop to another register", cur.Name, pqErr.Detail)}
	case err != nil:
		return Register{}, fmt.Errorf("archive register %q: %w", cur.Name, err)
	}
	return s.Get(ctx, q, id)
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
