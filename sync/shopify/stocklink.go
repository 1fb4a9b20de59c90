package shopify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// ScopeReadLocations lets kassa list the shop's locations and name the one that mirrors
// the outlet.
const ScopeReadLocations = "read_locations"

// ErrNoLocation is a connection that names no Shopify location: its stock is not pushed.
var ErrNoLocation = errors.New("the connection names no Shopify location: name the one that mirrors the outlet with 'kassa shopify set --location NAME'")

// ResolveLocation picks the location typed names among the shop's: "" is the primary
// location, digits a location's id, anything else its name (whatever the case). A name two
// locations share must be given as an id.
func ResolveLocation(locs []shopifyapi.Location, typed string) (shopifyapi.Location, error) {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		for _, l := range locs {
			if l.Primary {
				return l, nil
			}
		}
		if len(locs) == 1 {
			return locs[0], nil
		}
		return shopifyapi.Location{}, errors.New("Shopify named no primary location: give one with --location NAME (see 'kassa shopify locations')")
	}
	if id, err := strconv.ParseInt(strings.TrimPrefix(typed, "gid://shopify/Location/"), 10, 64); err == nil {
		for _, l := range locs {
			if l.ID == id {
				return l, nil
			}
		}
		return shopifyapi.Location{}, fmt.Errorf("the shop has no location %d: see 'kassa shopify locations'", id)
	}
	var found []shopifyapi.Location
	for _, l := range locs {
		if strings.EqualFold(strings.TrimSpace(l.Name), typed) {
			found = append(found, l)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return shopifyapi.Location{}, fmt.Errorf("the shop has no location %q: see 'kassa shopify locations'", typed)
	}
	ids := make([]string, len(found))
	for i, l := range found {
		ids[i] = strconv.FormatInt(l.ID, 10)
	}
	return shopifyapi.Location{}, fmt.Errorf("%d locations are called %q (ids %s): give the id with --location", len(found), typed, strings.Join(ids, ", "))
}

// locationID is the location to store: nil keeps the connection's.
func (p ConnectParams) locationID() any {
	if p.LocationID == 0 {
		return nil
	}
	return p.LocationID
}

// relocate moves the connection's linked items to its location and outlet when either
// changed (inside Connect's or SetLocation's transaction): what Shopify holds at the new
// location is unknown, so every item is queued to be set to the outlet's level.
func relocate(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var c struct {
		Shop       string `db:"shop"`
		OutletID   int64  `db:"outlet_id"`
		LocationID *int64 `db:"location_id"`
	}
	if err := sqlx.GetContext(ctx, tx, &c, `SELECT shop, outlet_id, location_id FROM shopify_connections WHERE id = $1`, id); err != nil {
		return fmt.Errorf("load Shopify connection %d: %w", id, err)
	}
	if c.LocationID == nil {
		return nil
	}
	_, err := inventory.Store{}.RelocateChannelItems(ctx, tx, Channel, c.Shop, c.OutletID, *c.LocationID)
	return err
}

// Locations lists a connection's shop's locations.
func (st ConnectionStore) Locations(ctx context.Context, conn Connection, o ClientOptions) ([]shopifyapi.Location, error) {
	cl, err := st.OpenClient(conn, o)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	locs, err := cl.Locations(ctx)
	if err != nil {
		return nil, locationsRefused(conn.Shop, err)
	}
	return locs, nil
}

// locationsRefused says what a failed locations query means for the owner.
func locationsRefused(shop string, err error) error {
	var ge *shopifyapi.GraphQLError
	if errors.As(err, &ge) && strings.Contains(strings.Join(ge.Messages, " "), "read_locations") {
		return fmt.Errorf("the app may not read the locations of %s: give it the read_locations access scope in the Dev Dashboard (the app's version, Access scopes), release the version, and connect again", shop)
	}
	return err
}

// SetLocation names the Shopify location that mirrors a connection's outlet (see
// ResolveLocation) and returns it. The linked products are queued so that the new
// location gets the outlet's levels.
func (st ConnectionStore) SetLocation(ctx context.Context, db *sqlx.DB, conn Connection, typed string, o ClientOptions) (shopifyapi.Location, error) {
	locs, err := st.Locations(ctx, conn, o)
	if err != nil {
		return shopifyapi.Location{}, err
	}
	loc, err := ResolveLocation(locs, typed)
	if err != nil {
		return shopifyapi.Location{}, err
	}
	err = pg.InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE shopify_connections SET location_id = $2, location_name = $3, updated_at = now() WHERE id = $1`,
			conn.ID, loc.ID, text.Clean(loc.Name, text.MaxName)); err != nil {
			return fmt.Errorf("set the location of %s: %w", conn.Shop, err)
		}
		return relocate(ctx, tx, conn.ID)
	})
	return loc, err
}
