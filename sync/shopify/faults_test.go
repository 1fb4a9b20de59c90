package shopify

import (
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// TestFaultsEndLikeACleanRun imports the same shop twice, once cleanly and once with the
// simulator answering 5 % of requests with a 5xx, 5 % with a 429 and dropping 2 % of the
// connections: the two databases end in the same state.
func TestFaultsEndLikeACleanRun(t *testing.T) {
	t.Parallel()
	gen := func() *shopdata.GenerateOptions { return &shopdata.GenerateOptions{Seed: 21, Orders: 250, Days: 40} }
	// Through REST, which pages many times (the GraphQL export is one download: see
	// TestBulkImportSurvives).
	clean := newFixture(t, fixtureOptions{sim: shopifysim.Options{Generate: gen()}, orderAPI: OrderAPIREST})
	faulty := newFixture(t, fixtureOptions{sim: shopifysim.Options{Generate: gen(), MinRetryAfter: 20 * time.Millisecond,
		Faults: shopifysim.FaultConfig{Seed: 11, Rate5xx: 0.05, Rate429: 0.05, RateDrop: 0.02}}, orderAPI: OrderAPIREST})
	clean.im.PageSize, faulty.im.PageSize = 10, 10
	want := clean.run(ModeAll)
	got := faulty.run(ModeAll)
	if got.Outcomes != want.Outcomes || got.Seen != want.Seen {
		t.Fatalf("with faults %+v seen %d, clean %+v seen %d", got.Outcomes, got.Seen, want.Outcomes, want.Seen)
	}
	faults := faulty.srv.Stats().Faults
	if faults["5xx"] == 0 || faults["429"] == 0 || faults["drop"] == 0 {
		t.Fatalf("the simulator injected too few faults: %v", faults)
	}
	t.Logf("faults injected: %v", faults)
	if a, b := salesDump(t, faulty.db), salesDump(t, clean.db); a != b {
		t.Error("the sales differ from a clean run's")
	}
	if !equalStock(faulty.stock(), clean.stock()) {
		t.Error("the stock differs from a clean run's")
	}
}
