package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/clock"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
)

// Errors returned by the store.
var (
	ErrNotFound           = errors.New("not found")
	ErrDuplicateRegister  = errors.New("a register with this name already exists in the outlet")
	ErrAmbiguous          = errors.New("several registers have this name: name the outlet too (OUTLET/REGISTER)")
	ErrSessionAlreadyOpen = errors.New("the register already has an open session: close it first")
	ErrNoOpenSession      = errors.New("the register has no open session: open it first")
	ErrSessionClosed      = errors.New("the register session is closed and cannot change")
	ErrArchived           = errors.New("the register is archived: it keeps its history but takes no new sessions")
	ErrOutletArchived     = errors.New("the outlet is archived: it takes no new registers")
	ErrRegisterInUse      = errors.New("the register is still in use")
	ErrCountedTwice       = errors.New("each payment type may be counted once")
)

// Store reads and writes registers and their sessions. Clock gives the time sessions are
// opened and closed at (the real time when nil).
type Store struct {
	Clock func() time.Time
}

func (s Store) now() time.Time { return clock.Now(s.Clock) }

// Register is a till of an outlet. OutletName is the outlet's (inventory's) name, filled in
// by the store's read functions.
type Register struct {
	ID         int64  `db:"id"`
	OutletID   int64  `db:"outlet_id"`
	OutletName string `db:"-"`
	Name       string `db:"name"`
	// ArchivedAt is when the register was archived; nil while it is live.
	ArchivedAt *time.Time `db:"archived_at"`
	// ReceiptPrefix begins the receipt numbers of the register's counter sales
	// (FRONT-000123): capital letters and digits, unique in the outlet.
	ReceiptPrefix string `db:"receipt_prefix"`
}

// Archived reports whether the register is archived: it keeps its history but takes no
// new sessions or Shopify connections.
func (r Register) Archived() bool { return r.ArchivedAt != nil }

const registerSelect = `SELECT r.id, r.outlet_id, r.name, r.archived_at, r.receipt_prefix FROM registers r`

// nameOutlets fills in the registers' outlet names and returns the registers ordered by
// outlet name (as the database orders the names), keeping their order within an outlet.
func nameOutlets(ctx context.Context, q pg.Queryer, regs []Register) ([]Register, error) {
	ids := make([]int64, 0, len(regs))
	for _, r := range regs {
		if !slices.Contains(ids, r.OutletID) {
			ids = append(ids, r.OutletID)
		}
	}
	outlets, err := inventory.Store{}.OutletsByID(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	// Outlets of one name rank the same, as they sort the same by name.
	names := make(map[int64]string, len(outlets))
	rank := make(map[int64]int, len(outlets))
	for i, o := range outlets {
		names[o.ID] = o.Name
		rank[o.ID] = i
		if i > 0 && outlets[i-1].Name == o.Name {
			rank[o.ID] = rank[outlets[i-1].ID]
		}
	}
	for i := range regs {
		regs[i].OutletName = names[regs[i].OutletID]
	}
	slices.SortStableFunc(regs, func(a, b Register) int { return rank[a.OutletID] - rank[b.OutletID] })
	return regs, nil
}

// getRegister loads the register of a query that finds one, with its outlet's name.
func getRegister(ctx context.Context, q pg.Queryer, query string, args ...any) (Register, error) {
	var r Register
	if err := sqlx.GetContext(ctx, q, &r, query, args...); err != nil {
		return Register{}, err
	}
	regs, err := nameOutlets(ctx, q, []Register{r})
	if err != nil {
		return Register{}, err
	}
	return regs[0], nil
}

// Create adds a register to an outlet.
func (Store) Create(ctx context.Context, q pg.Queryer, outletID int64, name string) (Register, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Register{}, errors.New("a register needs a name")
	}
	if strings.Contains(name, "/") {
		return Register{}, fmt.Errorf("register %q: a register name cannot contain '/'", name)
	}
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `INSERT INTO registers (outlet_id, name) VALUES ($1, $2) RETURNING id`, outletID, name)
	if pg.IsUniqueViolation(err, "registers_outlet_id_name_key") {
		return Register{}, fmt.Errorf("register %q: %w", name, ErrDuplicateRegister)
	}
	if pg.IsRaised(err, "outlet_archived") {
		return Register{}, fmt.Errorf("register %q: %w", name, ErrOutletArchived)
	}
	if err != nil {
		return Register{}, fmt.Errorf("create register %q: %w", name, err)
	}
	r, err := getRegister(ctx, q, registerSelect+` WHERE r.id = $1`, id)
	if err != nil {
		return Register{}, fmt.Errorf("load register %d: %w", id, err)
	}
	return r, nil
}

// List lists the live registers of every outlet (outletID 0) or of one; archived ones are
// left out.
func (Store) List(ctx context.Context, q pg.Queryer, outletID int64) ([]Register, error) {
	var out []Register
	err := sqlx.SelectContext(ctx, q, &out, registerSelect+` WHERE ($1 = 0 OR r.outlet_id = $1) AND r.archived_at IS NULL ORDER BY r.name`, outletID)
	if err != nil {
		return nil, fmt.Errorf("list registers: %w", err)
	}
	return nameOutlets(ctx, q, out)
}

// Get finds a register by id.
func (Store) Get(ctx context.Context, q pg.Queryer, id int64) (Register, error) {
	r, err := getRegister(ctx, q, registerSelect+` WHERE r.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Register{}, fmt.Errorf("register %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Register{}, fmt.Errorf("load register %d: %w", id, err)
	}
	return r, nil
}

// Find looks a register up by name, whatever the case: "Front" when one outlet has a
// register of that name, or "Outlet/Front" to say which outlet. Live registers come first;
// only when none has the name is an archived one found (its history can still be read;
// callers that add to it check Archived).
func (Store) Find(ctx context.Context, q pg.Queryer, ref string) (Register, error) {
	outlet, name, qualified := strings.Cut(ref, "/")
	if !qualified {
		outlet, name = "", ref
	}
	var outlets []int64 // with "Outlet/Front", the outlets of that name
	if qualified {
		ids, err := inventory.Store{}.OutletIDsNamed(ctx, q, strings.TrimSpace(outlet))
		if err != nil {
			return Register{}, err
		}
		outlets = append([]int64{}, ids...)
	}
	var found []Register
	err := sqlx.SelectContext(ctx, q, &found, registerSelect+` WHERE lower(r.name) = lower($1) AND ($2 = '' OR r.outlet_id = ANY($3::bigint[]))
		ORDER BY r.archived_at DESC NULLS FIRST, r.id`, strings.TrimSpace(name), strings.TrimSpace(outlet), pq.Array(outlets))
	if err != nil {
		return Register{}, fmt.Errorf("find register %q: %w", ref, err)
	}
	// The live ones when there are any; else the outlet's register archived last.
	n := 0
	for n < len(found) && !found[n].Archived() {
		n++
	}
	switch {
	case n > 0:
		found = found[:n]
	case len(found) > 1:
		n = 1
		for n < len(found) && found[n].OutletID == found[0].OutletID {
			n++
		}
		if n == len(found) {
			found = found[:1]
		}
	}
	switch len(found) {
	case 0:
		return Register{}, fmt.Errorf("register %q: %w", ref, ErrNotFound)
	case 1:
		named, err := nameOutlets(ctx, q, found)
		if err != nil {
			return Register{}, err
		}
		return named[0], nil
	default:
		return Register{}, fmt.Errorf("register %q: %w", ref, ErrAmbiguous)
	}
}

// Session is one opening-to-closing of a register.
type Session struct {
	ID           int64           `db:"id"`
	RegisterID   int64           `db:"register_id"`
	OpenedAt     time.Time       `db:"opened_at"`
	OpenedBy     string          `db:"opened_by"`
	OpeningFloat decimal.Decimal `db:"opening_float"`
	ClosedAt     *time.Time      `db:"closed_at"`
	ClosedBy     *string         `db:"closed_by"`
	// OpenedToken and ClosedToken are the ids of the API tokens the session was opened and
	// closed with; nil for the command line.
	OpenedToken *int64 `db:"opened_token_id"`
	ClosedToken *int64 `db:"closed_token_id"`
	// ZNumber numbers the register's closes, 1, 2, 3... without a gap; nil while open.
	ZNumber *int `db:"z_number"`
}

// Open reports whether the session is still open.
func (s Session) Open() bool { return s.ClosedAt == nil }

const sessionColumns = `id, register_id, opened_at, opened_by, opening_float, closed_at, closed_by,
	opened_token_id, closed_token_id, z_number`

// Actor is who does something at the register: the staff member's name, and the id of the
// API token the request came with (nil from the command line, which has no token). Both
// are recorded, side by side.
type Actor struct {
	By      string
	TokenID *int64
}

// OpenSession opens a session on the register with an opening float, now, for staff
// member by on the command line.
func (s Store) OpenSession(ctx context.Context, q pg.Queryer, registerID int64, float decimal.Decimal, by string) (Session, error) {
	return s.OpenSessionAs(ctx, q, registerID, float, Actor{By: by})
}

// OpenSessionAs opens a session on the register with an opening float, now, recording who
// opened it and with which token.
func (s Store) OpenSessionAs(ctx context.Context, q pg.Queryer, registerID int64, float decimal.Decimal, who Actor) (Session, error) {
	if float.IsNegative() {
		return Session{}, errors.New("the opening float cannot be negative")
	}
	by := strings.TrimSpace(who.By)
	if by == "" {
		return Session{}, errors.New("say who opens the register")
	}
	var out Session
	err := sqlx.GetContext(ctx, q, &out, `
		INSERT INTO register_sessions (register_id, opened_at, opened_by, opening_float, opened_token_id)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+sessionColumns, registerID, s.now(), by, float, who.TokenID)
	if pg.IsUniqueViolation(err, "register_sessions_one_open") {
		return Session{}, ErrSessionAlreadyOpen
	}
	if pg.IsRaised(err, "register_archived") {
		return Session{}, ErrArchived
	}
	if err != nil {
		return Session{}, fmt.Errorf("open session: %w", err)
	}
	return out, nil
}

// CurrentSession returns the register's open session, or ErrNoOpenSession.
func (Store) CurrentSession(ctx context.Context, q pg.Queryer, registerID int64) (Session, error) {
	var out Session
	err := sqlx.GetContext(ctx, q, &out, `SELECT `+sessionColumns+` FROM register_sessions WHERE register_id = $1 AND closed_at IS NULL`, registerID)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoOpenSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("load open session: %w", err)
	}
	return out, nil
}

// LockCurrentSession is CurrentSession that also locks the session row until the end of
// the transaction q, so it cannot close while a payment is being taken in it.
func (Store) LockCurrentSession(ctx context.Context, q pg.Queryer, registerID int64) (Session, error) {
	var out Session
	err := sqlx.GetContext(ctx, q, &out, `SELECT `+sessionColumns+` FROM register_sessions WHERE register_id = $1 AND closed_at IS NULL FOR UPDATE`, registerID)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoOpenSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("lock open session: %w", err)
	}
	return out, nil
}

// ShareCurrentSession is CurrentSession that also share-locks the session row until the end
// of the transaction q, so it cannot close while sales are being counted into it (other
// transactions may share it too: imports writing several pages at once).
func (Store) ShareCurrentSession(ctx context.Context, q pg.Queryer, registerID int64) (Session, error) {
	var out Session
	err := sqlx.GetContext(ctx, q, &out, `SELECT `+sessionColumns+` FROM register_sessions WHERE register_id = $1 AND closed_at IS NULL FOR SHARE`, registerID)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoOpenSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("look up the register's open session: %w", err)
	}
	return out, nil
}

// Session loads a session by id.
func (Store) Session(ctx context.Context, q pg.Queryer, id int64) (Session, error) {
	var out Session
	err := sqlx.GetContext(ctx, q, &out, `SELECT `+sessionColumns+` FROM register_sessions WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("load session %d: %w", id, err)
	}
	return out, nil
}

// Sessions lists a register's sessions, newest first, at most limit of them (all when
// limit is 0 or less), so that its closing reports can be picked from a short list.
func (Store) Sessions(ctx context.Context, q pg.Queryer, registerID int64, limit int) ([]Session, error) {
	var out []Session
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+sessionColumns+` FROM register_sessions WHERE register_id = $1
		ORDER BY opened_at DESC, id DESC LIMIT CASE WHEN $2 > 0 THEN $2 END`, registerID, limit)
	if err != nil {
		return nil, fmt.Errorf("list sessions of register %d: %w", registerID, err)
	}
	return out, nil
}

// Count is what staff counted for one payment type at close.
type Count struct {
	PaymentTypeID int64           `db:"payment_type_id"`
	Counted       decimal.Decimal `db:"counted"`
}

// CloseSession records the counted amounts and closes the register's open session, now,
// all at once, for staff member by on the command line. After that the session never
// changes.
func (s Store) CloseSession(ctx context.Context, q pg.Queryer, registerID int64, counts []Count, by string) (Session, error) {
	return s.CloseSessionAs(ctx, q, registerID, counts, Actor{By: by})
}

// CloseSessionAs is CloseSession recording who closed it and with which token. The close
// gets the register's next Z number (the database gives it, in this transaction): the
// register's row is locked first, so closes of one register are numbered one after the
// other, and a refused close uses no number.
func (s Store) CloseSessionAs(ctx context.Context, q pg.Queryer, registerID int64, counts []Count, who Actor) (Session, error) {
	by := strings.TrimSpace(who.By)
	if by == "" {
		return Session{}, errors.New("say who closes the register")
	}
	seen := map[int64]bool{}
	for _, c := range counts {
		if seen[c.PaymentTypeID] {
			return Session{}, ErrCountedTwice
		}
		seen[c.PaymentTypeID] = true
	}
	var out Session
	err := pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		// The register, then its session: the order every close takes its locks in. NO KEY:
		// sessions, sales and payments only hold KEY SHARE locks on it, and need not wait.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM registers WHERE id = $1 FOR NO KEY UPDATE`, registerID); err != nil {
			return fmt.Errorf("lock register %d: %w", registerID, err)
		}
		cur, err := s.LockCurrentSession(ctx, tx, registerID)
		if err != nil {
			return err
		}
		for _, c := range counts {
			if c.Counted.IsNegative() {
				return errors.New("a counted amount cannot be negative")
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO register_session_counts (session_id, payment_type_id, counted) VALUES ($1, $2, $3)`,
				cur.ID, c.PaymentTypeID, c.Counted); err != nil {
				if pg.IsUniqueViolation(err, "") {
					return ErrCountedTwice
				}
				return fmt.Errorf("record count: %w", err)
			}
		}
		closedAt := s.now()
		if closedAt.Before(cur.OpenedAt) {
			closedAt = cur.OpenedAt
		}
		return sqlx.GetContext(ctx, tx, &out, `
			UPDATE register_sessions SET closed_at = $2, closed_by = $3, closed_token_id = $4 WHERE id = $1
			RETURNING `+sessionColumns, cur.ID, closedAt, by, who.TokenID)
	})
	if err != nil {
		return Session{}, fmt.Errorf("close session: %w", err)
	}
	return out, nil
}

// Counts returns what was counted at the close of a session.
func (Store) Counts(ctx context.Context, q pg.Queryer, sessionID int64) ([]Count, error) {
	var out []Count
	err := sqlx.SelectContext(ctx, q, &out, `SELECT payment_type_id, counted FROM register_session_counts WHERE session_id = $1 ORDER BY payment_type_id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("load counts of session %d: %w", sessionID, err)
	}
	return out, nil
}

// TranslateError turns the database's refusals about sessions into the store's errors.
func TranslateError(err error) error {
	if pg.IsRaised(err, "register_session_closed") {
		return ErrSessionClosed
	}
	return err
}
