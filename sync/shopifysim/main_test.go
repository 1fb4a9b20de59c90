package shopifysim_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: a server sends its
// webhooks from a goroutine of its own, which Close must end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Idle keep-alive connections of the clients the tests use.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		// The timers of Server.Client's requests: go-shopify reads each answer's body for its
		// log and puts a copy in its place without closing the original, so the timer of
		// the client's 30-second Timeout runs out rather than stopping. It ends by itself.
		goleak.IgnoreTopFunction("net/http.setRequestCancel.func4"),
	)
}
