package shopifyapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	goshopify "github.com/bold-commerce/go-shopify/v4"
)

// ErrUnauthorized is returned (wrapped) when Shopify refuses the credentials (401 or 403):
// the access token was revoked, as when the app is uninstalled from the shop.
var ErrUnauthorized = errors.New("shopify refused the credentials")

// ShopInfo is the shop resource (shop.json), as far as kassa reads it.
type ShopInfo struct {
	ID              int64
	Name            string
	Domain          string
	MyshopifyDomain string
}

// GetShop fetches the shop resource. It is the cheapest call that proves the credentials
// still work: an error wrapping ErrUnauthorized means Shopify refused them.
func (c *Client) GetShop(ctx context.Context) (ShopInfo, error) {
	c.mu.Lock()
	s, err := c.gs.Shop.Get(ctx, nil)
	c.mu.Unlock()
	if err != nil {
		return ShopInfo{}, fmt.Errorf("get shopify shop: %w", classifyAuth(err))
	}
	return ShopInfo{ID: int64(s.Id), Name: s.Name, Domain: s.Domain, MyshopifyDomain: s.MyshopifyDomain}, nil
}

// unauthorizedError keeps go-shopify's error text while matching ErrUnauthorized.
type unauthorizedError struct{ err error }

func (e unauthorizedError) Error() string   { return e.err.Error() }
func (e unauthorizedError) Unwrap() []error { return []error{ErrUnauthorized, e.err} }

// classifyAuth marks Shopify's 401 and 403 as ErrUnauthorized, whether or not the answer's
// body was JSON; other errors are classified as usual.
func classifyAuth(err error) error {
	status := 0
	var re goshopify.ResponseError
	var de goshopify.ResponseDecodingError
	switch {
	case errors.As(err, &re):
		status = re.Status
	case errors.As(err, &de):
		status = de.Status
	}
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return unauthorizedError{err: err}
	}
	return classify(err)
}
