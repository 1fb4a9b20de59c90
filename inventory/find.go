package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Errors of FindOutlet when no name is given.
var (
	// ErrNoOutlet: there is no live outlet yet.
	ErrNoOutlet = errors.New("there is no outlet yet: add one with 'kassa outlet add'")
	// ErrOutletNotNamed: there are several live outlets and the caller did not say which.
	// A front-end says how to name one (a flag, a field).
	ErrOutletNotNamed = errors.New("there are several outlets: name one")
)

// FindOutlet resolves the outlet staff name, whatever the case. An empty name means the
// only live outlet there is, so a one-shop installation never has to name it (ErrNoOutlet
// when there is none, ErrOutletNotNamed when there are several). A named outlet is found
// live or archived: its history stays readable; FindLiveOutlet is for acting in it.
func (s Store) FindOutlet(ctx context.Context, q pg.Queryer, name string) (Outlet, error) {
	if name != "" {
		return s.OutletByName(ctx, q, name)
	}
	outlets, err := s.Outlets(ctx, q)
	if err != nil {
		return Outlet{}, err
	}
	switch len(outlets) {
	case 0:
		return Outlet{}, ErrNoOutlet
	case 1:
		return outlets[0], nil
	}
	return Outlet{}, ErrOutletNotNamed
}

// FindLiveOutlet is FindOutlet for an outlet something is about to be done in (a register
// added, stock moved, a report made): an archived outlet is refused with an error that
// wraps ErrArchived.
func (s Store) FindLiveOutlet(ctx context.Context, q pg.Queryer, name string) (Outlet, error) {
	o, err := s.FindOutlet(ctx, q, name)
	if err == nil && o.Archived() {
		return Outlet{}, fmt.Errorf("outlet %q is %w: name a live outlet (see 'kassa outlet list')", o.Name, ErrArchived)
	}
	return o, err
}
