package shopifyapi

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// kassa's GraphQL documents are plain .graphql files, one operation each, embedded here
// and sent with the shared fragments they spread (queries/fragments); tests validate every
// one of them against the simulator's subset of Shopify's schema.
//
//go:embed queries/*.graphql queries/fragments/*.graphql
var queryFiles embed.FS

// sharedFragments are the fragments of queries/fragments by name, each with its text.
var sharedFragments = func() map[string]string {
	out := map[string]string{}
	names, _ := fs.Glob(queryFiles, "queries/fragments/*.graphql")
	for _, n := range names {
		b, _ := queryFiles.ReadFile(n)
		for _, part := range strings.Split("\n"+string(b), "\nfragment ")[1:] {
			name, _, _ := strings.Cut(part, " ")
			out[name] = "fragment " + strings.TrimRight(part, "\n") + "\n"
		}
	}
	return out
}()

// withFragments appends to doc the shared fragments it spreads and does not define, and
// those they spread in turn (GraphQL refuses a fragment a document does not use).
func withFragments(doc string) string {
	var b strings.Builder
	b.WriteString(doc)
	added := map[string]bool{}
	for text := doc; ; {
		var next strings.Builder
		for _, name := range slices.Sorted(maps.Keys(sharedFragments)) {
			frag := sharedFragments[name]
			if !added[name] && strings.Contains(text, "..."+name+"\n") && !strings.Contains(doc, "fragment "+name+" on") {
				added[name] = true
				next.WriteString("\n" + frag)
			}
		}
		if next.Len() == 0 {
			return b.String()
		}
		text = next.String()
		b.WriteString(text)
	}
}

// Queries returns kassa's GraphQL documents by name (the file name without .graphql), each
// with the shared fragments it spreads.
func Queries() map[string]string {
	out := map[string]string{}
	names, _ := fs.Glob(queryFiles, "queries/*.graphql")
	for _, n := range names {
		b, _ := queryFiles.ReadFile(n)
		out[strings.TrimSuffix(path.Base(n), ".graphql")] = withFragments(string(b))
	}
	return out
}

// document returns an embedded document with the shared fragments it spreads; a missing
// one is a programming error, which the tests of every document catch.
func document(name string) string {
	b, err := queryFiles.ReadFile("queries/" + name + ".graphql")
	if err != nil {
		panic(fmt.Sprintf("shopifyapi: no GraphQL document %q", name))
	}
	return withFragments(string(b))
}

// ShopDetails is what connect checks of a shop: its identity, currency and time zone, its
// plan, and the access scopes the app holds there.
type ShopDetails struct {
	Name            string
	MyshopifyDomain string
	CurrencyCode    string
	IANATimezone    string
	Plan            string
	ShopifyPlus     bool
	Development     bool
	Scopes          []string
}

// HasScope reports whether the app holds scope, counting a write scope as its read scope.
func HasScope(scopes []string, scope string) bool {
	for _, s := range scopes {
		if s == scope {
			return true
		}
		if r, ok := strings.CutPrefix(scope, "read_"); ok && s == "write_"+r {
			return true
		}
	}
	return false
}

// ShopDetails reads the shop and the app's granted scopes through the GraphQL Admin API.
func (c *Client) ShopDetails(ctx context.Context) (ShopDetails, error) {
	var data struct {
		Shop struct {
			Name            string `json:"name"`
			MyshopifyDomain string `json:"myshopifyDomain"`
			CurrencyCode    string `json:"currencyCode"`
			IANATimezone    string `json:"ianaTimezone"`
			Plan            struct {
				PublicDisplayName  string `json:"publicDisplayName"`
				ShopifyPlus        bool   `json:"shopifyPlus"`
				PartnerDevelopment bool   `json:"partnerDevelopment"`
			} `json:"plan"`
		} `json:"shop"`
		Installation struct {
			AccessScopes []struct {
				Handle string `json:"handle"`
			} `json:"accessScopes"`
		} `json:"currentAppInstallation"`
	}
	if _, err := c.Query(ctx, document("shop"), nil, &data); err != nil {
		return ShopDetails{}, fmt.Errorf("read the shop of %s: %w", c.shop, err)
	}
	s := data.Shop
	out := ShopDetails{
		Name: s.Name, MyshopifyDomain: s.MyshopifyDomain, CurrencyCode: s.CurrencyCode, IANATimezone: s.IANATimezone,
		Plan: s.Plan.PublicDisplayName, ShopifyPlus: s.Plan.ShopifyPlus, Development: s.Plan.PartnerDevelopment,
	}
	for _, a := range data.Installation.AccessScopes {
		out.Scopes = append(out.Scopes, a.Handle)
	}
	return out, nil
}

// WebhookSubscription is a shop-specific webhook subscription of the app.
type WebhookSubscription struct {
	// ID is Shopify's global id, gid://shopify/WebhookSubscription/N.
	ID string
	// Topic is the delivery topic, e.g. orders/create.
	Topic      string
	URI        string
	APIVersion string
	CreatedAt  time.Time
}

type webhookNode struct {
	ID         string `json:"id"`
	Topic      string `json:"topic"`
	URI        string `json:"uri"`
	APIVersion struct {
		Handle string `json:"handle"`
	} `json:"apiVersion"`
	CreatedAt time.Time `json:"createdAt"`
}

func (n webhookNode) subscription() WebhookSubscription {
	return WebhookSubscription{ID: n.ID, Topic: TopicOfEnum(n.Topic), URI: n.URI, APIVersion: n.APIVersion.Handle, CreatedAt: n.CreatedAt}
}

// TopicEnum is the WebhookSubscriptionTopic value of a delivery topic: orders/create is
// ORDERS_CREATE, bulk_operations/finish BULK_OPERATIONS_FINISH.
func TopicEnum(topic string) string {
	return strings.ToUpper(strings.ReplaceAll(topic, "/", "_"))
}

// TopicOfEnum is the delivery topic of a WebhookSubscriptionTopic value: the last
// underscore is the slash (ORDERS_CREATE is orders/create, BULK_OPERATIONS_FINISH
// bulk_operations/finish).
func TopicOfEnum(enum string) string {
	e := strings.ToLower(enum)
	if i := strings.LastIndex(e, "_"); i >= 0 {
		return e[:i] + "/" + e[i+1:]
	}
	return e
}

// WebhookSubscriptions lists the app's shop-specific webhook subscriptions (those of its
// configuration file are not listed by Shopify).
func (c *Client) WebhookSubscriptions(ctx context.Context) ([]WebhookSubscription, error) {
	var out []WebhookSubscription
	vars := map[string]any{"after": nil}
	for {
		var data struct {
			Subs struct {
				Nodes    []webhookNode `json:"nodes"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"webhookSubscriptions"`
		}
		if _, err := c.Query(ctx, document("webhook_subscriptions"), vars, &data); err != nil {
			return nil, fmt.Errorf("list the webhook subscriptions of %s: %w", c.shop, err)
		}
		for _, n := range data.Subs.Nodes {
			out = append(out, n.subscription())
		}
		if !data.Subs.PageInfo.HasNextPage || data.Subs.PageInfo.EndCursor == "" {
			return out, nil
		}
		vars["after"] = data.Subs.PageInfo.EndCursor
	}
}

// CreateWebhookSubscription subscribes uri to topic (e.g. orders/create) with
// webhookSubscriptionCreate. Shopify's userErrors come back as *UserErrors.
func (c *Client) CreateWebhookSubscription(ctx context.Context, topic, uri string) (WebhookSubscription, error) {
	var data struct {
		Create struct {
			Sub        *webhookNode `json:"webhookSubscription"`
			UserErrors []UserError  `json:"userErrors"`
		} `json:"webhookSubscriptionCreate"`
	}
	vars := map[string]any{"topic": TopicEnum(topic), "subscription": map[string]any{"uri": uri, "format": "JSON"}}
	if _, err := c.Query(ctx, document("webhook_subscription_create"), vars, &data); err != nil {
		return WebhookSubscription{}, fmt.Errorf("subscribe %s to %s: %w", c.shop, topic, err)
	}
	if err := userErrors("webhookSubscriptionCreate", data.Create.UserErrors); err != nil {
		return WebhookSubscription{}, fmt.Errorf("subscribe %s to %s: %w", c.shop, topic, err)
	}
	if data.Create.Sub == nil {
		return WebhookSubscription{}, fmt.Errorf("subscribe %s to %s: Shopify answered without the subscription", c.shop, topic)
	}
	return data.Create.Sub.subscription(), nil
}

// DeleteWebhookSubscription removes a webhook subscription by its id with
// webhookSubscriptionDelete. Shopify's userErrors come back as *UserErrors.
func (c *Client) DeleteWebhookSubscription(ctx context.Context, id string) error {
	var data struct {
		Delete struct {
			Deleted    *string     `json:"deletedWebhookSubscriptionId"`
			UserErrors []UserError `json:"userErrors"`
		} `json:"webhookSubscriptionDelete"`
	}
	if _, err := c.Query(ctx, document("webhook_subscription_delete"), map[string]any{"id": id}, &data); err != nil {
		return fmt.Errorf("delete the webhook subscription %s of %s: %w", id, c.shop, err)
	}
	if err := userErrors("webhookSubscriptionDelete", data.Delete.UserErrors); err != nil {
		return fmt.Errorf("delete the webhook subscription %s of %s: %w", id, c.shop, err)
	}
	return nil
}
