package shopifyapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// go-shopify v4.7.0 fixes a client's access token when the client is built. A
// client-credentials token lives 24 hours and is renewed while the client lives, so kassa
// builds go-shopify's client without a token and sets X-Shopify-Access-Token per request in
// authTransport, from a TokenSource; a 401 answer makes it renew the token once and send the
// request again.

// TokenSource gives the access token of a shop's requests.
type TokenSource interface {
	// Token returns the token to send now.
	Token(ctx context.Context) (string, error)
	// Renew is called after Shopify answered rejected with 401. It returns another token
	// (a new one, or one another process obtained meanwhile), or ErrCannotRenew when the
	// token cannot be renewed (a legacy app's static token).
	Renew(ctx context.Context, rejected string) (string, error)
}

// ErrCannotRenew is what a TokenSource's Renew returns when its token cannot be renewed.
var ErrCannotRenew = errors.New("the access token cannot be renewed")

// StaticToken is the token of a legacy (admin-created) custom app: it never changes.
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// Renew returns ErrCannotRenew: a static token is what it is.
func (t StaticToken) Renew(context.Context, string) (string, error) { return "", ErrCannotRenew }

// AuthError is a request Shopify refused even after the access token was renewed, or whose
// token could not be renewed because Shopify refused the app's credentials. It matches
// ErrUnauthorized.
type AuthError struct {
	Shop string
	// Cause is why a new token could not be had; nil when Shopify refused the new token.
	Cause error
}

func (e *AuthError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("Shopify refused the access token of %s and a new one could not be had: %v", e.Shop, e.Cause)
	}
	return fmt.Sprintf("Shopify refused the access token of %s, and the new one it had just issued as well: check in the Dev Dashboard that the app is installed on the store and has its access scopes", e.Shop)
}

// Unwrap matches ErrUnauthorized and the cause.
func (e *AuthError) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrUnauthorized, e.Cause}
	}
	return []error{ErrUnauthorized}
}

// authTransport sets each request's access token and renews it once on a 401.
type authTransport struct {
	shop   string
	tokens TokenSource
	next   http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	tok, err := t.tokens.Token(ctx)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		var oe *OAuthError
		if errors.As(err, &oe) {
			// Shopify refuses the app a token: the request is unauthorized.
			return nil, &AuthError{Shop: t.shop, Cause: err}
		}
		return nil, err
	}
	r := req.Clone(ctx)
	r.Header.Set("X-Shopify-Access-Token", tok)
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil // the request cannot be sent again
	}
	fresh, rerr := t.tokens.Renew(ctx, tok)
	if errors.Is(rerr, ErrCannotRenew) {
		return resp, nil
	}
	resp.Body.Close()
	if rerr != nil {
		var oe *OAuthError
		if errors.As(rerr, &oe) {
			// Shopify refused the app's credentials: the request is unauthorized.
			return nil, &AuthError{Shop: t.shop, Cause: rerr}
		}
		return nil, rerr
	}
	r = req.Clone(ctx)
	if req.GetBody != nil {
		if r.Body, err = req.GetBody(); err != nil {
			return nil, fmt.Errorf("rewind request body: %w", err)
		}
	}
	r.Header.Set("X-Shopify-Access-Token", fresh)
	resp, err = t.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		resp.Body.Close()
		return nil, &AuthError{Shop: t.shop}
	}
	return resp, err
}

// unwrapAuth drops the URL net/http puts in front of an AuthError: the URL says nothing
// staff need, the AuthError says what to do.
func unwrapAuth(err error) error {
	var ae *AuthError
	var ue *url.Error
	if errors.As(err, &ue) && errors.As(ue.Err, &ae) {
		return ae
	}
	return err
}
