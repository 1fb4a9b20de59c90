package shopifyapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// TestGetShopTellsARevokedTokenApart reads the shop while the app is installed, and
// reports ErrUnauthorized once it is uninstalled (and for a 403, or a 401 that is not
// JSON), but not for other failures.
func TestGetShopTellsARevokedTokenApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := newSim(t, shopifysim.Options{Shop: "probe.myshopify.com"})
	c := newSimClient(t, sim, nil, nil)
	shop, err := c.GetShop(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if shop.MyshopifyDomain != "probe.myshopify.com" || shop.ID == 0 {
		t.Fatalf("shop %+v", shop)
	}
	sim.Uninstall()
	if _, err := c.GetShop(ctx); !errors.Is(err, shopifyapi.ErrUnauthorized) {
		t.Fatalf("after the uninstall: %v, want ErrUnauthorized", err)
	}

	for _, c := range []struct {
		status       int
		body         string
		unauthorized bool
	}{
		{http.StatusForbidden, `{"errors":"[API] This action requires merchant approval for read_shop scope."}`, true},
		{http.StatusUnauthorized, `<html>401</html>`, true},
		{http.StatusNotFound, `{"errors":"Not Found"}`, false},
		{http.StatusPaymentRequired, `{"errors":"Unavailable Shop"}`, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(c.status)
			w.Write([]byte(c.body))
		}))
		log := zerolog.Nop()
		client, err := shopifyapi.New(shopifyapi.Config{Shop: "probe", AccessToken: "t", BaseURL: srv.URL, Logger: &log})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.GetShop(ctx)
		if err == nil || errors.Is(err, shopifyapi.ErrUnauthorized) != c.unauthorized {
			t.Errorf("%d %s: %v, unauthorized want %v", c.status, c.body, err, c.unauthorized)
		}
		client.Close()
		srv.Close()
	}
}
