package sales

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
)

// CustomerRef is a customer as an order of another channel names it.
type CustomerRef struct {
	// Customer is who the order names. Without an e-mail address the customer is found by
	// ExternalID alone.
	Customer Customer
	// ExternalID is the channel's id of the customer, 0 when unknown.
	ExternalID int64
	// ID, when not 0, is the customer the caller already resolved (earlier in the same
	// import): it is not saved again.
	ID int64
	// Linked says that ExternalID is already remembered for the customer.
	Linked bool
}

// ResolveCustomers finds or makes the customer of every ref and remembers the channel's
// customer ids, set-based: one statement saves the customers with an e-mail address
// (found whatever its case; details they lack are filled in, as UpsertCustomer does), one
// looks up those without by the id remembered for them in the channel's shop, one makes
// the ones not found, and one remembers the new ids (a customer id of the channel stays
// with the first customer it was remembered for). When several refs name one customer,
// the first one's details count. It returns the customer ids in the refs' order.
func (st Store) ResolveCustomers(ctx context.Context, q pg.Queryer, channel, shop string, refs []CustomerRef) ([]int64, error) {
	out := make([]int64, len(refs))
	// 1. By e-mail.
	byEmail := map[string]Customer{}
	for i, r := range refs {
		switch {
		case r.ID != 0:
			out[i] = r.ID
		case strings.TrimSpace(r.Customer.Email) != "":
			k := strings.ToLower(strings.TrimSpace(r.Customer.Email))
			if _, ok := byEmail[k]; !ok {
				byEmail[k] = r.Customer
			}
		case r.ExternalID == 0:
			return nil, fmt.Errorf("customer %q has neither an e-mail address nor a %s id", r.Customer.Name(), channel)
		}
	}
	if len(byEmail) > 0 {
		upserts := make([]Customer, 0, len(byEmail))
		for _, k := range sortedKeys(byEmail) {
			upserts = append(upserts, byEmail[k])
		}
		stored, err := st.UpsertCustomers(ctx, q, upserts)
		if err != nil {
			return nil, err
		}
		for i, r := range refs {
			if out[i] != 0 || strings.TrimSpace(r.Customer.Email) == "" {
				continue
			}
			c, ok := stored[strings.ToLower(strings.TrimSpace(r.Customer.Email))]
			if !ok {
				return nil, fmt.Errorf("customer %q was not saved", r.Customer.Email)
			}
			out[i] = c.ID
		}
	}
	// 2. Without e-mail: by the remembered id, else a new customer.
	noEmail := map[int64]Customer{}
	for i, r := range refs {
		if out[i] == 0 {
			if _, ok := noEmail[r.ExternalID]; !ok {
				noEmail[r.ExternalID] = r.Customer
			}
		}
	}
	if len(noEmail) > 0 {
		found, err := st.customersByExternal(ctx, q, channel, shop, sortedKeys(noEmail))
		if err != nil {
			return nil, err
		}
		var missing []int64
		for _, x := range sortedKeys(noEmail) {
			if _, ok := found[x]; !ok {
				missing = append(missing, x)
			}
		}
		if len(missing) > 0 {
			made := make([]Customer, len(missing))
			for i, x := range missing {
				made[i] = noEmail[x]
			}
			ids, err := st.makeCustomersWithoutEmail(ctx, q, made)
			if err != nil {
				return nil, err
			}
			for i, x := range missing {
				found[x] = ids[i]
			}
		}
		for i, r := range refs {
			if out[i] == 0 {
				out[i] = found[r.ExternalID]
			}
		}
	}
	// 3. Remember the channel's ids.
	var linkC, linkX []int64
	linking := map[int64]bool{}
	for i, r := range refs {
		if r.ExternalID != 0 && !r.Linked && !linking[r.ExternalID] {
			linking[r.ExternalID] = true
			linkC, linkX = append(linkC, out[i]), append(linkX, r.ExternalID)
		}
	}
	if err := st.LinkCustomers(ctx, q, channel, shop, linkC, linkX); err != nil {
		return nil, err
	}
	return out, nil
}

// customersByExternal returns the customers remembered for a channel's customer ids, by
// those ids.
func (Store) customersByExternal(ctx context.Context, q pg.Queryer, channel, shop string, ids []int64) (map[int64]int64, error) {
	var rows []struct {
		ExternalID int64 `db:"external_id"`
		CustomerID int64 `db:"customer_id"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT external_id, customer_id FROM customer_external_ids
		WHERE channel = $1 AND shop = $2 AND external_id = ANY($3::bigint[])`, channel, shop, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("look up %s customers: %w", channel, err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.ExternalID] = r.CustomerID
	}
	return out, nil
}

// makeCustomersWithoutEmail makes a customer (without e-mail address) of each of cs, in one
// statement, and returns their ids in order.
func (Store) makeCustomersWithoutEmail(ctx context.Context, q pg.Queryer, cs []Customer) ([]int64, error) {
	cols := make([][]string, 10)
	for i := range cols {
		cols[i] = make([]string, len(cs))
	}
	for i, c := range cs {
		for j, v := range []string{c.FirstName, c.LastName, c.Phone, c.Company, c.Address1, c.Address2, c.City, c.Zip, c.Province, c.Country} {
			cols[j][i] = v
		}
	}
	args := make([]any, len(cols))
	for i := range cols {
		args[i] = pq.Array(cols[i])
	}
	var ids []int64
	// Such customers have no key to find them again by: their ids are drawn first, each
	// paired with its customer's position.
	err := sqlx.SelectContext(ctx, q, &ids, `
		WITH x AS (
			SELECT nextval(pg_get_serial_sequence('customers', 'id')) AS id, x.*
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS x(fn, ln, ph, co, a1, a2, ci, zi, pr, cn, k)
		), made AS (
			INSERT INTO customers (id, email, first_name, last_name, phone, company, address1, address2, city, zip, province, country)
			SELECT id, '', fn, ln, ph, co, a1, a2, ci, zi, pr, cn FROM x
		)
		SELECT id FROM x ORDER BY k`, args...)
	if err != nil {
		return nil, fmt.Errorf("save customers: %w", err)
	}
	if len(ids) != len(cs) {
		return nil, fmt.Errorf("save customers: %d saved of %d", len(ids), len(cs))
	}
	return ids, nil
}

// SalesByExternal returns the sales recorded for a channel's orders, by order id; orders
// that are no sale are left out.
func (Store) SalesByExternal(ctx context.Context, q pg.Queryer, channel, shop string, orderIDs []int64) (map[int64]int64, error) {
	var rows []struct {
		OrderID int64 `db:"external_id"`
		SaleID  int64 `db:"sale_id"`
	}
	// One index probe per order, whatever the planner believes of the table's size: with
	// statistics from when it was small (an import outruns autovacuum) it would otherwise
	// read every order of the shop for each page.
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT k.id AS external_id, x.sale_id
		FROM unnest($3::bigint[]) AS k(id)
		CROSS JOIN LATERAL (
			SELECT sale_id FROM sale_external_ids x WHERE x.channel = $1 AND x.shop = $2 AND x.external_id = k.id LIMIT 1) x`,
		channel, shop, pq.Array(orderIDs))
	if err != nil {
		return nil, fmt.Errorf("look up imported orders: %w", err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.OrderID] = r.SaleID
	}
	return out, nil
}

// sortedKeys returns a map's keys in order, for deterministic statements (and lock order).
func sortedKeys[K int64 | string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
