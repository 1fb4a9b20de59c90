package shopifysim

import (
	"net/http"
	"strings"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"
)

// Transport returns a RoundTripper that sends requests for https://{shop}/... (the server's
// shop) to the simulator over plain HTTP, and everything else to next (default
// http.DefaultTransport). go-shopify has no base-URL option; pass the transport in with
// goshopify.WithHTTPClient.
func (s *Server) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &rewriteTransport{shop: strings.ToLower(s.Shop), target: s.hostPort, next: next, own: s.clientTransport()}
}

// clientTransport is a dedicated transport for simulator traffic, so that closing the
// simulator can be paired with closing the client's idle connections.
func (s *Server) clientTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
}

type rewriteTransport struct {
	shop   string
	target string
	next   http.RoundTripper
	own    *http.Transport
}

// RoundTrip sends requests for the shop to the simulator and others to next.
func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Hostname(), t.shop) {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme = "http"
	r.URL.Host = t.target
	r.Host = t.shop
	return t.own.RoundTrip(r)
}

// CloseIdleConnections closes the transport's idle connections to the simulator.
func (t *rewriteTransport) CloseIdleConnections() {
	t.own.CloseIdleConnections()
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Client returns a go-shopify client for the shop, authenticated with the server's token and
// reaching the simulator through Transport. opts are applied after the HTTP client option,
// so they may add a version, retries or a logger.
func (s *Server) Client(app goshopify.App, opts ...goshopify.Option) (*goshopify.Client, error) {
	hc := &http.Client{Transport: s.Transport(nil), Timeout: 30 * time.Second}
	all := append([]goshopify.Option{goshopify.WithHTTPClient(hc)}, opts...)
	return goshopify.NewClient(app, s.Shop, s.Token, all...)
}
