package server_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// heapInUse is the heap in use once the garbage collector has run (twice,
// so that pools it empties in two steps are empty).
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestRefusedKeyNamesAreForgotten sends checks whose context holds one
// distinct key name of 2 MB each: every one is refused, and what the
// server keeps of them afterwards is nothing, not 2 MB a call.
func TestRefusedKeyNamesAreForgotten(t *testing.T) {
	ts := newExampleServer(t)
	const calls, keyBytes = 80, 2 << 20
	send := func(i int) {
		key := fmt.Sprintf("App:Key%03d", i) + strings.Repeat("k", keyBytes) // distinct, and not lower case
		_, err := ts.client.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice,
			Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast(key, "v")})
		require.Equal(t, codes.InvalidArgument, status.Code(err), "call %d", i)
	}
	send(0) // the first call sets up what every call shares
	before := heapInUse()
	for i := 1; i <= calls; i++ {
		send(i)
	}
	after := heapInUse()
	growth := int64(after) - int64(before)
	t.Logf("heap in use %.1f MB before %d refused calls, %.1f MB after (%+.1f MB)",
		float64(before)/1e6, calls, float64(after)/1e6, float64(growth)/1e6)
	assert.LessOrEqual(t, growth, int64(5<<20), "heap growth in bytes")
}
