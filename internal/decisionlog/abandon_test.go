package decisionlog

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stuckSink lets the first `pass` writes through, then blocks every write
// until release is closed, reporting each blocked write on entered.
type stuckSink struct {
	syncBuffer
	pass    int
	entered chan struct{}
	release chan struct{}

	mu     sync.Mutex
	writes int
}

func (s *stuckSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.writes++
	blocked := s.writes > s.pass
	s.mu.Unlock()
	if blocked {
		s.entered <- struct{}{}
		<-s.release
	}
	return s.syncBuffer.Write(p)
}

// TestAbandonCountsUndelivered blocks the sink after it took some records:
// Abandon counts exactly the records it has not taken as dropped, Run can
// be left behind, and a write that completes later is not counted again.
func TestAbandonCountsUndelivered(t *testing.T) {
	t.Parallel()
	sink := &stuckSink{pass: 1, entered: make(chan struct{}, 16), release: make(chan struct{})}
	l := New(Config{FlushInterval: time.Millisecond}, sink, nil)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = l.Run(ctx)
	}()
	var once sync.Once
	release := func() {
		once.Do(func() { close(sink.release) })
		<-ran
	}
	t.Cleanup(release)

	for range 2 {
		l.Log(Record{Decision: "Allow"})
	}
	require.Eventually(t, func() bool { return len(lines(t, sink.String())) == 2 }, 30*time.Second, time.Millisecond,
		"the first records to reach the sink")
	for range 3 {
		l.Log(Record{Decision: "Deny"})
	}
	select {
	case <-sink.entered:
	case <-time.After(30 * time.Second):
		require.FailNow(t, "no write reached the stuck sink")
	}
	cancel() // Run now blocks in the sink, with records still to write

	assert.Equal(t, uint64(3), l.Abandon())
	assert.Equal(t, uint64(3), l.Dropped())
	assert.Equal(t, uint64(0), l.Abandon(), "a second Abandon")
	l.Log(Record{Decision: "Allow"})
	assert.Equal(t, uint64(4), l.Dropped(), "a record logged after Abandon is dropped")

	release() // the blocked write completes, and Run returns
	assert.Equal(t, uint64(4), l.Dropped(), "records written after Abandon are not counted again")
}
