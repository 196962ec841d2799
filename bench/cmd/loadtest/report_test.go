package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		values []float64
		want   float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		assert.Equal(t, tc.want, median(tc.values), "median(%v)", tc.values)
	}
}

// TestPrintTargets checks the verdicts on figures chosen on either side of
// each target.
func TestPrintTargets(t *testing.T) {
	t.Parallel()
	run := func(cps float64, p99 time.Duration, items int) *result {
		return &result{callsPerSec: cps, p99: p99, items: items}
	}
	res := &results{
		rounds: []round{
			{echoCheck: run(1000, 0, 1), pdpCheck: run(900, 0, 1), echoHalf: run(500, 2*time.Millisecond, 1), pdpHalf: run(500, 3*time.Millisecond, 1)},
			{echoCheck: run(1000, 0, 1), pdpCheck: run(700, 0, 1), echoHalf: run(500, 2*time.Millisecond, 1), pdpHalf: run(500, 5*time.Millisecond, 1)},
			{echoCheck: run(1000, 0, 1), pdpCheck: run(850, 0, 1), echoHalf: run(500, 2*time.Millisecond, 1), pdpHalf: run(500, 6*time.Millisecond, 1)},
		},
		pdpBatch: map[int]*result{100: run(200, 0, 100), 1000: run(10, 0, 1000)},
	}
	var out bytes.Buffer
	missed := printTargets(&out, res)
	assert.True(t, missed, "printTargets reports every target met:\n%s", out.String())
	lines := strings.Split(out.String(), "\n")
	for _, tc := range []struct{ prefix, verdict string }{
		{"pdp/echo Check calls/s", " ok "},                   // median 0.85
		{"pdp/echo Check p99", "MISSED by 25%"},              // median 2.5
		{"pdp BatchCheck×100 decisions/s", " ok "},           // 20,000 / 850
		{"pdp BatchCheck×1000 decisions/s", "MISSED by 41%"}, // 10,000 / 850 = 11.8
	} {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, tc.prefix) {
				found = true
				assert.Contains(t, l, tc.verdict, "line for %q", tc.prefix)
			}
		}
		assert.True(t, found, "no line for %q in:\n%s", tc.prefix, out.String())
	}
}
