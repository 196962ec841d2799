package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	hundred := make(latencies, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * ms // descending: percentile sorts
	}
	for _, tc := range []struct {
		name   string
		values latencies
		p      float64
		want   time.Duration
	}{
		{name: "none", values: nil, p: 50, want: 0},
		{name: "one", values: latencies{7 * ms}, p: 99, want: 7 * ms},
		{name: "median of odd", values: latencies{5 * ms, 1 * ms, 3 * ms}, p: 50, want: 3 * ms},
		{name: "median of even is the lower middle", values: latencies{4 * ms, 1 * ms, 3 * ms, 2 * ms}, p: 50, want: 2 * ms},
		{name: "p99 of 100", values: hundred, p: 99, want: 99 * ms},
		{name: "p50 of 100", values: hundred, p: 50, want: 50 * ms},
		{name: "max", values: hundred, p: 100, want: 100 * ms},
		{name: "p99 of 10 is the max", values: hundred[90:], p: 99, want: 10 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.values.percentile(tc.p))
		})
	}
}

// TestPrintCluster checks the tables and the verdicts on figures chosen
// on either side of each target, and that errors are counted and quoted.
func TestPrintCluster(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	res := &clusterResults{
		checks: []checkRow{
			{phase: phaseQuiet, server: "A", calls: 1000, callsPerSec: 200, p50: ms, p99: 10 * ms},
			{phase: phaseQuiet, server: "B", calls: 1000, callsPerSec: 200, p50: ms, p99: 10 * ms},
			{phase: phaseWrites, server: "A", calls: 1000, callsPerSec: 200, p50: ms, p99: 15 * ms},
			{phase: phaseWrites, server: "B", calls: 998, callsPerSec: 199, p50: ms, p99: 11 * ms, errors: 2},
		},
		writes:  latencies{20 * ms, 30 * ms},
		visible: []visibleRow{{server: "B", delays: latencies{2 * ms, 60 * ms}, errors: 1}},
		problems: []string{
			"server B, write at revision 9: rpc error: code = Unavailable",
		},
	}
	var out bytes.Buffer
	missed := printCluster(&out, res)
	assert.True(t, missed, "printCluster reports every target met")
	assert.Equal(t, 3, res.errors())

	lines := strings.Split(out.String(), "\n")
	find := func(prefix string) string {
		t.Helper()
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return l
			}
		}
		require.Failf(t, "line missing", "no line starting %q in:\n%s", prefix, out.String())
		return ""
	}
	assert.Regexp(t, `with writes\s+B\s+998\s+199\s+1\.00ms\s+11\.00ms\s+2`, find("with writes       B"))
	assert.Regexp(t, `served by B\s+2\s+2\.00ms\s+60\.00ms\s+60\.00ms\s+1`, find("served by B"))
	assert.Regexp(t, `acknowledged \(ApplyChanges\)\s+2\s+20\.00ms\s+30\.00ms\s+30\.00ms\s+0`, find("acknowledged"))
	assert.Contains(t, find("write → visible on the other servers"), "MISSED by 20%") // 60 ms against 50 ms
	assert.Contains(t, find("Check p99 on A, with ÷ without writes"), "1.50×")
	assert.Contains(t, find("Check p99 on A, with ÷ without writes"), "MISSED by 25%")
	assert.Contains(t, find("Check p99 on B, with ÷ without writes"), " ok ")
	assert.Contains(t, find("error:"), "revision 9")
}
