package shopifysim

import (
	"fmt"
	"strings"
)

// scopeDescriptions are Shopify's descriptions of the access scopes kassa meets; other
// scopes are described by their handle.
var scopeDescriptions = map[string]string{
	"read_orders":     "Read orders, transactions, and fulfillments",
	"write_orders":    "Modify orders, transactions, and fulfillments",
	"read_all_orders": "Read all orders",
	"read_products":   "Read products, variants, and collections",
	"write_products":  "Modify products, variants, and collections",
	"read_inventory":  "Read inventory",
	"write_inventory": "Modify inventory",
	"read_locations":  "Read locations",
	"read_customers":  "Read customers",
	"read_returns":    "Read returns",
}

// planDisplayName is the ShopPlan.publicDisplayName of a simulated plan.
func planDisplayName(p Plan) (name string, plus, development bool) {
	switch p.Name {
	case PlanStandard.Name:
		return "Basic", false, false
	case PlanAdvanced.Name:
		return "Advanced", false, false
	case PlanPlus.Name:
		return "Plus", true, false
	case PlanEnterprise.Name:
		return "Plus", true, false
	}
	return "Development", false, true
}

// shopResolvers serve QueryRoot.shop and QueryRoot.currentAppInstallation.
func (s *Server) shopResolvers() map[string]map[string]gqlFieldFunc {
	return map[string]map[string]gqlFieldFunc{
		"QueryRoot": {
			"shop": func(*gqlRequest, any, map[string]any) (any, error) {
				name, plus, dev := planDisplayName(s.limiter.plan)
				label := strings.TrimSuffix(s.Shop, ".myshopify.com")
				abbr := s.clock().Format("MST")
				return map[string]any{
					"id":                   fmt.Sprintf("gid://shopify/Shop/%d", shopID),
					"name":                 s.shopName(),
					"email":                "owner@" + label + ".example",
					"myshopifyDomain":      s.Shop,
					"currencyCode":         s.currency(),
					"ianaTimezone":         s.loc.String(),
					"timezoneAbbreviation": abbr,
					"plan": map[string]any{
						"partnerDevelopment": dev, "publicDisplayName": name, "shopifyPlus": plus, "displayName": name,
					},
					"primaryDomain": map[string]any{
						"id": fmt.Sprintf("gid://shopify/Domain/%d", shopID), "host": s.Shop, "url": "https://" + s.Shop,
					},
				}, nil
			},
			"currentAppInstallation": func(rc *gqlRequest, _ any, _ map[string]any) (any, error) {
				scopes := make([]any, 0, len(rc.token.scopes))
				for _, h := range rc.token.scopes {
					d := scopeDescriptions[h]
					if d == "" {
						d = h
					}
					scopes = append(scopes, map[string]any{"handle": h, "description": d})
				}
				clientID := s.opts.ClientID
				if clientID == "" {
					clientID = "legacy-custom-app"
				}
				return map[string]any{
					"id":           "gid://shopify/AppInstallation/1001",
					"accessScopes": scopes,
					"app": map[string]any{
						"id": "gid://shopify/App/1001", "title": "kassa", "apiKey": clientID, "handle": "kassa",
					},
				}, nil
			},
		},
	}
}

// shopName is the shop's display name: Options.ShopName, else its myshopify name.
func (s *Server) shopName() string {
	if s.opts.ShopName != "" {
		return s.opts.ShopName
	}
	return strings.TrimSuffix(s.Shop, ".myshopify.com")
}
