package register

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/staff"
)

// Names returns the names of registers (archived ones included), by id.
func (Store) Names(ctx context.Context, q pg.Queryer, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, name FROM registers WHERE id = ANY($1::bigint[])`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("look up register names: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// NameSales fills in what sales show of what is not theirs: the name and time zone of each
// sale's outlet (inventory's), the names of the registers it was sold and paid at (the
// register package's) and of the API tokens its payments and voids were recorded with
// (staff's). It reads each kind once for all the sales.
func (s Store) NameSales(ctx context.Context, q pg.Queryer, ss []sales.Sale) error {
	var outletIDs, registerIDs, tokenIDs []int64
	for _, sale := range ss {
		outletIDs = append(outletIDs, sale.OutletID)
		registerIDs = append(registerIDs, sale.RegisterID)
		for _, p := range sale.Payments {
			registerIDs = append(registerIDs, p.RegisterID)
			if p.TokenID != nil {
				tokenIDs = append(tokenIDs, *p.TokenID)
			}
			if p.Void != nil && p.Void.TokenID != nil {
				tokenIDs = append(tokenIDs, *p.Void.TokenID)
			}
		}
		if sale.Void != nil && sale.Void.TokenID != nil {
			tokenIDs = append(tokenIDs, *sale.Void.TokenID)
		}
		for _, r := range sale.Returns {
			registerIDs = append(registerIDs, r.RegisterID)
			if r.TokenID != nil {
				tokenIDs = append(tokenIDs, *r.TokenID)
			}
		}
	}
	outlets, err := inventory.Store{}.OutletsByID(ctx, q, outletIDs)
	if err != nil {
		return err
	}
	byID := make(map[int64]inventory.Outlet, len(outlets))
	for _, o := range outlets {
		byID[o.ID] = o
	}
	registers, err := s.Names(ctx, q, registerIDs)
	if err != nil {
		return err
	}
	tokens, err := staff.Store{}.Names(ctx, q, tokenIDs)
	if err != nil {
		return err
	}
	for i := range ss {
		sale := &ss[i]
		sale.OutletName, sale.OutletTZ = byID[sale.OutletID].Name, byID[sale.OutletID].Timezone
		sale.RegisterName = registers[sale.RegisterID]
		for j := range sale.Payments {
			p := &sale.Payments[j]
			p.RegisterName, p.TokenName = registers[p.RegisterID], staff.NameOf(tokens, p.TokenID)
			if p.Void != nil {
				p.Void.TokenName = staff.NameOf(tokens, p.Void.TokenID)
			}
		}
		if sale.Void != nil {
			sale.Void.TokenName = staff.NameOf(tokens, sale.Void.TokenID)
		}
		for j := range sale.Returns {
			r := &sale.Returns[j]
			r.RegisterName, r.TokenName = registers[r.RegisterID], staff.NameOf(tokens, r.TokenID)
		}
	}
	return nil
}

// NameReturn fills in the names of a return's register and API token, and gives the time
// zone of its outlet.
func (s Store) NameReturn(ctx context.Context, q pg.Queryer, r *sales.Return) (tz string, err error) {
	one := []sales.Sale{{OutletID: r.OutletID, RegisterID: r.RegisterID, Returns: []sales.Return{*r}}}
	if err := s.NameSales(ctx, q, one); err != nil {
		return "", err
	}
	*r = one[0].Returns[0]
	return one[0].OutletTZ, nil
}

// NameSale is NameSales for one sale.
func (s Store) NameSale(ctx context.Context, q pg.Queryer, sale *sales.Sale) error {
	one := []sales.Sale{*sale}
	if err := s.NameSales(ctx, q, one); err != nil {
		return err
	}
	*sale = one[0]
	return nil
}
