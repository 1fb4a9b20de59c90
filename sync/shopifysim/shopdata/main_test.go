package shopdata

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: Generate builds a
// shop's orders on several goroutines at once, which all end before it returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
