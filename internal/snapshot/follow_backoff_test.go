package snapshot

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestBackoffJitter: every delay lies between half its step and the step,
// the steps double up to the maximum, and the delays of one step are not
// all the same, so servers that lost one store do not retry in lockstep.
func TestBackoffJitter(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	b := &backoff{next: backoffFirst, int64N: r.Int64N}
	step := backoffFirst
	for range 10 {
		d := b.delay()
		assert.GreaterOrEqual(t, d, step/2, "step %v", step)
		assert.LessOrEqual(t, d, step, "step %v", step)
		step = min(2*step, backoffMax)
	}
	assert.Equal(t, backoffMax, b.next)
	seen := map[time.Duration]bool{}
	for range 20 {
		d := b.delay()
		assert.GreaterOrEqual(t, d, backoffMax/2)
		assert.LessOrEqual(t, d, backoffMax)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 1, "20 delays at the maximum step are all %v", seen)
	b.reset()
	assert.LessOrEqual(t, b.delay(), backoffFirst, "after reset")
}

// TestBackoffBounds: a source at its extremes gives the step's bounds.
func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	low := &backoff{next: time.Second, int64N: func(int64) int64 { return 0 }}
	assert.Equal(t, 500*time.Millisecond, low.delay())
	high := &backoff{next: time.Second, int64N: func(n int64) int64 { return n - 1 }}
	assert.Equal(t, time.Second, high.delay())
}
