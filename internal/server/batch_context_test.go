package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestBatchCheckItemContextRecorded checks that the decision record of a
// batch item holds the context the item was decided with: the batch's
// keys, with the item's own keys over them.
func TestBatchCheckItemContextRecorded(t *testing.T) {
	t.Parallel()
	ls := newLoggedServer(t, server.Config{})
	resp, err := ls.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Principal: alice, Context: usEast(), Items: []*pdpv1.BatchCheckItem{
		getCampaign("", springSale),
		getCampaign("", springSale, "aws:SecureTransport", "false", "aws:UserAgent", "sdk"),
		getCampaign("", springSale),
	}})
	require.NoError(t, err)
	var got []pdpv1.Decision
	for _, r := range resp.GetResults() {
		got = append(got, r.GetDecision())
	}
	assert.Equal(t, []pdpv1.Decision{allow, pdpv1.Decision_DECISION_IMPLICIT_DENY, allow}, got)
	ls.mu.Lock()
	defer ls.mu.Unlock()
	require.Len(t, ls.records, 3)
	shared := map[string][]string{"aws:RequestedRegion": {"us-east-1"}, "aws:SecureTransport": {"true"}, "aws:SourceIp": {"203.0.113.7"}}
	merged := map[string][]string{"aws:RequestedRegion": {"us-east-1"}, "aws:SecureTransport": {"false"}, "aws:SourceIp": {"203.0.113.7"},
		"aws:UserAgent": {"sdk"}}
	for i, want := range []map[string][]string{shared, merged, shared} {
		r := ls.records[i]
		require.True(t, r.InBatch)
		require.Equal(t, i, r.Index)
		require.NotNil(t, r.Context, "record of item %d", r.Index)
		ctx := map[string][]string{}
		r.Context.Each(func(key string, values []string, _ bool) { ctx[key] = values })
		assert.Equal(t, want, ctx, "context of item %d", r.Index)
	}
}
