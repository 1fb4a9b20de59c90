package terminal_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// TestShopifyScreenListsOrdersLeavingShopify: an order that failed to import and leaves
// Shopify's 60-day window in 5 days is listed on the Shopify screen with its age and
// reason, its hostile name cleaned; one that leaves in 20 days is not.
func TestShopifyScreenListsOrdersLeavingShopify(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	now := terminaltest.Now()
	w.FailedOrder(990001, "#90\x1b[2J01", now.Add(-55*24*time.Hour), "totals differ: Shopify 66.49, kassa 66.48")
	w.FailedOrder(990002, "#9002", now.Add(-40*24*time.Hour), "an unknown tax")
	d := newDriver(t, w, w.Cashier)
	d.keys("f3")
	d.expectContains("Failed, leaving Shopify's 60 days within 7 days", "#90[2J01   55 days old, gone", "totals differ")
	if s := d.screen(); strings.Contains(s, "#9002") {
		t.Errorf("an order leaving Shopify in 20 days is listed:\n%s", s)
	}
	cleanScreen(t, d, 80)
}
