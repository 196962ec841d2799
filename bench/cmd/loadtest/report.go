package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"
)

// The server's performance targets.
const (
	minCheckRatio = 0.80 // pdp Check calls/s over the baseline's, saturated
	maxP99Ratio   = 2.0  // pdp Check p99 over the baseline's, at half the baseline's rate
	minBatchGain  = 20.0 // BatchCheck decisions/s over unary Check calls/s
)

// printRuns prints one line per run.
func printRuns(out io.Writer, runs []*result) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tcalls/s\tp50\tp99\tdecisions/s\tserver CPU/call\tghz CPU\terrors\t")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%.0f\t%s\t%.0f%%\t%d\t\n", r.name, r.callsPerSec, ms(r.p50), ms(r.p99),
			r.decisionsPerSec(), us(r.serverCPU), r.clientCPUPct, r.errors)
	}
	tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func us(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}

// printTargets prints the ratios the targets are about and reports
// whether any was missed.
func printTargets(out io.Writer, res *results) (missed bool) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tmeasured\twanted\t\t")
	line := func(what string, got, want float64, atLeast bool, unit string) {
		ok := got >= want
		cmp := "≥"
		if !atLeast {
			ok, cmp = got <= want, "≤"
		}
		verdict := "ok"
		if !ok {
			missed = true
			verdict = fmt.Sprintf("MISSED by %.0f%%", 100*abs(got-want)/want)
		}
		fmt.Fprintf(tw, "%s\t%.2f%s\t%s %.2f%s\t%s\t\n", what, got, unit, cmp, want, unit, verdict)
	}
	line("pdp/echo Check calls/s", ratio(res.pdpCheck.callsPerSec, res.echoCheck.callsPerSec), minCheckRatio, true, "")
	line(fmt.Sprintf("pdp/echo Check p99 @%d/s", res.echoHalf.rate), ratio(float64(res.pdpHalf.p99), float64(res.echoHalf.p99)), maxP99Ratio, false, "")
	for _, n := range sortedKeys(res.pdpBatch) {
		line(fmt.Sprintf("pdp BatchCheck×%d decisions/s ÷ pdp Check calls/s", n),
			ratio(res.pdpBatch[n].decisionsPerSec(), res.pdpCheck.callsPerSec), minBatchGain, true, "×")
	}
	tw.Flush()
	if res.pdpCheck.serverCPU > 0 && res.echoCheck.serverCPU > 0 {
		fmt.Fprintf(out, "\nserver CPU per Check: pdp %s, echo %s (%.2f×); per decision in BatchCheck:",
			us(res.pdpCheck.serverCPU), us(res.echoCheck.serverCPU), ratio(float64(res.pdpCheck.serverCPU), float64(res.echoCheck.serverCPU)))
		for _, n := range sortedKeys(res.pdpBatch) {
			fmt.Fprintf(out, " ×%d pdp %s", n, us(res.pdpBatch[n].serverCPU/time.Duration(n)))
		}
		fmt.Fprintln(out)
	}
	return missed
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func sortedKeys(m map[int]*result) []int { return slices.Sorted(maps.Keys(m)) }
