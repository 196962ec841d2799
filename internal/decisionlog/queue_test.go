package decisionlog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clippedContext is a request's context as the server hands it over: the
// request's own long values, given clipped to 256 bytes by Each.
type clippedContext map[string]string

func (c clippedContext) Each(f func(key string, values []string, multi bool)) {
	for k, v := range c {
		f(k, []string{v[:min(len(v), 256)]}, false)
	}
}

// bigRequest is a context of keys keys of size bytes each.
func bigRequest(keys, size int) clippedContext {
	c := clippedContext{}
	for i := range keys {
		c[fmt.Sprintf("key%02d", i)] = strings.Repeat(string(rune('a'+i%26)), size)
	}
	return c
}

// TestQueueBoundedInBytes logs records of large contexts while the sink
// blocks: the queue holds no more than QueueBytes, and what it cannot hold
// is dropped and counted as the records beyond QueueSize are.
func TestQueueBoundedInBytes(t *testing.T) {
	t.Parallel()
	const (
		n          = 1000
		queueBytes = 1 << 20
	)
	sink := &blockingSink{release: make(chan struct{})}
	logs, log := logBuffer()
	l := New(Config{QueueSize: n, QueueBytes: queueBytes, DropReportInterval: 10 * time.Millisecond}, sink, log)
	stop := start(t, l)
	r := Record{Method: "Check", Principal: "arn:aws:iam::111122223333:user/alice", Action: "s3:GetObject",
		Resource: "arn:aws:s3:::bucket/key", Decision: "Allow", Revision: 1, Context: bigRequest(60, 1024)}
	for range n {
		l.Log(r)
		assert.LessOrEqual(t, l.queuedBytes.Load(), int64(queueBytes), "bytes queued")
	}
	// 60 values of 256 bytes: some 16 KB a record, 64 of them in 1 MB,
	// and a few more in the writer's buffer or its blocked write.
	assert.Greater(t, l.Dropped(), uint64(n-100), "Dropped() with the sink blocked")
	waitFor(t, logs, `decision log dropped records`, "no warning about dropped records while the sink is blocked")
	close(sink.release)
	stop()
	got := lines(t, sink.String())
	assert.Equal(t, uint64(n), l.Dropped()+uint64(len(got)), "Dropped() %d + written %d", l.Dropped(), len(got))
	assert.Zero(t, l.queuedBytes.Load(), "bytes queued once written")
	require.NotEmpty(t, got)
	assert.Equal(t, strings.Repeat("a", 256), got[0]["context"].(map[string]any)["key00"])
}

// TestQueueRecordOverBound: a record whose size alone exceeds QueueBytes is
// dropped; the queue takes records again once the writer took the others.
func TestQueueRecordOverBound(t *testing.T) {
	t.Parallel()
	var sink syncBuffer
	l := New(Config{QueueBytes: 64 << 10}, &sink, nil)
	l.Log(Record{Decision: "Allow", Resource: strings.Repeat("x", 100<<10)})
	assert.Equal(t, uint64(1), l.Dropped(), "a record over QueueBytes")
	l.Log(Record{Decision: "Allow", Resource: "small"})
	stop := start(t, l)
	stop()
	got := lines(t, sink.String())
	require.Len(t, got, 1)
	assert.Equal(t, "small", got[0]["resource"])
}

// TestQueuedRecordHoldsACopy: a queued record holds the values its Context
// gave, clipped, in its own memory, and not the request's map or strings;
// its size counts those bytes, not the request's.
func TestQueuedRecordHoldsACopy(t *testing.T) {
	t.Parallel()
	l := New(Config{}, nil, nil)
	req := bigRequest(60, 1024)
	l.Log(Record{Decision: "Allow", RequestID: "r1", Principal: "p", Resource: "res", Context: req})
	for k := range req {
		req[k] = "changed" // the request's map is not the record's
	}
	q := <-l.queue
	require.IsType(t, frozenContext{}, q.r.Context)
	got := map[string]string{}
	q.r.Context.Each(func(k string, vs []string, multi bool) {
		assert.False(t, multi)
		require.Len(t, vs, 1)
		got[k] = vs[0]
	})
	require.Len(t, got, 60)
	for k, v := range got {
		assert.Len(t, v, 256, k)
		assert.Equal(t, strings.Repeat(v[:1], 256), v, k)
	}
	assert.Equal(t, []string{"r1", "p", "res"}, []string{q.r.RequestID, q.r.Principal, q.r.Resource})
	assert.Less(t, q.size, int64(60*(256+entryOverhead+valueOverhead+8)+recordOverhead+64), "size of a record of 60 values of 256 bytes")
	assert.Greater(t, q.size, int64(60*256), "size counts the values")
}

// TestFreezeKeepsLists: lists, empty lists and single values keep their
// shape.
func TestFreezeKeepsLists(t *testing.T) {
	t.Parallel()
	ctx := listContext{
		{key: "aws:TagKeys", values: []string{"a", "b"}, multi: true},
		{key: "aws:Empty", values: []string{}, multi: true},
		{key: "aws:SourceIp", values: []string{"192.0.2.1"}},
	}
	r := Record{Context: ctx}
	freeze(&r)
	var got listContext
	r.Context.Each(func(k string, vs []string, multi bool) {
		got = append(got, frozenEntry{key: k, values: append([]string{}, vs...), multi: multi})
	})
	assert.Equal(t, ctx, got)
}

type listContext []frozenEntry

func (c listContext) Each(f func(key string, values []string, multi bool)) {
	for _, e := range c {
		f(e.key, e.values, e.multi)
	}
}

// BenchmarkLogCopy is the cost of Log on the decision path: a record of a
// context of keys values of 1 KB, copied clipped into the queue.
func BenchmarkLogCopy(b *testing.B) {
	for _, keys := range []int{0, 6, 60} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			r := Record{Method: "Check", Principal: "arn:aws:iam::111122223333:user/alice", Action: "s3:GetObject",
				Resource: "arn:aws:s3:::bucket/key", Decision: "Allow", Revision: 1}
			if keys > 0 {
				r.Context = bigRequest(keys, 1024)
			}
			l := New(Config{QueueSize: 1}, nil, nil)
			b.ReportAllocs()
			for b.Loop() {
				l.Log(r)
				q := <-l.queue
				l.queuedBytes.Add(-q.size)
			}
		})
	}
}
