package decisionlog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/logbuf"
)

// syncBuffer is a sink that tests read, and wait on, while the writer
// writes.
type syncBuffer = logbuf.Buffer

// waitFor waits until what b holds matches re, failing the test after 5s.
func waitFor(t *testing.T, b *syncBuffer, re string, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NotNil(t, b.Wait(ctx, regexp.MustCompile(re)), "%s within 5s; got:\n%s", what, b.String())
}

// start runs l until the returned function is called, which waits for Run
// to return.
func start(t testing.TB, l *Logger) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	return func() {
		cancel()
		assert.NoError(t, <-done, "Run")
	}
}

// lines decodes every line of out as a JSON object.
func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var got []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "line %d is not a JSON object:\n%s", len(got)+1, sc.Text())
		got = append(got, m)
	}
	return got
}

var testTime = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.FixedZone("CET", 3600))

func TestLogEntries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		record Record
		want   map[string]any
	}{
		{
			name: "check",
			record: Record{Time: testTime, RequestID: "req-1", Caller: "10.0.0.7:51234", Method: "Check",
				Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetSegment",
				Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/segments/s1", Decision: "Allow", Revision: 42},
			want: map[string]any{"time": "2026-03-14T14:09:26.535897000Z", "request_id": "req-1", "caller": "10.0.0.7:51234",
				"method": "Check", "principal": "arn:aws:iam::111122223333:user/alice", "action": "mobiletargeting:GetSegment",
				"resource": "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/segments/s1", "decision": "Allow", "revision": 42.0},
		},
		{
			name: "batch item with explanation and context",
			record: Record{Time: testTime, Method: "BatchCheck", Principal: "p", Action: "a", Resource: "*",
				Decision: "ExplicitDeny", Revision: 7, InBatch: true, Index: 0,
				Matched: []Statement{
					{Type: "identity", Policy: "campaign-admins", Sid: "ReadCampaigns", Index: 2, Effect: "Allow"},
					{Type: "scp", Level: 1, Policy: "deny-eu", Index: 0, Effect: "Deny"},
				},
				Context: testContext{"aws:SourceIp": {"192.0.2.1"}, "aws:TagKeys": {"team", "cost\"center"}, "aws:Empty": nil}},
			want: map[string]any{"time": "2026-03-14T14:09:26.535897000Z", "request_id": "", "caller": "", "method": "BatchCheck",
				"principal": "p", "action": "a", "resource": "*", "decision": "ExplicitDeny", "revision": 7.0, "batch_index": 0.0,
				"matched": []any{
					map[string]any{"type": "identity", "level": 0.0, "policy": "campaign-admins", "sid": "ReadCampaigns", "index": 2.0, "effect": "Allow"},
					map[string]any{"type": "scp", "level": 1.0, "policy": "deny-eu", "sid": "", "index": 0.0, "effect": "Deny"},
				},
				"context": map[string]any{"aws:SourceIp": "192.0.2.1", "aws:TagKeys": []any{"team", "cost\"center"}, "aws:Empty": []any{}}},
		},
		{
			name:   "batch item error",
			record: Record{Time: testTime, Method: "BatchCheck", Principal: "bad\narn", Action: "a", Resource: "r", Error: `malformed "bad\narn"`, Revision: 3, InBatch: true, Index: 12},
			want: map[string]any{"time": "2026-03-14T14:09:26.535897000Z", "request_id": "", "caller": "", "method": "BatchCheck",
				"principal": "bad\narn", "action": "a", "resource": "r", "decision": "", "error": `malformed "bad\narn"`, "revision": 3.0, "batch_index": 12.0},
		},
		{
			name:   "empty explanation",
			record: Record{Time: testTime, Decision: "ImplicitDeny", Matched: []Statement{}, Context: Values{"k": "v"}},
			want: map[string]any{"time": "2026-03-14T14:09:26.535897000Z", "request_id": "", "caller": "", "method": "",
				"principal": "", "action": "", "resource": "", "decision": "ImplicitDeny", "revision": 0.0, "matched": []any{},
				"context": map[string]any{"k": "v"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var sink syncBuffer
			l := New(Config{}, &sink, nil)
			stop := start(t, l)
			l.Log(tc.record)
			stop()
			got := lines(t, sink.String())
			require.Len(t, got, 1, "lines:\n%s", sink.String())
			assert.Equal(t, tc.want, got[0], "record")
		})
	}
}

// testContext is a Context with lists: one element is a single value,
// except that nil is an empty list.
type testContext map[string][]string

func (c testContext) Each(f func(string, []string, bool)) {
	for k, v := range c {
		f(k, v, len(v) != 1)
	}
}

func TestLogSetsTime(t *testing.T) {
	t.Parallel()
	var sink syncBuffer
	l := New(Config{}, &sink, nil)
	stop := start(t, l)
	before := time.Now()
	l.Log(Record{Decision: "Allow"})
	stop()
	got := lines(t, sink.String())
	require.Len(t, got, 1, "lines")
	ts, _ := got[0]["time"].(string)
	when, err := time.Parse(time.RFC3339Nano, ts)
	assert.NoError(t, err, "time %q: want RFC 3339", ts)
	assert.True(t, strings.HasSuffix(ts, "Z"), "time %q: want UTC", ts)
	assert.True(t, !when.Before(before.Add(-time.Second)) && !when.After(time.Now()), "time %q: want near %v", ts, before)
}

func TestLogFlushesWhileRunning(t *testing.T) {
	t.Parallel()
	var sink syncBuffer
	l := New(Config{FlushInterval: 20 * time.Millisecond}, &sink, nil)
	stop := start(t, l)
	defer stop()
	l.Log(Record{Time: testTime, Decision: "Allow"})
	waitFor(t, &sink, `(?s).`, "record not flushed while Run runs")
}

// blockingSink blocks every Write until release is closed.
type blockingSink struct {
	release chan struct{}
	syncBuffer
}

func (s *blockingSink) Write(p []byte) (int, error) {
	<-s.release
	return s.syncBuffer.Write(p)
}

// logBuffer collects the logger's own slog lines.
func logBuffer() (*syncBuffer, *slog.Logger) {
	var b syncBuffer
	return &b, slog.New(slog.NewTextHandler(&b, nil))
}

func TestLogNeverBlocks(t *testing.T) {
	t.Parallel()
	const n = 100_000
	sink := &blockingSink{release: make(chan struct{})}
	logs, log := logBuffer()
	l := New(Config{QueueSize: 1000, DropReportInterval: 10 * time.Millisecond}, sink, log)
	stop := start(t, l)
	r := Record{Method: "Check", Principal: "arn:aws:iam::111122223333:user/alice", Action: "s3:GetObject",
		Resource: "arn:aws:s3:::bucket/key", Decision: "Allow", Revision: 1}
	begin := time.Now()
	for range n {
		l.Log(r)
	}
	t.Logf("%d Log calls with the sink blocked: %v", n, time.Since(begin))
	require.NotZero(t, l.Dropped(), "Dropped() with the sink blocked")
	waitFor(t, logs, `decision log dropped records`, "no warning about dropped records while the sink is blocked")
	close(sink.release)
	stop()
	written := uint64(len(lines(t, sink.String())))
	assert.Equal(t, uint64(n), l.Dropped()+written, "Dropped() %d + written %d", l.Dropped(), written)
	assert.Contains(t, logs.String(), "dropped_total=", "warning does not say how many were dropped")
}

func TestDropWarningsAreSpaced(t *testing.T) {
	t.Parallel()
	logs, log := logBuffer()
	l := New(Config{QueueSize: 1, DropReportInterval: time.Hour}, io.Discard, log)
	l.Log(Record{}) // fills the queue: Run is not running yet
	for range 10 {
		l.Log(Record{}) // dropped
	}
	stop := start(t, l)
	waitFor(t, logs, `dropped=10 `, "no first warning")
	for range 5 {
		l.Log(Record{}) // queued or dropped: no second warning within the interval
		time.Sleep(time.Millisecond)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "decision log dropped records"), "warnings within one interval:\n%s", logs.String())
	stop()
}

// failingSink fails writes while fail is set.
type failingSink struct {
	mu   sync.Mutex
	fail bool
	syncBuffer
}

func (s *failingSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail {
		return 0, errors.New("disk full")
	}
	return s.syncBuffer.Write(p)
}

func TestLogWriteErrors(t *testing.T) {
	t.Parallel()
	sink := &failingSink{fail: true}
	logs, log := logBuffer()
	l := New(Config{FlushInterval: time.Millisecond}, sink, log)
	stop := start(t, l)
	for range 3 {
		l.Log(Record{Decision: "Allow"})
	}
	require.Eventually(t, func() bool { return l.Dropped() >= 3 }, 5*time.Second, time.Millisecond,
		"records of failed writes not counted as dropped")
	sink.mu.Lock()
	sink.fail = false
	sink.mu.Unlock()
	l.Log(Record{Decision: "ImplicitDeny"})
	stop()
	got := lines(t, sink.String())
	if assert.Len(t, got, 1, "after the sink recovered, want the one later record") {
		assert.Equal(t, "ImplicitDeny", got[0]["decision"], "after the sink recovered")
	}
	assert.Contains(t, logs.String(), "decision log write failed", "write error not logged")
	assert.Contains(t, logs.String(), "disk full", "write error not logged")
}

func TestLogLongRecord(t *testing.T) {
	t.Parallel()
	var sink syncBuffer
	l := New(Config{}, &sink, nil)
	stop := start(t, l)
	long := strings.Repeat("x", 3*bufferSize)
	l.Log(Record{Decision: "Allow", Resource: "short"})
	l.Log(Record{Decision: "Allow", Resource: long})
	l.Log(Record{Decision: "Allow", Resource: "after"})
	stop()
	got := lines(t, sink.String())
	if assert.Len(t, got, 3, "lines, want short, long, after in order") {
		assert.Equal(t, []any{"short", long, "after"}, []any{got[0]["resource"], got[1]["resource"], got[2]["resource"]}, "resources in order")
	}
}

func TestRunTwice(t *testing.T) {
	t.Parallel()
	l := New(Config{}, io.Discard, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.NoError(t, l.Run(ctx), "first Run")
	assert.Error(t, l.Run(t.Context()), "second Run")
}

func TestNilLogger(t *testing.T) {
	t.Parallel()
	var l *Logger
	l.Log(Record{})
	assert.Zero(t, l.Dropped(), "nil Logger dropped records")
}

// TestLoggerWithRotatingFile: every record reaches the files, whole, across
// rotations. The queue holds them all, so none may be dropped.
func TestLoggerWithRotatingFile(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/decisions.log"
	rf := &RotatingFile{Path: path, MaxBytes: 4096, MaxBackups: 100}
	const n = 2000
	l := New(Config{QueueSize: n}, rf, nil)
	stop := start(t, l)
	for i := range n {
		l.Log(Record{Decision: "Allow", InBatch: true, Index: i})
	}
	stop()
	require.NoError(t, rf.Close())
	require.Zero(t, l.Dropped(), "records dropped with room for all in the queue")
	seen, files := 0, 0
	for i := 100; i >= 0; i-- {
		name := path
		if i > 0 {
			name = fmt.Sprintf("%s.%d", path, i)
		}
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		files++
		seen += len(lines(t, string(data)))
	}
	assert.Equal(t, n, seen, "whole lines across the files")
	assert.Greater(t, files, 1, "no rotation happened")
}

func BenchmarkLog(b *testing.B) {
	r := Record{Method: "Check", RequestID: "4bf92f3577b34da6", Caller: "10.0.0.7:51234",
		Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetSegment",
		Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/segments/s1", Decision: "Allow", Revision: 42,
		Context: Values{"aws:SourceIp": "192.0.2.1"}}
	b.Run("writer=discard", func(b *testing.B) {
		l := New(Config{}, io.Discard, nil)
		stop := start(b, l)
		defer stop()
		b.ReportAllocs()
		for b.Loop() {
			l.Log(r)
		}
		b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
	})
	b.Run("queue=full", func(b *testing.B) {
		l := New(Config{QueueSize: 1}, io.Discard, nil)
		l.Log(r)
		b.ReportAllocs()
		for b.Loop() {
			l.Log(r)
		}
	})
	b.Run("writer=discard/parallel", func(b *testing.B) {
		l := New(Config{}, io.Discard, nil)
		stop := start(b, l)
		defer stop()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Log(r)
			}
		})
		b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
	})
}
