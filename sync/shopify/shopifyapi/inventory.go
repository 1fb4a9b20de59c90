package shopifyapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Location is a place where the shop keeps stock.
type Location struct {
	ID      int64
	Name    string
	Active  bool
	Address string
	// Primary is the shop's primary location, the default of a connection.
	Primary bool
}

// LocationGID is a location's global id.
func LocationGID(id int64) string { return "gid://shopify/Location/" + strconv.FormatInt(id, 10) }

// InventoryItemGID is an inventory item's global id.
func InventoryItemGID(id int64) string {
	return "gid://shopify/InventoryItem/" + strconv.FormatInt(id, 10)
}

// Locations lists the shop's active locations, the primary one marked (needs read_locations).
func (c *Client) Locations(ctx context.Context) ([]Location, error) {
	var out []Location
	vars := map[string]any{"after": nil}
	for {
		var data struct {
			Primary *struct {
				ID string `json:"id"`
			} `json:"primary"`
			Locations struct {
				Nodes []struct {
					ID               string `json:"id"`
					LegacyResourceID string `json:"legacyResourceId"`
					Name             string `json:"name"`
					IsActive         bool   `json:"isActive"`
					Address          struct {
						Formatted []string `json:"formatted"`
					} `json:"address"`
				} `json:"nodes"`
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"locations"`
		}
		if _, err := c.Query(ctx, document("locations"), vars, &data); err != nil {
			return nil, fmt.Errorf("list the locations of %s: %w", c.shop, err)
		}
		for _, n := range data.Locations.Nodes {
			id, _ := strconv.ParseInt(n.LegacyResourceID, 10, 64)
			var addr []string
			for _, a := range n.Address.Formatted {
				if a = strings.TrimSpace(a); a != "" {
					addr = append(addr, a)
				}
			}
			out = append(out, Location{ID: id, Name: n.Name, Active: n.IsActive, Address: strings.Join(addr, ", "),
				Primary: data.Primary != nil && data.Primary.ID == n.ID})
		}
		if !data.Locations.PageInfo.HasNextPage || data.Locations.PageInfo.EndCursor == "" {
			return out, nil
		}
		vars["after"] = data.Locations.PageInfo.EndCursor
	}
}

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

// CatalogueVariant is a variant as the catalogue pull reads it, with its available quantity
// at the connection's location.
type CatalogueVariant struct {
	VariantID, ProductID, InventoryItemID int64
	ProductTitle, VariantTitle            string
	SKU, Barcode                          string
	Price                                 decimal.Decimal
	// Status is the product's: ACTIVE, DRAFT or ARCHIVED.
	Status   string
	Tracked  bool
	GiftCard bool
	// Available is the item's available quantity at the location; nil when the item is not
	// stocked there.
	Available *int
}

type quantitiesNode struct {
	Quantities []struct {
		Name     string `json:"name"`
		Quantity int    `json:"quantity"`
	} `json:"quantities"`
}

func (l *quantitiesNode) available() *int {
	if l == nil {
		return nil
	}
	for _, q := range l.Quantities {
		if q.Name == "available" {
			n := q.Quantity
			return &n
		}
	}
	return nil
}

// Catalogue reads the shop's variants page by page (100 a page, paced on the query cost)
// with their available quantities at a location, and hands each page to fn.
func (c *Client) Catalogue(ctx context.Context, locationID int64, fn func([]CatalogueVariant) error) error {
	vars := map[string]any{"after": nil, "location": LocationGID(locationID)}
	for {
		var data struct {
			Variants struct {
				Nodes []struct {
					LegacyResourceID string  `json:"legacyResourceId"`
					Title            string  `json:"title"`
					SKU              *string `json:"sku"`
					Barcode          *string `json:"barcode"`
					Price            string  `json:"price"`
					Product          struct {
						LegacyResourceID string `json:"legacyResourceId"`
						Title            string `json:"title"`
						Status           string `json:"status"`
						IsGiftCard       bool   `json:"isGiftCard"`
					} `json:"product"`
					InventoryItem struct {
						LegacyResourceID string          `json:"legacyResourceId"`
						Tracked          bool            `json:"tracked"`
						InventoryLevel   *quantitiesNode `json:"inventoryLevel"`
					} `json:"inventoryItem"`
				} `json:"nodes"`
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"productVariants"`
		}
		if _, err := c.Query(ctx, document("catalogue"), vars, &data); err != nil {
			return fmt.Errorf("read the catalogue of %s: %w", c.shop, err)
		}
		page := make([]CatalogueVariant, 0, len(data.Variants.Nodes))
		for _, n := range data.Variants.Nodes {
			v := CatalogueVariant{
				ProductTitle: n.Product.Title, VariantTitle: n.Title, Status: n.Product.Status, GiftCard: n.Product.IsGiftCard,
				Tracked: n.InventoryItem.Tracked, Available: n.InventoryItem.InventoryLevel.available(),
			}
			v.VariantID, _ = strconv.ParseInt(n.LegacyResourceID, 10, 64)
			v.ProductID, _ = strconv.ParseInt(n.Product.LegacyResourceID, 10, 64)
			v.InventoryItemID, _ = strconv.ParseInt(n.InventoryItem.LegacyResourceID, 10, 64)
			if n.SKU != nil {
				v.SKU = strings.TrimSpace(*n.SKU)
			}
			if n.Barcode != nil {
				v.Barcode = strings.TrimSpace(*n.Barcode)
			}
			price, err := decimal.NewFromString(n.Price)
			if err != nil || v.VariantID == 0 || v.InventoryItemID == 0 {
				return fmt.Errorf("read the catalogue of %s: variant %q has no id or a price that is not a number (%q)", c.shop, CleanText(n.LegacyResourceID), CleanText(n.Price))
			}
			v.Price = price
			page = append(page, v)
		}
		if err := fn(page); err != nil {
			return err
		}
		if !data.Variants.PageInfo.HasNextPage || data.Variants.PageInfo.EndCursor == "" {
			return nil
		}
		vars["after"] = data.Variants.PageInfo.EndCursor
	}
}

// AvailableBatch is how many items AvailableAt reads with one query.
const AvailableBatch = 100

// AvailableAt reads the available quantity of inventory items at a location, AvailableBatch
// items a query. Items not stocked there (or unknown) are left out of the map.
func (c *Client) AvailableAt(ctx context.Context, locationID int64, items []int64) (map[int64]int, error) {
	out := make(map[int64]int, len(items))
	for start := 0; start < len(items); start += AvailableBatch {
		batch := items[start:min(start+AvailableBatch, len(items))]
		terms := make([]string, len(batch))
		for i, id := range batch {
			terms[i] = "id:" + strconv.FormatInt(id, 10)
		}
		var data struct {
			Items struct {
				Nodes []struct {
					LegacyResourceID string          `json:"legacyResourceId"`
					InventoryLevel   *quantitiesNode `json:"inventoryLevel"`
				} `json:"nodes"`
			} `json:"inventoryItems"`
		}
		vars := map[string]any{"query": strings.Join(terms, " OR "), "first": len(batch), "location": LocationGID(locationID)}
		if _, err := c.Query(ctx, document("available"), vars, &data); err != nil {
			return nil, fmt.Errorf("read the stock of %s: %w", c.shop, err)
		}
		for _, n := range data.Items.Nodes {
			id, _ := strconv.ParseInt(n.LegacyResourceID, 10, 64)
			if a := n.InventoryLevel.available(); a != nil {
				out[id] = *a
			}
		}
	}
	return out, nil
}

// SetQuantity is one available quantity to set: the item's new quantity and the quantity
// kassa last saw in Shopify (nil: none, the set is not compared).
type SetQuantity struct {
	InventoryItemID int64
	Quantity        int
	ChangeFrom      *int
}

// InventoryErrors is an inventorySetQuantities Shopify refused; Stale lists the items whose
// changeFromQuantity no longer matched (CHANGE_FROM_QUANTITY_STALE).
type InventoryErrors struct {
	Stale  []int64
	Errors []InventoryUserError
}

// InventoryUserError is one of inventorySetQuantities' userErrors.
type InventoryUserError struct {
	Code    string   `json:"code"`
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

func (e *InventoryErrors) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, u := range e.Errors {
		m := CleanText(u.Message)
		if u.Code != "" {
			m = u.Code + ": " + m
		}
		msgs = append(msgs, m)
	}
	return "Shopify refused inventorySetQuantities: " + strings.Join(msgs, "; ")
}

// OnlyStale reports whether every error was a stale changeFromQuantity.
func (e *InventoryErrors) OnlyStale() bool {
	for _, u := range e.Errors {
		if u.Code != "CHANGE_FROM_QUANTITY_STALE" {
			return false
		}
	}
	return len(e.Errors) > 0
}

// SetAvailable sets available quantities at a location with one inventorySetQuantities,
// sent with the idempotency key (a retry with the same key and input is answered with the
// first result). reason is one of Shopify's (correction, ...), reference a URI naming why
// (gid://kassa/StockMovement/12). A refusal comes back as *InventoryErrors; Shopify applies
// all the quantities or none.
func (c *Client) SetAvailable(ctx context.Context, locationID int64, reason, reference, key string, qs []SetQuantity) error {
	if len(qs) == 0 {
		return nil
	}
	quantities := make([]any, len(qs))
	for i, q := range qs {
		var from any
		if q.ChangeFrom != nil {
			from = *q.ChangeFrom
		}
		quantities[i] = map[string]any{
			"inventoryItemId": InventoryItemGID(q.InventoryItemID), "locationId": LocationGID(locationID),
			"quantity": q.Quantity, "changeFromQuantity": from,
		}
	}
	input := map[string]any{"name": "available", "reason": reason, "quantities": quantities}
	if reference != "" {
		input["referenceDocumentUri"] = reference
	}
	var data struct {
		Set *struct {
			Group *struct {
				ID string `json:"id"`
			} `json:"inventoryAdjustmentGroup"`
			UserErrors []InventoryUserError `json:"userErrors"`
		} `json:"inventorySetQuantities"`
	}
	if _, err := c.Query(ctx, document("inventory_set_available"), map[string]any{"input": input, "key": key}, &data); err != nil {
		return fmt.Errorf("set the stock of %s: %w", c.shop, err)
	}
	if data.Set == nil {
		return fmt.Errorf("set the stock of %s: %w", c.shop, errors.New("Shopify answered without a payload"))
	}
	if len(data.Set.UserErrors) > 0 {
		ie := &InventoryErrors{Errors: data.Set.UserErrors}
		for _, u := range data.Set.UserErrors {
			if u.Code == "CHANGE_FROM_QUANTITY_STALE" && len(u.Field) >= 3 {
				if i, err := strconv.Atoi(u.Field[2]); err == nil && i >= 0 && i < len(qs) {
					ie.Stale = append(ie.Stale, qs[i].InventoryItemID)
				}
			}
		}
		return ie
	}
	return nil
}
