package snapshot

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine they started is
// still running when they end: compiling and following start goroutines,
// and every one of them is waited for.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
