package metrics

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrape fetches /metrics from h and returns each sample's value by its
// name and labels as the text format writes them.
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET /metrics: %s", resp.Status)
	samples := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, "bad sample %q", line)
		samples[line[:i]] = v
	}
	return samples
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	m := New()
	for range 3 {
		m.Decision(MethodCheck, DecisionAllow)
	}
	m.Decision(MethodBatchCheck, DecisionExplicitDeny)
	m.Decision(MethodBatchCheck, DecisionError)
	m.Decision("Custom", "Maybe")
	m.StoreError("watch")
	m.StoreError("watch")
	m.SnapshotActivated(41, 20*time.Millisecond, time.Time{}) // a full read: no commit time
	m.SnapshotActivated(42, 3*time.Millisecond, time.Now().Add(-1500*time.Millisecond))
	m.SetDecisionLogDropped(func() uint64 { return 7 })

	got := scrape(t, m.Handler(false))
	want := map[string]float64{
		`pdp_decisions_total{decision="Allow",method="Check"}`:             3,
		`pdp_decisions_total{decision="ImplicitDeny",method="Check"}`:      0,
		`pdp_decisions_total{decision="ExplicitDeny",method="BatchCheck"}`: 1,
		`pdp_decisions_total{decision="Error",method="BatchCheck"}`:        1,
		`pdp_decisions_total{decision="Maybe",method="Custom"}`:            1,
		`pdp_snapshot_revision`:                         42,
		`pdp_store_errors_total{op="watch"}`:            2,
		`pdp_decision_log_dropped_total`:                7,
		`pdp_snapshot_build_seconds_count`:              2,
		`pdp_snapshot_build_seconds_bucket{le="0.005"}`: 1,
		`pdp_watch_lag_seconds_count`:                   1,
		`pdp_watch_lag_seconds_bucket{le="1"}`:          0,
		`pdp_watch_lag_seconds_bucket{le="2.5"}`:        1,
	}
	for name, w := range want {
		if assert.Contains(t, got, name) {
			assert.Equal(t, w, got[name], name)
		}
	}
	if assert.Contains(t, got, "pdp_snapshot_age_seconds") {
		assert.InDelta(t, 30, got["pdp_snapshot_age_seconds"], 30, "pdp_snapshot_age_seconds: a few seconds at most")
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		assert.Contains(t, got, name)
	}
}

func TestMetricsBeforeActivation(t *testing.T) {
	t.Parallel()
	got := scrape(t, New().Handler(false))
	for _, name := range []string{"pdp_snapshot_revision", "pdp_snapshot_age_seconds", "pdp_decision_log_dropped_total"} {
		if assert.Contains(t, got, name) {
			assert.Zero(t, got[name], name)
		}
	}
}

func TestRegistriesAreSeparate(t *testing.T) {
	t.Parallel()
	a, b := New(), New() // would panic on a shared registry
	a.Decision(MethodCheck, DecisionAllow)
	assert.Zero(t, scrape(t, b.Handler(false))[`pdp_decisions_total{decision="Allow",method="Check"}`],
		"a decision on one Metrics shows on another")
}

func TestHandlerPprof(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		pprof      bool
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "metrics", path: "/metrics", wantStatus: http.StatusOK, wantBody: "pdp_snapshot_revision"},
		{name: "pprof off", path: "/debug/pprof/", wantStatus: http.StatusNotFound},
		{name: "pprof off, profile", path: "/debug/pprof/goroutine", wantStatus: http.StatusNotFound},
		{name: "pprof on", pprof: true, path: "/debug/pprof/", wantStatus: http.StatusOK, wantBody: "goroutine"},
		{name: "pprof on, profile", pprof: true, path: "/debug/pprof/goroutine?debug=1", wantStatus: http.StatusOK, wantBody: "goroutine profile"},
		{name: "pprof on, cmdline", pprof: true, path: "/debug/pprof/cmdline", wantStatus: http.StatusOK},
		{name: "unknown path", pprof: true, path: "/", wantStatus: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(New().Handler(tc.pprof))
			defer srv.Close()
			resp, err := http.Get(srv.URL + tc.path)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tc.wantStatus, resp.StatusCode, "GET %s", tc.path)
			assert.Contains(t, string(body), tc.wantBody, "GET %s", tc.path)
		})
	}
}

func BenchmarkDecision(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.Decision(MethodCheck, DecisionAllow)
	}
}

func BenchmarkDecisionParallel(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Decision(MethodBatchCheck, DecisionImplicitDeny)
		}
	})
}
