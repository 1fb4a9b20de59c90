package main

import (
	"strings"
	"testing"
)

// TestServeRefusesNoWebhookReaders refuses --webhook-readers below 1 before it touches
// the database.
func TestServeRefusesNoWebhookReaders(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"0", "-3"} {
		code, _, errOut := kassa(t, "postgres://nobody@127.0.0.1:1/none?sslmode=disable", "serve", "--webhook-readers", n)
		if code == 0 || !strings.Contains(errOut, "--webhook-readers must be at least 1") {
			t.Errorf("--webhook-readers %s: exit %d, %q", n, code, errOut)
		}
	}
}
