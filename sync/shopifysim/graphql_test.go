package shopifysim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/kassa-pos/kassa/sync/shopifysim"
)

const (
	testClientID     = "0a1b2c3d4e5f-client"
	testClientSecret = "shpss_test-client-secret"
)

// movingClock is a test clock the test moves forward by hand.
type movingClock struct{ offset atomic.Int64 }

func (c *movingClock) Now() time.Time          { return testNow.Add(time.Duration(c.offset.Load())) }
func (c *movingClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// requestToken asks the simulator's token endpoint for a client-credentials token, with
// a form body as Shopify's documentation shows it.
func requestToken(t *testing.T, s *shopifysim.Server, id, secret string, accept string) (int, string, []byte) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/oauth/access_token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func grantToken(t *testing.T, s *shopifysim.Server) string {
	t.Helper()
	code, _, body := requestToken(t, s, testClientID, testClientSecret, "application/json")
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", code, body)
	}
	return tok.AccessToken
}

// gql posts a GraphQL request with a token and returns the status, the answer and its
// X-Shopify-API-Version.
func gql(t *testing.T, s *shopifysim.Server, version, token, query string, vars map[string]any) (int, map[string]any, string) {
	t.Helper()
	status, out, v, _ := gqlRaw(t, s, version, token, query, vars)
	return status, out, v
}

func gqlRaw(t *testing.T, s *shopifysim.Server, version, token, query string, vars map[string]any) (int, map[string]any, string, []byte) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/api/"+version+"/graphql.json", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return resp.StatusCode, out, resp.Header.Get("X-Shopify-API-Version"), raw
}

func TestClientCredentialsGrantAndItsRefusals(t *testing.T) {
	t.Parallel()
	clk := &movingClock{}
	s := newServer(t, shopifysim.Options{ClientID: testClientID, Secret: testClientSecret, Clock: clk.Now, TokenTTL: time.Hour,
		Scopes: []string{"read_orders", "read_products"}})
	if s.Token != "" {
		t.Fatalf("a Dev Dashboard app has no static token, got %q", s.Token)
	}
	code, _, body := requestToken(t, s, testClientID, testClientSecret, "")
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if code != 200 || json.Unmarshal(body, &tok) != nil || !strings.HasPrefix(tok.AccessToken, "shpat_") ||
		tok.Scope != "read_orders,read_products" || tok.ExpiresIn != 3599 {
		t.Fatalf("grant: %d %s", code, body)
	}
	// The token works with the real go-shopify client, until it expires.
	c, err := s.Client(goshopify.App{}, goshopify.WithVersion("2026-10"))
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := goshopify.NewClient(goshopify.App{}, s.Shop, tok.AccessToken, goshopify.WithHTTPClient(c.Client), goshopify.WithVersion("2026-10"))
	var data struct {
		Shop struct {
			MyshopifyDomain string `json:"myshopifyDomain"`
			CurrencyCode    string `json:"currencyCode"`
		} `json:"shop"`
	}
	if err := c2.GraphQL.Query(context.Background(), `{ shop { myshopifyDomain currencyCode } }`, nil, &data); err != nil {
		t.Fatal(err)
	}
	if data.Shop.MyshopifyDomain != s.Shop || data.Shop.CurrencyCode != "EUR" {
		t.Fatalf("shop %+v", data)
	}
	clk.Advance(time.Hour)
	status, ans, _ := gql(t, s, "2026-10", tok.AccessToken, `{ shop { name } }`, nil)
	if status != 401 || ans["errors"] != "[API] Invalid API key or access token (unrecognized login or wrong password)" {
		t.Fatalf("expired token: %d %v", status, ans)
	}
	if s.TokenGrants() != 1 {
		t.Fatalf("%d grants", s.TokenGrants())
	}

	for _, tc := range []struct {
		name, id, secret, refusal, accept string
		want                              string
	}{
		{"wrong secret", testClientID, "shpss_wrong", "", "application/json", `{"error":"invalid_client","error_description":"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}`},
		{"wrong client", "someone-else", testClientSecret, "", "application/json", `"error":"invalid_client"`},
		{"other organization", testClientID, testClientSecret, shopifysim.RefuseShopNotPermitted, "application/json", `{"error":"shop_not_permitted","error_description":"Client credentials cannot be performed on this shop."}`},
		{"not installed", testClientID, testClientSecret, shopifysim.RefuseAppNotInstalled, "application/json", `{"error":"app_not_installed","error_description":"The application is not installed on this shop."}`},
		{"not installed, as text", testClientID, testClientSecret, shopifysim.RefuseAppNotInstalled, "", "Oauth error app_not_installed: The application is not installed on this shop."},
	} {
		if err := s.SetTokenRefusal(tc.refusal); err != nil {
			t.Fatal(err)
		}
		code, ct, body := requestToken(t, s, tc.id, tc.secret, tc.accept)
		if code != 400 || !strings.Contains(string(body), tc.want) || (tc.accept == "") == strings.Contains(ct, "json") {
			t.Errorf("%s: %d %s %s", tc.name, code, ct, body)
		}
	}
	if s.TokenGrants() != 1 {
		t.Fatalf("refused requests granted tokens: %d", s.TokenGrants())
	}
	// After an uninstall the app is not installed, whatever the mode.
	_ = s.SetTokenRefusal("")
	s.Uninstall()
	if code, _, body := requestToken(t, s, testClientID, testClientSecret, "application/json"); code != 400 || !strings.Contains(string(body), "app_not_installed") {
		t.Fatalf("after uninstall: %d %s", code, body)
	}
}

func TestGraphQLShopScopesAndCost(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{ClientID: testClientID, Secret: testClientSecret, Plan: shopifysim.PlanStandard,
		ShopName: "Café <Gent>", Scopes: []string{"read_orders", "write_inventory"}})
	tok := grantToken(t, s)
	// Aliases, fragments, variables and __typename: the query is parsed, never matched.
	status, ans, version, raw := gqlRaw(t, s, "2026-10", tok, `
		query Setup($withPlan: Boolean!) {
			store: shop { ...Names currencyCode ianaTimezone plan @include(if: $withPlan) { publicDisplayName shopifyPlus } }
			currentAppInstallation { accessScopes { handle } __typename }
		}
		fragment Names on Shop { name myshopifyDomain }`, map[string]any{"withPlan": true})
	if status != 200 || version != "2026-10" {
		t.Fatalf("%d %s %v", status, version, ans)
	}
	// The answer keeps the order of the selection.
	b, _, _ := bytes.Cut(bytes.TrimPrefix(raw, []byte(`{"data":`)), []byte(`,"extensions"`))
	want := `{"store":{"name":"Café \u003cGent\u003e","myshopifyDomain":"demo.myshopify.com","currencyCode":"EUR","ianaTimezone":"Europe/Brussels","plan":{"publicDisplayName":"Basic","shopifyPlus":false}},` +
		`"currentAppInstallation":{"accessScopes":[{"handle":"read_orders"},{"handle":"write_inventory"}],"__typename":"AppInstallation"}}`
	if string(b) != want {
		t.Fatalf("data\n got %s\nwant %s", b, want)
	}
	cost := ans["extensions"].(map[string]any)["cost"].(map[string]any)
	// shop 1 + plan 1, installation 1 + its scopes 1.
	if cost["requestedQueryCost"] != 4.0 || cost["actualQueryCost"] != 4.0 {
		t.Errorf("cost %v", cost)
	}
	ts := cost["throttleStatus"].(map[string]any)
	if ts["maximumAvailable"] != 2000.0 || ts["restoreRate"] != 100.0 || ts["currentlyAvailable"].(float64) < 1990 {
		t.Errorf("throttle status %v", ts)
	}

	// A query the schema does not have is refused with GraphQL's errors and no data.
	status, ans, _ = gql(t, s, "2026-10", tok, `{ shop { name secretField } }`, nil)
	errs, _ := ans["errors"].([]any)
	if status != 200 || len(errs) != 1 || ans["data"] != nil || !strings.Contains(errs[0].(map[string]any)["message"].(string), "secretField") {
		t.Fatalf("unknown field: %d %v", status, ans)
	}
	// A missing required variable too.
	if _, ans, _ = gql(t, s, "2026-10", tok, `query($id: ID!) { webhookSubscription(id: $id) { id } }`, nil); ans["errors"] == nil {
		t.Fatalf("missing variable: %v", ans)
	}
}

func TestGraphQLCostLimits(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{ClientID: testClientID, Secret: testClientSecret,
		Plan: shopifysim.CustomPlan(40, 2).WithGraphQL(30, 0.5)})
	tok := grantToken(t, s)
	s.Subscribe("orders/create", "https://kassa.example/webhooks/shopify")
	s.Subscribe("orders/updated", "https://kassa.example/webhooks/shopify")

	// A connection costs 2 + first × node: 2 + 10 × 1 requested; 2 + 2 × 1 actual.
	query := `{ webhookSubscriptions(first: 10) { edges { cursor node { id topic uri } } pageInfo { hasNextPage } } }`
	_, ans, _ := gql(t, s, "2026-10", tok, query, nil)
	cost := ans["extensions"].(map[string]any)["cost"].(map[string]any)
	if cost["requestedQueryCost"] != 12.0 || cost["actualQueryCost"] != 4.0 {
		t.Fatalf("cost %v", cost)
	}
	// The bucket was charged 12 and refunded 8: 26 left of 30 (and restored slowly since).
	if left := cost["throttleStatus"].(map[string]any)["currentlyAvailable"].(float64); left < 26 || left > 29 {
		t.Fatalf("currently available %v", left)
	}
	// A few more such queries drain the bucket below 12: the next is THROTTLED, with
	// Shopify's shape, and nothing was run.
	var throttled map[string]any
	for range 10 {
		_, ans, _ = gql(t, s, "2026-10", tok, query, nil)
		if ans["data"] == nil {
			throttled = ans
			break
		}
	}
	if throttled == nil {
		t.Fatal("never throttled")
	}
	errs := throttled["errors"].([]any)
	e := errs[0].(map[string]any)
	if e["message"] != "Throttled" || e["extensions"].(map[string]any)["code"] != "THROTTLED" {
		t.Fatalf("throttled answer %v", throttled)
	}
	tc := throttled["extensions"].(map[string]any)["cost"].(map[string]any)
	if tc["actualQueryCost"] != nil || tc["requestedQueryCost"] != 12.0 || tc["throttleStatus"].(map[string]any)["maximumAvailable"] != 30.0 {
		t.Fatalf("throttled cost %v", tc)
	}

	// Over 1000 requested points a query is refused whatever the bucket holds.
	big := `{ webhookSubscriptions(first: 250) { nodes { id apiVersion { handle } } edges { node { apiVersion { handle } } } } }`
	_, ans, _ = gql(t, s, "2026-10", tok, big, nil)
	e = ans["errors"].([]any)[0].(map[string]any)
	if ext := e["extensions"].(map[string]any); ext["code"] != "MAX_COST_EXCEEDED" || ext["cost"] != 1002.0 || ext["maxCost"] != 1000.0 {
		t.Fatalf("max cost: %v", ans)
	}
	// A connection without first or last is an error of its field.
	_, ans, _ = gql(t, s, "2026-10", tok, `{ webhookSubscriptions { nodes { id } } }`, nil)
	if ans["errors"] == nil {
		t.Fatalf("no first: %v", ans)
	}
}

func TestGraphQLWebhookSubscriptionsAndSignedDeliveries(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, testClientSecret)
	s := newServer(t, shopifysim.Options{ClientID: testClientID, Secret: testClientSecret})
	tok := grantToken(t, s)
	create := `mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
		webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
			webhookSubscription { id topic uri format apiVersion { handle } }
			userErrors { field message }
		}
	}`
	_, ans, _ := gql(t, s, "2026-10", tok, create, map[string]any{"topic": "ORDERS_CREATE", "sub": map[string]any{"uri": r.URL, "format": "JSON"}})
	payload := ans["data"].(map[string]any)["webhookSubscriptionCreate"].(map[string]any)
	sub := payload["webhookSubscription"].(map[string]any)
	if len(payload["userErrors"].([]any)) != 0 || sub["topic"] != "ORDERS_CREATE" || sub["uri"] != r.URL ||
		sub["apiVersion"].(map[string]any)["handle"] != shopifysim.DefaultAPIVersion {
		t.Fatalf("create: %v", ans)
	}
	if cost := ans["extensions"].(map[string]any)["cost"].(map[string]any); cost["requestedQueryCost"] != 10.0 || cost["actualQueryCost"] != 10.0 {
		t.Fatalf("a mutation costs 10: %v", cost)
	}
	// The same topic and address again, a blank address, plain HTTP to a public host:
	// userErrors, nothing created.
	for uri, want := range map[string]string{
		r.URL:                   "Address for this topic has already been taken",
		"":                      "Address can't be blank",
		"http://kassa.example/": "Address protocol http:// is not supported",
	} {
		_, ans, _ = gql(t, s, "2026-10", tok, create, map[string]any{"topic": "ORDERS_CREATE", "sub": map[string]any{"uri": uri}})
		ue := ans["data"].(map[string]any)["webhookSubscriptionCreate"].(map[string]any)["userErrors"].([]any)
		if len(ue) != 1 || ue[0].(map[string]any)["message"] != want {
			t.Errorf("uri %q: %v", uri, ans)
		}
	}
	if n := len(s.Webhooks()); n != 1 {
		t.Fatalf("%d subscriptions", n)
	}
	// Deliveries are signed with the client secret.
	if _, err := s.NewOrder(); err != nil {
		t.Fatal(err)
	}
	got := r.next(t)
	if !got.valid || got.forged || got.header.Get("X-Shopify-Topic") != "orders/create" {
		t.Fatalf("delivery: valid %v forged %v %v", got.valid, got.forged, got.header)
	}
	// Listed, filtered by topic, then deleted.
	list := `query($topics: [WebhookSubscriptionTopic!]) { webhookSubscriptions(first: 50, topics: $topics) { nodes { id topic uri } } }`
	_, ans, _ = gql(t, s, "2026-10", tok, list, map[string]any{"topics": []string{"ORDERS_UPDATED"}})
	if n := len(ans["data"].(map[string]any)["webhookSubscriptions"].(map[string]any)["nodes"].([]any)); n != 0 {
		t.Fatalf("filtered list: %v", ans)
	}
	_, ans, _ = gql(t, s, "2026-10", tok, list, nil)
	nodes := ans["data"].(map[string]any)["webhookSubscriptions"].(map[string]any)["nodes"].([]any)
	if len(nodes) != 1 || nodes[0].(map[string]any)["id"] != sub["id"] {
		t.Fatalf("list: %v", ans)
	}
	del := `mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }`
	_, ans, _ = gql(t, s, "2026-10", tok, del, map[string]any{"id": sub["id"]})
	if ans["data"].(map[string]any)["webhookSubscriptionDelete"].(map[string]any)["deletedWebhookSubscriptionId"] != sub["id"] || len(s.Webhooks()) != 0 {
		t.Fatalf("delete: %v", ans)
	}
	_, ans, _ = gql(t, s, "2026-10", tok, del, map[string]any{"id": sub["id"]})
	if ue := ans["data"].(map[string]any)["webhookSubscriptionDelete"].(map[string]any)["userErrors"].([]any); len(ue) != 1 {
		t.Fatalf("second delete: %v", ans)
	}

	// The control endpoint deletes a subscription as Shopify does after failed deliveries.
	s.Subscribe("orders/updated", r.URL)
	req, _ := http.NewRequest(http.MethodDelete, s.URL+"/_sim/webhooks?topic=orders/updated", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"deleted":1}` || len(s.Webhooks()) != 0 {
		t.Fatalf("control delete: %s", b)
	}
}

func TestAPIVersionFallsForwardOrIsForced(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{})
	for asked, served := range map[string]string{"2024-10": "2026-01", "2026-04": "2026-04", "2026-10": "2026-10", "unstable": "unstable"} {
		if got := get(t, s, "/admin/api/"+asked+"/shop.json").Header.Get("X-Shopify-API-Version"); got != served {
			t.Errorf("asked %s, served %s; want %s", asked, got, served)
		}
	}
	forced := newServer(t, shopifysim.Options{ServeVersion: "2026-07"})
	_, _, version := gql(t, forced, "2026-10", forced.Token, `{ shop { name } }`, nil)
	if version != "2026-07" {
		t.Fatalf("--serve-version: %q", version)
	}
	if _, err := shopifysim.NewServer(shopifysim.Options{ServeVersion: "latest"}); err == nil {
		t.Fatal("a malformed version was taken")
	}
}

func TestRevokedAndRefusedTokens(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{ClientID: testClientID, Secret: testClientSecret})
	tok := grantToken(t, s)
	s.RevokeTokens()
	if status, _, _ := gql(t, s, "2026-10", tok, `{ shop { name } }`, nil); status != 401 {
		t.Fatalf("revoked token: %d", status)
	}
	fresh := grantToken(t, s)
	s.RefuseAllTokens(true)
	if status, _, _ := gql(t, s, "2026-10", fresh, `{ shop { name } }`, nil); status != 401 {
		t.Fatalf("refused token: %d", status)
	}
	s.RefuseAllTokens(false)
	if status, _, _ := gql(t, s, "2026-10", fresh, `{ shop { name } }`, nil); status != 200 {
		t.Fatalf("accepted again: %d", status)
	}
}
