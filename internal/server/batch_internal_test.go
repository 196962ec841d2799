package server

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
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
				t.Errorf("item %d never began while item 0 waited: the batch ran on one goroutine", secondHalf)
			}
		case secondHalf:
			close(started)
		}
		mu.Lock()
		calls[i]++
		mu.Unlock()
	})
	if err != nil {
		t.Fatalf("fanOut: %v", err)
	}
	for i, c := range calls {
		if c != 1 {
			t.Errorf("item %d decided %d times, want 1", i, c)
		}
	}

	var order []int
	if err := s.fanOut(t.Context(), nil, s.cfg.ParallelBatchThreshold, func(_ *scratch, i int) { order = append(order, i) }); err != nil {
		t.Fatalf("fanOut: %v", err)
	}
	want := make([]int, s.cfg.ParallelBatchThreshold)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(order, want) {
		t.Errorf("small batch ran in order %v, want %v", order, want)
	}
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
	if err := s.prepareItem(sc, snap, it, &shared, tk); err != nil {
		t.Fatal(err)
	}
	keys := sc.ctx.Len()
	allocs := testing.AllocsPerRun(100, func() {
		if err := s.prepareItem(sc, snap, it, &shared, tk); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("preparing the same item again allocates %v times, want 0", allocs)
	}
	if sc.ctx.Len() != keys || keys < 8 {
		t.Errorf("the context holds %d keys, %d after the first item (want at least 8: clock, caller, principal, tags)", sc.ctx.Len(), keys)
	}
}
