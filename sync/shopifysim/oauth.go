package shopifysim

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The client credentials grant of a Dev Dashboard app
// (shopify.dev/docs/apps/build/dev-dashboard/get-api-access-tokens):
//
//	POST https://{shop}.myshopify.com/admin/oauth/access_token
//	grant_type=client_credentials&client_id=…&client_secret=…   (form or JSON body)
//
// answers {"access_token": "…", "scope": "read_orders,…", "expires_in": 86399}. The token
// lives Options.TokenTTL (24 hours by default, expires_in one second less, as Shopify
// writes it) measured on the injected clock; an expired token is answered 401 "[API] Invalid
// API key or access token (unrecognized login or wrong password)" like any unknown one. There
// is no refresh token: the app asks again.
//
// Refusals, each 400 with Shopify's error code and description, as JSON
// ({"error": …, "error_description": …}) when the request accepts or sends JSON, else as
// Shopify's text "Oauth error CODE: DESCRIPTION":
//   - shop_not_permitted "Client credentials cannot be performed on this shop." (the app's
//     organization does not own the store; Options.TokenRefusal or SetTokenRefusal),
//   - app_not_installed "The application is not installed on this shop." (likewise, and after
//     Uninstall),
//   - invalid_client: a wrong client id or secret. Shopify's documentation does not show this
//     answer; the simulator uses OAuth 2.0's code and description (RFC 6749 §5.2).

// Token refusals of the access-token endpoint (Options.TokenRefusal).
const (
	RefuseShopNotPermitted = "shop_not_permitted"
	RefuseAppNotInstalled  = "app_not_installed"
)

// DefaultTokenTTL is how long a client-credentials token lives: Shopify's 24 hours.
const DefaultTokenTTL = 24 * time.Hour

// DefaultScopes are the access scopes the simulated app is granted unless Options.Scopes
// says otherwise (read_all_orders is added when Options.ReadAllOrders is set).
var DefaultScopes = []string{"read_orders", "read_products", "read_inventory", "write_inventory", "read_locations"}

var oauthDescriptions = map[string]string{
	RefuseShopNotPermitted:   "Client credentials cannot be performed on this shop.",
	RefuseAppNotInstalled:    "The application is not installed on this shop.",
	"invalid_client":         "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
	"invalid_request":        "The request is missing a required parameter: grant_type, client_id and client_secret.",
	"unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
}

// accessToken is a token the simulator accepts.
type accessToken struct {
	value   string
	scopes  []string
	expires time.Time // zero: never (the legacy admin-created token)
	legacy  bool
}

func (t *accessToken) has(scope string) bool {
	if slices.Contains(t.scopes, scope) {
		return true
	}
	// A write scope includes its read scope.
	if r, ok := strings.CutPrefix(scope, "read_"); ok {
		return slices.Contains(t.scopes, "write_"+r)
	}
	return false
}

// tokens holds the access tokens the simulator issued.
type tokens struct {
	mu      sync.Mutex
	byValue map[string]*accessToken
	issued  []string // every token granted, revoked ones too
	grants  int
	refusal string
	// refuseAll answers every token 401, as when the app's secret was revoked: the token
	// endpoint still grants new ones, which are refused in turn.
	refuseAll bool
}

func (s *Server) scopes() []string {
	if s.opts.Scopes != nil {
		return append([]string(nil), s.opts.Scopes...)
	}
	out := append([]string(nil), DefaultScopes...)
	if s.opts.ReadAllOrders {
		out = append(out, "read_all_orders")
	}
	return out
}

// lookupToken returns the token a request carries, if the simulator accepts it now.
func (s *Server) lookupToken(value string) (*accessToken, bool) {
	if value == "" || s.uninstalled.Load() {
		return nil, false
	}
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	if s.tokens.refuseAll {
		return nil, false
	}
	if s.Token != "" && value == s.Token {
		return &accessToken{value: value, scopes: s.scopes(), legacy: true}, true
	}
	t, ok := s.tokens.byValue[value]
	if !ok || (!t.expires.IsZero() && !s.clock().Before(t.expires)) {
		return nil, false
	}
	return t, true
}

// TokenGrants returns how many access tokens the token endpoint has granted.
func (s *Server) TokenGrants() int {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	return s.tokens.grants
}

// IssuedTokens returns every access token the token endpoint granted, revoked and expired
// ones too (for tests that make sure no token ever shows in an output).
func (s *Server) IssuedTokens() []string {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	return append([]string(nil), s.tokens.issued...)
}

// RevokeTokens revokes every access token the token endpoint granted so far, as revoking
// the app's client secret does; later requests for a token are granted as before.
func (s *Server) RevokeTokens() {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	s.tokens.byValue = map[string]*accessToken{}
}

// RefuseAllTokens makes the Admin API answer 401 to every token, new ones included, while
// the token endpoint keeps granting them (on), or accept them again (off).
func (s *Server) RefuseAllTokens(on bool) {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	s.tokens.refuseAll = on
}

// SetTokenRefusal makes the token endpoint refuse every request with code
// (RefuseShopNotPermitted or RefuseAppNotInstalled), or grant again ("").
func (s *Server) SetTokenRefusal(code string) error {
	if code != "" && code != RefuseShopNotPermitted && code != RefuseAppNotInstalled {
		return fmt.Errorf("token refusal %q: want %s, %s or none", code, RefuseShopNotPermitted, RefuseAppNotInstalled)
	}
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	s.tokens.refusal = code
	return nil
}

// serveAccessToken answers POST /admin/oauth/access_token.
func (s *Server) serveAccessToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeMethodNotAllowed(w)
		return
	}
	wantsJSON := strings.Contains(r.Header.Get("Accept"), "json")
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	fields := url.Values{}
	switch ct {
	case "application/json":
		wantsJSON = true
		var body map[string]any
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
			s.oauthError(w, wantsJSON, "invalid_request")
			return
		}
		for k, v := range body {
			if str, ok := v.(string); ok {
				fields.Set(k, str)
			}
		}
	default:
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		if err := r.ParseForm(); err != nil {
			s.oauthError(w, wantsJSON, "invalid_request")
			return
		}
		// Only the body counts: Shopify moved these fields out of the URL.
		fields = r.PostForm
	}
	grant, id, secret := fields.Get("grant_type"), fields.Get("client_id"), fields.Get("client_secret")
	switch {
	case grant == "" || id == "" || secret == "":
		s.oauthError(w, wantsJSON, "invalid_request")
		return
	case grant != "client_credentials":
		s.oauthError(w, wantsJSON, "unsupported_grant_type")
		return
	case s.opts.ClientID == "" || id != s.opts.ClientID || secret != s.Secret:
		s.oauthError(w, wantsJSON, "invalid_client")
		return
	}
	s.tokens.mu.Lock()
	refusal := s.tokens.refusal
	s.tokens.mu.Unlock()
	if s.uninstalled.Load() {
		refusal = RefuseAppNotInstalled
	}
	if refusal != "" {
		s.oauthError(w, wantsJSON, refusal)
		return
	}
	ttl := s.opts.TokenTTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	t := &accessToken{value: "shpat_" + randomHex(16), scopes: s.scopes(), expires: s.clock().Add(ttl)}
	s.tokens.mu.Lock()
	s.tokens.byValue[t.value] = t
	s.tokens.issued = append(s.tokens.issued, t.value)
	s.tokens.grants++
	s.tokens.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": t.value, "scope": strings.Join(t.scopes, ","), "expires_in": max(int64(ttl/time.Second)-1, 1),
	})
}

func (s *Server) oauthError(w http.ResponseWriter, wantsJSON bool, code string) {
	desc := oauthDescriptions[code]
	if wantsJSON {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "Oauth error %s: %s", code, desc)
}
