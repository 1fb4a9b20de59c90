package staff_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/staff"
)

func TestTokensByNameAndTheirNames(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := staff.Store{}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	till, err := st.Create(ctx, db, "Till-1", "cashier", hash("1"), at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, db, "till-1", "manager", hash("2"), at); !errors.Is(err, staff.ErrNameTaken) {
		t.Fatalf("a second live token named till-1: %v, want ErrNameTaken", err)
	}
	if err := st.Revoke(ctx, db, till.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	again, err := st.Create(ctx, db, "till-1", "cashier", hash("3"), at.Add(2*time.Hour))
	if err != nil {
		t.Fatalf("a revoked token's name is free again: %v", err)
	}
	if got, err := st.Named(ctx, db, "TILL-1"); err != nil || got.ID != again.ID {
		t.Errorf("Named(TILL-1) = %+v, %v, want the live token %d", got, err, again.ID)
	}
	if got, err := st.ByHash(ctx, db, hash("1")); err != nil || got.ID != till.ID || got.RevokedAt == nil {
		t.Errorf("ByHash = %+v, %v", got, err)
	}
	if _, err := st.ByHash(ctx, db, hash("nope")); !errors.Is(err, staff.ErrNotFound) {
		t.Errorf("ByHash(unknown) = %v, want ErrNotFound", err)
	}
	names, err := st.Names(ctx, db, []int64{till.ID, again.ID, till.ID})
	if err != nil || names[till.ID] != "Till-1" || names[again.ID] != "till-1" {
		t.Fatalf("Names = %v, %v", names, err)
	}
	if n := staff.NameOf(names, &till.ID); n == nil || *n != "Till-1" {
		t.Errorf("NameOf(revoked token) = %v, want its name", n)
	}
	if n := staff.NameOf(names, nil); n != nil {
		t.Errorf("NameOf(no token) = %q, want nil", *n)
	}
}

func hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
