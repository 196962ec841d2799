package server

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestFanOutParallel checks that a batch of 1000 items is spread over the
// cores, each item decided once, and that a small one runs in order: the
// first item of the first chunk waits until the second chunk has begun,
// which can only happen when the chunks run at the same time.
func TestFanOutParallel(t *testing.T) {
	t.Parallel()
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("GOMAXPROCS < 2: batches are never spread")
	}
	s := New(Config{}, nil, nil)
	const n = 1000
	workers := min(runtime.GOMAXPROCS(0), (n+s.cfg.ParallelBatchThreshold-1)/s.cfg.ParallelBatchThreshold)
	secondChunk := (n + workers - 1) / workers
	started := make(chan struct{})
	var (
		mu    sync.Mutex
		calls = make([]int, n)
	)
	err := s.fanOut(t.Context(), n, func(i int) {
		switch i {
		case 0:
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Errorf("item %d never began while item 0 waited: the batch ran on one goroutine", secondChunk)
			}
		case secondChunk:
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
	if err := s.fanOut(t.Context(), s.cfg.ParallelBatchThreshold, func(i int) { order = append(order, i) }); err != nil {
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
