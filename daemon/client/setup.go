package client

import (
	"context"
	"net/http"
)

// RenameRequest gives an outlet or a register a new name.
type RenameRequest struct {
	Name string `json:"name"`
}

// RenameOutlet renames a live outlet (a manager's token).
func (c *Client) RenameOutlet(ctx context.Context, outlet, name string) (Outlet, error) {
	var out Outlet
	return out, c.do(ctx, http.MethodPost, "/outlets/"+seg(outlet)+"/rename", nil, RenameRequest{Name: name}, &out)
}

// ArchiveOutlet archives an outlet that has no live register and no enabled Shopify
// connection (a manager's token).
func (c *Client) ArchiveOutlet(ctx context.Context, outlet string) (Outlet, error) {
	var out Outlet
	return out, c.do(ctx, http.MethodPost, "/outlets/"+seg(outlet)+"/archive", nil, nil, &out)
}

// RenameRegister renames a live register; ref is its id or name ("Front", "Gent/Front")
// (a manager's token).
func (c *Client) RenameRegister(ctx context.Context, ref, name string) (Register, error) {
	var out Register
	return out, c.do(ctx, http.MethodPost, "/registers/"+seg(ref)+"/rename", nil, RenameRequest{Name: name}, &out)
}

// ArchiveRegister archives a register that has no open session and no enabled Shopify
// connection; ref is its id or name (a manager's token).
func (c *Client) ArchiveRegister(ctx context.Context, ref string) (Register, error) {
	var out Register
	return out, c.do(ctx, http.MethodPost, "/registers/"+seg(ref)+"/archive", nil, nil, &out)
}
