package shopifyapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"
)

// Credentials are a Dev Dashboard app's client ID and client secret. The secret is also
// the key of the app's webhook signatures. Never log them.
type Credentials struct {
	ClientID     string
	ClientSecret string
}

// Grant is an access token obtained with the client credentials grant.
type Grant struct {
	AccessToken string
	// Scopes are the access scopes the token carries (Shopify's "scope", split).
	Scopes []string
	// ExpiresIn is how long the token lives from when it was granted (24 hours less a
	// second on Shopify).
	ExpiresIn time.Duration
}

// Shopify's refusals of a token request (errors.Is matches an *OAuthError with the code).
var (
	// ErrShopNotPermitted: the app's organization does not own the store.
	ErrShopNotPermitted = errors.New("shop_not_permitted")
	// ErrAppNotInstalled: the app is not installed on the store.
	ErrAppNotInstalled = errors.New("app_not_installed")
	// ErrInvalidClient: the client ID or secret is wrong.
	ErrInvalidClient = errors.New("invalid_client")
)

// OAuthError is Shopify's refusal of a token request.
type OAuthError struct {
	Status      int
	Code        string
	Description string
}

func (e *OAuthError) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("Shopify refused the token request (%s)", CleanText(e.Code))
	}
	return fmt.Sprintf("Shopify refused the token request: %s (%s)", CleanText(strings.TrimSuffix(e.Description, ".")), CleanText(e.Code))
}

// Is matches the sentinel of the error's code.
func (e *OAuthError) Is(target error) bool {
	switch target {
	case ErrShopNotPermitted, ErrAppNotInstalled, ErrInvalidClient:
		return e.Code == target.Error()
	}
	return false
}

// oauthTextPattern is Shopify's text form of an OAuth refusal: "Oauth error CODE: DESCRIPTION".
var oauthTextPattern = regexp.MustCompile(`(?i)oauth error ([a-z_]+): ?([^<\n]*)`)

// RequestToken asks the shop for an access token with the client credentials grant:
// POST https://{shop}/admin/oauth/access_token with grant_type, client_id and client_secret
// in a form body (never in the URL). It goes through a Transport built from cfg (its
// BaseURL, Logger, Observer and Transport options), so it is retried and redirected like
// any other request of the shop. cfg's token fields are not used.
func RequestToken(ctx context.Context, cfg Config, creds Credentials) (Grant, error) {
	if creds.ClientID == "" || creds.ClientSecret == "" {
		return Grant{}, errors.New("a token request needs the app's client ID and secret")
	}
	shop := goshopify.ShopFullName(strings.ToLower(strings.TrimSpace(cfg.Shop)))
	if shop == "" {
		return Grant{}, errors.New("a token request needs the shop")
	}
	topts := cfg.Transport
	if cfg.BaseURL != "" {
		topts.BaseURL = cfg.BaseURL
	}
	if cfg.Logger != nil {
		topts.Logger = cfg.Logger
	}
	if cfg.Observer != nil {
		topts.Observer = cfg.Observer
	}
	rt, err := NewTransport(topts)
	if err != nil {
		return Grant{}, fmt.Errorf("shopify token request: %w", err)
	}
	defer rt.CloseIdleConnections()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {creds.ClientID}, "client_secret": {creds.ClientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+shop+"/admin/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return Grant{}, fmt.Errorf("shopify token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", goshopify.UserAgent)
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL would only repeat the shop
		}
		return Grant{}, fmt.Errorf("ask %s for an access token: %w", shop, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Grant{}, fmt.Errorf("ask %s for an access token: %w", shop, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Grant{}, oauthError(resp.StatusCode, body)
	}
	var g struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
		ExpiresIn   *int64 `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &g); err != nil || g.AccessToken == "" {
		return Grant{}, fmt.Errorf("ask %s for an access token: the answer holds no access token", shop)
	}
	out := Grant{AccessToken: g.AccessToken, Scopes: SplitScopes(g.Scope)}
	if g.ExpiresIn != nil && *g.ExpiresIn > 0 {
		out.ExpiresIn = time.Duration(*g.ExpiresIn) * time.Second
	}
	return out, nil
}

// oauthError reads Shopify's refusal of a token request: JSON {"error", "error_description"}
// or the text "Oauth error CODE: DESCRIPTION".
func oauthError(status int, body []byte) error {
	var j struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &j) == nil && j.Error != "" {
		return &OAuthError{Status: status, Code: j.Error, Description: j.Description}
	}
	if m := oauthTextPattern.FindSubmatch(body); m != nil {
		return &OAuthError{Status: status, Code: strings.ToLower(string(m[1])), Description: strings.TrimSpace(string(m[2]))}
	}
	if status == http.StatusNotFound {
		return &OAuthError{Status: status, Code: "not_found", Description: "There is no such shop."}
	}
	return &OAuthError{Status: status, Code: fmt.Sprintf("http_%d", status), Description: "Shopify answered " + http.StatusText(status) + "."}
}

// SplitScopes splits Shopify's comma-separated scope list.
func SplitScopes(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
