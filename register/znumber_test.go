package register_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/register"
)

// zNumbers returns the Z numbers of a register's closed sessions in the order they
// closed.
func zNumbers(t *testing.T, db *sqlx.DB, registerID int64) []int {
	t.Helper()
	var out []int
	if err := db.Select(&out, `SELECT z_number FROM register_sessions WHERE register_id = $1 AND closed_at IS NOT NULL ORDER BY closed_at, id`, registerID); err != nil {
		t.Fatal(err)
	}
	return out
}

func wantGapless(t *testing.T, what string, got []int, n int) {
	t.Helper()
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: Z numbers %v, want %v", what, got, want)
	}
}

// TestZNumbersCountEachRegistersClosesWithoutAGap closes two registers a few times, with
// refused opens and closes and a close rolled back in between: each register numbers its
// own closes 1, 2, 3..., and nothing refused uses a number.
func TestZNumbersCountEachRegistersClosesWithoutAGap(t *testing.T) {
	t.Parallel()
	s := newShop(t, dbtest.New(t), "Europe/Brussels", time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC))
	ctx := context.Background()
	back, err := register.Store{}.Create(ctx, s.db, s.outlet.ID, "Back")
	if err != nil {
		t.Fatal(err)
	}
	cash := s.types["Cash"]
	for day := 20; day < 24; day++ {
		for _, reg := range []register.Register{s.till, back} {
			s.open(reg, s.at(day, 9, 0), "100.00")
			s.clock.Set(s.at(day, 12, 0))
			st := register.Store{Clock: s.clock.Now}
			if _, err := st.OpenSession(ctx, s.db, reg.ID, dec("1"), "bert"); !errors.Is(err, register.ErrSessionAlreadyOpen) {
				t.Fatalf("a second open: %v", err)
			}
			for _, counts := range [][]register.Count{
				{{PaymentTypeID: cash, Counted: dec("-1.00")}},
				{{PaymentTypeID: cash, Counted: dec("1.00")}, {PaymentTypeID: cash, Counted: dec("2.00")}},
			} {
				if _, err := s.svc.Close(ctx, s.db, reg.ID, counts, "bert"); err == nil {
					t.Fatalf("a close with counts %v went through", counts)
				}
			}
			// A close whose transaction is rolled back afterwards leaves no number used.
			rollback := errors.New("changed my mind")
			err := pg.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
				if _, err := s.svc.Close(ctx, tx, reg.ID, nil, "bert"); err != nil {
					return err
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				t.Fatalf("rolled-back close: %v", err)
			}
			s.clock.Set(s.at(day, 18, 0))
			rep, err := s.svc.Close(ctx, s.db, reg.ID, []register.Count{{PaymentTypeID: cash, Counted: dec("100.00")}}, "bert")
			if err != nil {
				t.Fatal(err)
			}
			if rep.ZNumber == nil || *rep.ZNumber != day-19 {
				t.Errorf("%s on day %d: Z %v, want %d", reg.Name, day, rep.ZNumber, day-19)
			}
			var text bytes.Buffer
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if want := printed("Report", fmt.Sprintf("Z %d", day-19)); !strings.Contains(text.String(), want) {
				t.Errorf("the closing report does not say %q:\n%s", want, text.String())
			}
		}
	}
	wantGapless(t, "Till", zNumbers(t, s.db, s.till.ID), 4)
	wantGapless(t, "Back", zNumbers(t, s.db, back.ID), 4)

	// The X-report of an open session has no number.
	open := s.open(s.till, s.at(24, 9, 0), "100.00")
	x, err := s.svc.ClosingReport(ctx, s.db, open.ID)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := x.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if x.ZNumber != nil || !strings.Contains(text.String(), printed("Report", "X")) {
		t.Errorf("X-report: Z %v\n%s", x.ZNumber, text.String())
	}

	// The database numbers a close itself, whatever number it is given, and an open
	// session has none.
	if _, err := s.db.Exec(`UPDATE register_sessions SET z_number = 7 WHERE id = $1`, open.ID); !pg.IsCheckViolation(err, "register_sessions_z_number_closed") {
		t.Errorf("a number for an open session: %v", err)
	}
	var z int
	if err := s.db.Get(&z, `UPDATE register_sessions SET closed_at = opened_at, closed_by = 'x', z_number = 99 WHERE id = $1 RETURNING z_number`, open.ID); err != nil || z != 5 {
		t.Errorf("a close in SQL numbered %d (%v), want 5", z, err)
	}
}

// TestZNumbersUnderConcurrentCloses has several terminals close two registers at the same
// moment, again and again: each time one close goes through and the others find nothing
// open, and both registers' numbers run 1, 2, 3... without a gap or a repeat.
func TestZNumbersUnderConcurrentCloses(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	shop := dbtest.NewShop(t, db, "Gent", "Front")
	back, err := register.Store{}.Create(ctx, db, shop.OutletID, "Back")
	if err != nil {
		t.Fatal(err)
	}
	regs := []int64{shop.RegisterID, back.ID}
	const rounds, closers = 10, 6
	svc := register.Service{}
	for round := range rounds {
		for _, reg := range regs {
			if _, err := (register.Store{}).OpenSession(ctx, db, reg, decimal.Zero, "an"); err != nil {
				t.Fatal(err)
			}
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			won  = map[int64]int{}
			gate = make(chan struct{})
		)
		for _, reg := range regs {
			for range closers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-gate
					_, err := svc.Close(ctx, db, reg, nil, "bo")
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						won[reg]++
					case errors.Is(err, register.ErrNoOpenSession):
					default:
						t.Errorf("round %d: close: %v", round, err)
					}
				}()
			}
		}
		close(gate)
		wg.Wait()
		for _, reg := range regs {
			if won[reg] != 1 {
				t.Fatalf("round %d: %d closes of register %d went through, want 1", round, won[reg], reg)
			}
		}
	}
	wantGapless(t, "Front", zNumbers(t, db, shop.RegisterID), rounds)
	wantGapless(t, "Back", zNumbers(t, db, back.ID), rounds)
}

// TestSessionsRecordTheTokenNextToTheStaffName opens and closes a session with a token and
// a staff name, and another on the command line: both are kept, and the closing report
// shows them.
func TestSessionsRecordTheTokenNextToTheStaffName(t *testing.T) {
	t.Parallel()
	s := newShop(t, dbtest.New(t), "Europe/Brussels", time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC))
	ctx := context.Background()
	front := apiToken(t, s.db, "front-till")
	st := register.Store{Clock: s.clock.Now}
	opened, err := st.OpenSessionAs(ctx, s.db, s.till.ID, dec("100.00"), register.Actor{By: "anna", TokenID: &front})
	if err != nil {
		t.Fatal(err)
	}
	if opened.OpenedBy != "anna" || opened.OpenedToken == nil || *opened.OpenedToken != front {
		t.Fatalf("opened %+v, want anna with token %d", opened, front)
	}
	rep, err := s.svc.Close(ctx, s.db, s.till.ID, nil, "bert")
	if err != nil {
		t.Fatal(err)
	}
	if rep.OpenedBy != "anna" || rep.OpenedToken == nil || *rep.OpenedToken != "front-till" ||
		rep.ClosedBy == nil || *rep.ClosedBy != "bert" || rep.ClosedToken != nil {
		t.Errorf("report head: opened by %s (%v), closed by %v (%v)", rep.OpenedBy, rep.OpenedToken, rep.ClosedBy, rep.ClosedToken)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		printed("Opened", "2026-11-20 09:00 anna") + printed("", "via front-till"),
		printed("Closed", "2026-11-20 09:00 bert") + printed("", "via command line"),
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the closing report does not show %q:\n%s", want, text.String())
		}
	}

	s.open(s.till, s.at(21, 9, 0), "0")
	closed, err := st.CloseSessionAs(ctx, s.db, s.till.ID, nil, register.Actor{By: "bert", TokenID: &front})
	if err != nil {
		t.Fatal(err)
	}
	if closed.OpenedToken != nil || closed.ClosedToken == nil || *closed.ClosedToken != front || *closed.ClosedBy != "bert" {
		t.Errorf("closed %+v, want opened on the command line and closed by bert with token %d", closed, front)
	}
}

// TestNightlyRefusesDaysNotBegunOrBeforeTheOutlet asks for nightly reports of days after
// today and before the outlet was created, in the outlet's time zone: they are refused
// and nothing is stored; today and the outlet's first day are reported.
func TestNightlyRefusesDaysNotBegunOrBeforeTheOutlet(t *testing.T) {
	t.Parallel()
	// 23:30 UTC on the 25th is already the 26th in Brussels; the outlet was created at
	// 23:30 UTC on the 19th, the 20th there.
	s := newShop(t, dbtest.New(t), "Europe/Brussels", time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC))
	ctx := context.Background()
	if _, err := s.db.Exec(`UPDATE outlets SET created_at = '2026-11-19T23:30:00Z' WHERE id = $1`, s.outlet.ID); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		day  time.Time
		rule error
		want string
	}{
		{day(27), register.ErrDayNotBegun, `2026-11-27 has not begun in outlet "Gent": it is 2026-11-26 there`},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), register.ErrDayNotBegun, "2027-01-01 has not begun"},
		{day(19), register.ErrBeforeOutlet, `2026-11-19 is before outlet "Gent" was created (on 2026-11-20): no report for it`},
		{time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), register.ErrBeforeOutlet, "2025-11-01 is before outlet"},
	} {
		before := dbtest.Counts(t, s.db)
		_, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, tt.day)
		refused(t, s.db, before, err, tt.rule, tt.want)
	}
	for _, d := range []int{20, 26} {
		if _, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, day(d)); err != nil {
			t.Errorf("nightly report of the %dth: %v", d, err)
		}
	}
	var stored int
	if err := s.db.Get(&stored, `SELECT count(*) FROM nightly_reports`); err != nil || stored != 2 {
		t.Errorf("%d nightly reports stored (%v), want 2", stored, err)
	}
}
