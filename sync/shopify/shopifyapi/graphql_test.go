package shopifyapi_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

const (
	clientID     = "kassa-test-client-id"
	clientSecret = "shpss_kassa-test-client-secret"
)

// TestQueriesValidateAgainstTheSchema checks every GraphQL document kassa sends against
// the simulator's subset of Shopify's Admin schema: a field, argument or type kassa gets
// wrong fails here, not at a shop.
func TestQueriesValidateAgainstTheSchema(t *testing.T) {
	t.Parallel()
	docs := shopifyapi.Queries()
	for _, name := range []string{"shop", "webhook_subscriptions", "webhook_subscription_create", "webhook_subscription_delete"} {
		if _, ok := docs[name]; !ok {
			t.Errorf("no document %s", name)
		}
	}
	for name, doc := range docs {
		if err := shopifysim.ValidateQuery(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The check itself refuses what Shopify would.
	if err := shopifysim.ValidateQuery(`{ shop { name currency } }`); err == nil {
		t.Fatal("a field the schema does not have was validated")
	}
}

// grantSource is a TokenSource that asks the simulator's token endpoint, counting renewals.
type grantSource struct {
	cfg      shopifyapi.Config
	mu       sync.Mutex
	current  string
	renewals atomic.Int64
}

func (g *grantSource) Token(ctx context.Context) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.current == "" {
		gr, err := shopifyapi.RequestToken(ctx, g.cfg, shopifyapi.Credentials{ClientID: clientID, ClientSecret: clientSecret})
		if err != nil {
			return "", err
		}
		g.current = gr.AccessToken
	}
	return g.current, nil
}

func (g *grantSource) Renew(ctx context.Context, rejected string) (string, error) {
	g.renewals.Add(1)
	g.mu.Lock()
	if g.current == rejected {
		g.current = ""
	}
	g.mu.Unlock()
	return g.Token(ctx)
}

func newCCSim(t *testing.T, opts shopifysim.Options) *shopifysim.Server {
	opts.ClientID, opts.Secret = clientID, clientSecret
	return newSim(t, opts)
}

func newCCClient(t *testing.T, s *shopifysim.Server, obs shopifyapi.Observer) (*shopifyapi.Client, *grantSource) {
	t.Helper()
	src := &grantSource{cfg: shopifyapi.Config{Shop: s.Shop, BaseURL: s.URL}}
	c := newSimClient(t, s, obs, func(cfg *shopifyapi.Config) { cfg.AccessToken, cfg.Tokens = "", src })
	return c, src
}

func TestShopDetailsWithAClientCredentialsToken(t *testing.T) {
	t.Parallel()
	s := newCCSim(t, shopifysim.Options{Scopes: []string{"read_orders", "write_inventory"}, Plan: shopifysim.PlanPlus})
	c, _ := newCCClient(t, s, nil)
	d, err := c.ShopDetails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.MyshopifyDomain != s.Shop || d.CurrencyCode != "EUR" || d.IANATimezone != "Europe/Brussels" || d.Plan != "Plus" || !d.ShopifyPlus ||
		strings.Join(d.Scopes, ",") != "read_orders,write_inventory" {
		t.Fatalf("details %+v", d)
	}
	if !shopifyapi.HasScope(d.Scopes, "read_inventory") || shopifyapi.HasScope(d.Scopes, "read_products") {
		t.Fatal("HasScope: write_inventory holds read_inventory, and nothing holds read_products")
	}
	// The token went in the header of each request, never in go-shopify's client, and
	// the token request never put the secret in the URL.
	if s.TokenGrants() != 1 {
		t.Fatalf("%d grants", s.TokenGrants())
	}
	for _, r := range s.Requests() {
		if strings.Contains(r.Query, clientSecret) || strings.Contains(r.Path, clientSecret) {
			t.Fatalf("the secret is in a URL: %+v", r)
		}
	}
	if calls := c.Calls(); calls.LastSuccess.IsZero() || calls.ServedVersion != shopifyapi.DefaultAPIVersion {
		t.Fatalf("calls %+v", calls)
	}
}

func TestTokenRequestRefusals(t *testing.T) {
	t.Parallel()
	s := newCCSim(t, shopifysim.Options{})
	cfg := shopifyapi.Config{Shop: s.Shop, BaseURL: s.URL}
	ctx := context.Background()
	if _, err := shopifyapi.RequestToken(ctx, cfg, shopifyapi.Credentials{ClientID: clientID, ClientSecret: "wrong"}); !errors.Is(err, shopifyapi.ErrInvalidClient) {
		t.Fatalf("wrong secret: %v", err)
	}
	for code, sentinel := range map[string]error{
		shopifysim.RefuseShopNotPermitted: shopifyapi.ErrShopNotPermitted,
		shopifysim.RefuseAppNotInstalled:  shopifyapi.ErrAppNotInstalled,
	} {
		if err := s.SetTokenRefusal(code); err != nil {
			t.Fatal(err)
		}
		_, err := shopifyapi.RequestToken(ctx, cfg, shopifyapi.Credentials{ClientID: clientID, ClientSecret: clientSecret})
		var oe *shopifyapi.OAuthError
		if !errors.Is(err, sentinel) || !errors.As(err, &oe) || oe.Status != 400 || strings.Contains(err.Error(), clientSecret) {
			t.Errorf("%s: %v", code, err)
		}
	}
	_ = s.SetTokenRefusal("")
	g, err := shopifyapi.RequestToken(ctx, cfg, shopifyapi.Credentials{ClientID: clientID, ClientSecret: clientSecret})
	if err != nil || g.ExpiresIn != 86399*time.Second || !strings.HasPrefix(g.AccessToken, "shpat_") {
		t.Fatalf("grant %+v %v", g, err)
	}
}

func TestA401RenewsOnceAndASecond401Fails(t *testing.T) {
	t.Parallel()
	s := newCCSim(t, shopifysim.Options{})
	c, src := newCCClient(t, s, nil)
	ctx := context.Background()
	if _, err := c.ShopDetails(ctx); err != nil {
		t.Fatal(err)
	}
	// Shopify stops taking the token (revoked, expired early): the client renews it once
	// and the query goes through.
	s.RevokeTokens()
	if _, err := c.ShopDetails(ctx); err != nil {
		t.Fatalf("after a revocation: %v", err)
	}
	if src.renewals.Load() != 1 || s.TokenGrants() != 2 {
		t.Fatalf("%d renewals, %d grants", src.renewals.Load(), s.TokenGrants())
	}
	// REST answers are renewed the same way.
	s.RevokeTokens()
	if _, err := c.CountOrders(ctx, shopifyapi.ListOptions{}); err != nil {
		t.Fatalf("REST after a revocation: %v", err)
	}
	// Shopify refuses the new token too: the call fails, once renewed, with what to do.
	s.RefuseAllTokens(true)
	_, err := c.ShopDetails(ctx)
	var ae *shopifyapi.AuthError
	if !errors.Is(err, shopifyapi.ErrUnauthorized) || !errors.As(err, &ae) || src.renewals.Load() != 3 ||
		!strings.Contains(err.Error(), "and the new one it had just issued as well: check in the Dev Dashboard") ||
		strings.Contains(err.Error(), "https://") {
		t.Fatalf("second 401: %v (%d renewals)", err, src.renewals.Load())
	}
	// A legacy token is not renewed: the 401 stays a 401.
	legacy := newSim(t, shopifysim.Options{})
	lc := newSimClient(t, legacy, nil, nil)
	legacy.Uninstall()
	if _, err := lc.ShopDetails(ctx); !errors.Is(err, shopifyapi.ErrUnauthorized) {
		t.Fatalf("legacy token after uninstall: %v", err)
	}
}

func TestMutationUserErrorsCarryShopifysMessage(t *testing.T) {
	t.Parallel()
	s := newCCSim(t, shopifysim.Options{})
	c, _ := newCCClient(t, s, nil)
	ctx := context.Background()
	sub, err := c.CreateWebhookSubscription(ctx, "orders/create", "https://kassa.example/webhooks/shopify")
	if err != nil || sub.Topic != "orders/create" || !strings.HasPrefix(sub.ID, "gid://shopify/WebhookSubscription/") {
		t.Fatalf("create: %+v %v", sub, err)
	}
	_, err = c.CreateWebhookSubscription(ctx, "orders/create", "https://kassa.example/webhooks/shopify")
	var ue *shopifyapi.UserErrors
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "Shopify refused webhookSubscriptionCreate: Address for this topic has already been taken") {
		t.Fatalf("duplicate: %v", err)
	}
	subs, err := c.WebhookSubscriptions(ctx)
	if err != nil || len(subs) != 1 || subs[0].URI != "https://kassa.example/webhooks/shopify" || subs[0].APIVersion == "" {
		t.Fatalf("list: %+v %v", subs, err)
	}
	if err := c.DeleteWebhookSubscription(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhookSubscription(ctx, sub.ID); !errors.As(err, &ue) || !strings.Contains(err.Error(), "Webhook subscription does not exist") {
		t.Fatalf("second delete: %v", err)
	}
	if shopifyapi.TopicOfEnum("BULK_OPERATIONS_FINISH") != "bulk_operations/finish" || shopifyapi.TopicEnum("app/uninstalled") != "APP_UNINSTALLED" {
		t.Fatal("topic enums")
	}
}

func TestGraphQLPacedOnQueryCost(t *testing.T) {
	t.Parallel()
	// A bucket of 10 points restoring 40 per second; the shop query costs 4: queries in a
	// row must wait for points, and kassa waits before Shopify has to throttle.
	s := newCCSim(t, shopifysim.Options{Plan: shopifysim.PlanOff.WithGraphQL(10, 40)})
	var obs shopifyapi.Counters
	c, _ := newCCClient(t, s, &obs)
	ctx := context.Background()
	for i := range 12 {
		if _, err := c.ShopDetails(ctx); err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
	}
	got := obs.Snapshot()
	if got.Paced == 0 {
		t.Fatalf("never paced: %+v", got)
	}
	// Shopify may still throttle once in a while (its bucket and kassa's estimate are read
	// at different moments), but pacing keeps that rare.
	if s.Throttled() > 3 {
		t.Fatalf("%d THROTTLED answers despite pacing (%+v)", s.Throttled(), got)
	}
}

// throttleSignal is an Observer that closes a channel at the first THROTTLED wait.
type throttleSignal struct {
	shopifyapi.Counters
	once sync.Once
	ch   chan time.Duration
}

func (o *throttleSignal) ObserveThrottled(shop string, wait time.Duration) {
	o.Counters.ObserveThrottled(shop, wait)
	o.once.Do(func() { o.ch <- wait })
}

func TestThrottledWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	// Points come back at 1 per 100 seconds: after the first query the bucket cannot pay
	// for the second for minutes.
	s := newCCSim(t, shopifysim.Options{Plan: shopifysim.PlanOff.WithGraphQL(6, 0.01)})
	obs := &throttleSignal{ch: make(chan time.Duration, 1)}
	c, _ := newCCClient(t, s, obs)
	if _, err := c.ShopDetails(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// A fresh query text: the pacer does not know its cost, so Shopify throttles it.
		_, err := c.Query(ctx, `query again { shop { name } currentAppInstallation { accessScopes { handle } } }`, nil, new(struct{}))
		done <- err
	}()
	wait := <-obs.ch
	if wait < time.Minute {
		t.Fatalf("throttled wait %s: want the time the bucket needs", wait)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}

func TestGraphQLErrorsAndServedVersion(t *testing.T) {
	t.Parallel()
	s := newCCSim(t, shopifysim.Options{ServeVersion: "2026-07"})
	c, _ := newCCClient(t, s, nil)
	ctx := context.Background()
	var out struct{}
	_, err := c.Query(ctx, `{ shop { name } webhookSubscriptions(first: 250) { nodes { id apiVersion { handle } } edges { node { apiVersion { handle } } } } }`, nil, &out)
	var ge *shopifyapi.GraphQLError
	if !errors.As(err, &ge) || !strings.Contains(err.Error(), "which exceeds the single query max cost limit (1000)") {
		t.Fatalf("over the cost limit: %v", err)
	}
	if calls := c.Calls(); calls.APIVersion != "2026-10" || calls.ServedVersion != "2026-07" {
		t.Fatalf("calls %+v", calls)
	}
}
