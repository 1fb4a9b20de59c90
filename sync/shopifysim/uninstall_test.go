package shopifysim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// TestUninstallRevokesTheTokenAndDeliversAppUninstalled uninstalls the app: the real
// client's token is refused with Shopify's 401, app/uninstalled arrives signed with the
// shop resource, and the app's other subscriptions are gone.
func TestUninstallRevokesTheTokenAndDeliversAppUninstalled(t *testing.T) {
	t.Parallel()
	const secret = "hush"
	s := newServer(t, shopifysim.Options{Secret: secret, Shop: "gone.myshopify.com"})
	rcv := newReceiver(t, secret)
	s.Subscribe(shopifysim.TopicAppUninstalled, rcv.URL)
	s.Subscribe(shopifysim.TopicOrdersCreate, rcv.URL)
	c := newClient(t, s)
	ctx := context.Background()

	shop, err := c.Shop.Get(ctx, nil)
	if err != nil {
		t.Fatalf("shop before the uninstall: %v", err)
	}
	if shop.MyshopifyDomain != s.Shop || shop.Id == 0 {
		t.Fatalf("shop.json served %+v", shop)
	}
	if s.Uninstalled() {
		t.Fatal("uninstalled before Uninstall")
	}

	resp, err := http.Post(s.URL+"/_sim/uninstall", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Uninstalled bool `json:"uninstalled"`
		Webhooks    int  `json:"webhooks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /_sim/uninstall: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if !answer.Uninstalled || answer.Webhooks != 1 || !s.Uninstalled() {
		t.Fatalf("uninstall answered %+v", answer)
	}
	if s.Uninstall() != 0 {
		t.Fatal("a second uninstall delivered webhooks again")
	}

	got := rcv.next(t)
	if got.header.Get("X-Shopify-Topic") != shopifysim.TopicAppUninstalled || !got.valid {
		t.Fatalf("delivery %q, signed %v", got.header.Get("X-Shopify-Topic"), got.valid)
	}
	var body struct {
		ID              int64  `json:"id"`
		MyshopifyDomain string `json:"myshopify_domain"`
		Domain          string `json:"domain"`
	}
	if err := json.Unmarshal(got.body, &body); err != nil || body.ID != int64(shop.Id) || body.MyshopifyDomain != s.Shop || body.Domain != s.Shop {
		t.Fatalf("app/uninstalled body %s (%v)", got.body, err)
	}

	_, err = c.Shop.Get(ctx, nil)
	var re goshopify.ResponseError
	if !errors.As(err, &re) || re.Status != http.StatusUnauthorized ||
		re.Message != "[API] Invalid API key or access token (unrecognized login or wrong password)" {
		t.Fatalf("shop after the uninstall: %v", err)
	}
	if _, err := c.Order.Count(ctx, nil); !errors.As(err, &re) || re.Status != http.StatusUnauthorized {
		t.Fatalf("orders after the uninstall: %v", err)
	}
	if subs := s.Webhooks(); len(subs) != 0 {
		t.Fatalf("%d subscriptions left after the uninstall", len(subs))
	}
	if _, err := s.NewOrder(); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(s.WebhookAttempts()); n != 1 {
		t.Fatalf("%d webhook attempts, want only the app/uninstalled one", n)
	}
}
