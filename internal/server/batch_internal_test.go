package server

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// TestFanOutParallel checks that a batch of 1000 items is spread over the
// cores, each item decided once, and that a small one runs in order: item 0
// waits until an item of the second half has begun, which can only happen
// when goroutines run at the same time.
func TestFanOutParallel(t *testing.T) {
	t.Parallel()
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("GOMAXPROCS < 2: batches are never spread")
	}
	s := New(Config{}, nil, nil)
	const n = 1000
	secondHalf := n / 2
	started := make(chan struct{})
	var (
		mu    sync.Mutex
		calls = make([]int, n)
	)
	err := s.fanOut(t.Context(), nil, n, func(_ *scratch, i int) {
		switch i {
		case 0:
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				assert.Fail(t, "item 0 waited alone", "item %d never began while item 0 waited: the batch ran on one goroutine", secondHalf)
			}
		case secondHalf:
			close(started)
		}
		mu.Lock()
		calls[i]++
		mu.Unlock()
	})
	require.NoError(t, err, "fanOut")
	for i, c := range calls {
		assert.Equal(t, 1, c, "times item %d was decided", i)
	}

	var order []int
	err = s.fanOut(t.Context(), nil, s.cfg.ParallelBatchThreshold, func(_ *scratch, i int) { order = append(order, i) })
	require.NoError(t, err, "fanOut")
	want := make([]int, s.cfg.ParallelBatchThreshold)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, order, "order of a small batch")
}

// TestPrepareKeepsContext checks that an item like the last one a scratch
// prepared, with the batch's context checked once, reuses the context
// built for it: preparing it again allocates nothing. Items that differ
// from the last in principal or resource are covered by
// TestPrepareMatchesReference.
func TestPrepareKeepsContext(t *testing.T) {
	s, snap := exampleServer(t)
	str := func(v string) *pdpv1.ContextValue {
		return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v}}
	}
	var shared callerKeys
	s.checkCallerKeys(&shared, map[string]*pdpv1.ContextValue{"aws:SourceIp": str("203.0.113.7"), "aws:SecureTransport": str("true")})
	it := &item{principal: "arn:aws:iam::111122223333:user/alice", action: "mobiletargeting:GetCampaign",
		resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale"}
	sc := s.getScratch(snap)
	defer s.putScratch(sc)
	tk := s.clockKeys(time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC))
	require.NoError(t, s.prepareItem(sc, snap, it, &shared, tk))
	keys := sc.ctx.Len()
	allocs := testing.AllocsPerRun(100, func() {
		require.NoError(t, s.prepareItem(sc, snap, it, &shared, tk))
	})
	assert.Zero(t, allocs, "allocations of preparing the same item again")
	assert.Equal(t, keys, sc.ctx.Len(), "keys in the context after preparing the same item again")
	assert.GreaterOrEqual(t, keys, 8, "keys in the context after the first item (clock, caller, principal, tags)")
}

// TestSessionPoliciesCompiledOnce checks that items carrying the same
// session policy texts, the batch's inherited by its items or equal texts
// sent again, are decided with one compiled set, so that a batch of 1,000
// items under 160 KB of session policies compiles them once, not 1,000
// times; that other texts are compiled for themselves; and that texts that
// do not compile keep failing.
func TestSessionPoliciesCompiledOnce(t *testing.T) {
	s, snap := exampleServer(t)
	const (
		campaigns = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetCampaign*","Resource":"*"}]}`
		segments  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetSegment*","Resource":"*"}]}`
	)
	sc := s.getScratch(snap)
	defer s.putScratch(sc)
	tk := s.clockKeys(time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC))
	session := func(policies ...string) *engine.PolicySet {
		t.Helper()
		it := &item{principal: "arn:aws:sts::111122223333:assumed-role/analyst/report-job", action: "mobiletargeting:GetCampaign",
			resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale", sessionPolicies: policies}
		require.NoError(t, s.prepareItem(sc, snap, it, nil, tk))
		require.NotNil(t, sc.in.policies.Session)
		return sc.in.policies.Session
	}
	batch := []string{campaigns, segments}
	first := session(batch...)
	assert.Same(t, first, session(batch...), "the batch's policies, inherited by its next item")
	// Equal texts in strings of their own, as the next request sends them.
	again := []string{string([]byte(campaigns)), string([]byte(segments))}
	assert.Same(t, first, session(again...), "equal texts of another request")
	other := session(segments)
	assert.NotSame(t, first, other, "other texts")
	assert.NotSame(t, other, session(segments, campaigns), "the same texts in another order")

	it := &item{principal: "arn:aws:sts::111122223333:assumed-role/analyst/report-job", action: "mobiletargeting:GetCampaign",
		resource: "*", sessionPolicies: []string{`{`}}
	for range 2 {
		var perrs engine.Errors
		assert.ErrorAs(t, s.prepareItem(sc, snap, it, nil, tk), &perrs, "a session policy that does not parse")
	}
}
