package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestWriteToVisibleBolt measures, on one pdp serve with the embedded bolt
// store, the time from sending a change to the first decision that reflects
// it.
func TestWriteToVisibleBolt(t *testing.T) {
	root, _ := filepath.Abs("..")
	dataDir := t.TempDir()
	args := []string{"--store", "bolt", "--data-dir", dataDir, "--seed", "examples/model", "--admin-write-rate", "1000", "--admin-write-burst", "100"}
	c := dialServer(t, startServer(t, pdpBinary(t), root, args...))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	var delays, applies []time.Duration
	for i := range 40 {
		member := i%2 == 0
		start := time.Now()
		rev := putCarol(ctx, t, c, member)
		applies = append(applies, time.Since(start))
		resp, err := carolReadsSegment(ctx, c, rev)
		require.NoError(t, err, "change %d at revision %d", i, rev)
		require.Equal(t, member, resp.GetDecision() == pdpv1.Decision_DECISION_ALLOW, "change %d at revision %d: carol allowed (%v)", i, rev, resp)
		delays = append(delays, time.Since(start))
	}
	slices.Sort(delays)
	slices.Sort(applies)
	t.Logf("bolt, one server, %d changes: apply (fsynced) p50 %v p99 %v; write to visible decision p50 %v p99 %v",
		len(delays), applies[len(applies)/2], applies[len(applies)*99/100], delays[len(delays)/2], delays[len(delays)*99/100])
}
