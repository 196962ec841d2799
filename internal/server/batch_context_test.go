package server_test

import (
	"fmt"
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

// TestBatchCheckItemKeyReplacesBatchKeyInAnyCase checks that an item's key
// replaces the batch's key of the same name in another case (condition
// keys are case-insensitive), and that a batch context holding one key in
// two cases is refused for every item rather than decided by map order.
func TestBatchCheckItemKeyReplacesBatchKeyInAnyCase(t *testing.T) {
	t.Parallel()
	ls := newLoggedServer(t, server.Config{})
	resp, err := ls.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Principal: alice, Context: usEast(), Items: []*pdpv1.BatchCheckItem{
		getCampaign("", springSale),
		getCampaign("", springSale, "AWS:SECURETRANSPORT", "false"),
	}})
	require.NoError(t, err)
	require.Len(t, resp.GetResults(), 2)
	assert.Equal(t, allow, resp.GetResults()[0].GetDecision())
	assert.Nil(t, resp.GetResults()[1].GetError(), "an item's key in another case replaces the batch's")
	assert.Equal(t, pdpv1.Decision_DECISION_IMPLICIT_DENY, resp.GetResults()[1].GetDecision(), "decided with the item's value")
	ls.mu.Lock()
	rec := ls.records[1].Context
	ls.mu.Unlock()
	ctx := map[string][]string{}
	rec.Each(func(key string, values []string, _ bool) { ctx[key] = values })
	assert.Equal(t, map[string][]string{"aws:RequestedRegion": {"us-east-1"}, "AWS:SECURETRANSPORT": {"false"}, "aws:SourceIp": {"203.0.113.7"}}, ctx)

	twice := usEast("AWS:requestedregion", "us-west-2")
	resp, err = ls.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Principal: alice, Context: twice, Items: []*pdpv1.BatchCheckItem{
		getCampaign("", springSale),
		getCampaign("", springSale, "aws:UserAgent", "sdk"),
	}})
	if err == nil {
		for i, r := range resp.GetResults() {
			require.NotNil(t, r.GetError(), "item %d was decided (%v) with one key given twice", i, r.GetDecision())
			assert.Contains(t, r.GetError().GetMessage()+fmt.Sprint(r.GetError()), "case-insensitive", "item %d", i)
		}
		return
	}
	assert.Contains(t, err.Error(), "case-insensitive")
}
