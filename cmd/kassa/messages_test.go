package main

import (
	"strings"
	"testing"
)

// internals are traces of Go, the driver or the libraries in a message: staff should
// never read them.
var internals = []string{"strconv.", "json:", "Go struct", "Go value", "sql:", "pq:", "goose", "partial migration",
	"unmarshal", "invalid syntax", "dial tcp", "context canceled", "context deadline", "EOF", "<nil>", "%!", "runtime error", "panic"}

// repeated returns a part of msg that it says twice ("session 99: session 99: not
// found"), or "".
func repeated(msg string) string {
	seen := map[string]bool{}
	for _, part := range strings.Split(msg, ": ") {
		part = strings.TrimSpace(strings.TrimPrefix(part, "kassa"))
		if len(part) < 3 {
			continue
		}
		if seen[part] {
			return part
		}
		seen[part] = true
	}
	return ""
}

// assertNoInternals fails the test when msg carries Go internals or a repeated prefix.
func assertNoInternals(t *testing.T, msg string) {
	t.Helper()
	for _, bad := range internals {
		if strings.Contains(msg, bad) {
			t.Errorf("message %q shows %q", msg, bad)
		}
	}
	if part := repeated(msg); part != "" {
		t.Errorf("message %q says %q twice", msg, part)
	}
}
