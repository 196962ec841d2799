package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The server's performance targets.
const (
	minCheckRatio = 0.80 // pdp Check calls/s over the baseline's, saturated
	maxP99Ratio   = 2.0  // pdp Check p99 over the baseline's, at half the baseline's rate
	minBatchGain  = 20.0 // BatchCheck decisions/s over unary Check calls/s
	minStreamGain = 3.0  // CheckStream decisions/s over unary Check calls/s, on as many connections
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

// printTargets prints the ratios the targets are about, the median over
// the rounds, and reports whether any was missed.
func printTargets(out io.Writer, res *results) (missed bool) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tmedian\twanted\t\tby round\t")
	line := func(what string, values []float64, want float64, atLeast bool, unit string) {
		got := median(values)
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
		var each []string
		for _, v := range values {
			each = append(each, fmt.Sprintf("%.2f", v))
		}
		fmt.Fprintf(tw, "%s\t%.2f%s\t%s %.2f%s\t%s\t%s\t\n", what, got, unit, cmp, want, unit, verdict, strings.Join(each, " "))
	}
	var checkRatio, p99Ratio, pdpCPS, pdpCPU, echoCPU []float64
	for _, r := range res.rounds {
		checkRatio = append(checkRatio, ratio(r.pdpCheck.callsPerSec, r.echoCheck.callsPerSec))
		p99Ratio = append(p99Ratio, ratio(float64(r.pdpHalf.p99), float64(r.echoHalf.p99)))
		pdpCPS = append(pdpCPS, r.pdpCheck.callsPerSec)
		pdpCPU = append(pdpCPU, float64(r.pdpCheck.serverCPU))
		echoCPU = append(echoCPU, float64(r.echoCheck.serverCPU))
	}
	line("pdp/echo Check calls/s", checkRatio, minCheckRatio, true, "")
	line("pdp/echo Check p99 at half the echo's calls/s", p99Ratio, maxP99Ratio, false, "")
	if res.pdpStream != nil {
		var gains []float64
		for _, cps := range pdpCPS {
			gains = append(gains, ratio(res.pdpStream.decisionsPerSec(), cps))
		}
		line(fmt.Sprintf("pdp CheckStream×%d decisions/s ÷ pdp Check calls/s", streamMessages), gains, minStreamGain, true, "×")
	}
	for _, n := range sortedKeys(res.pdpBatch) {
		dps := res.pdpBatch[n].decisionsPerSec()
		var gains []float64
		for _, cps := range pdpCPS {
			gains = append(gains, ratio(dps, cps))
		}
		line(fmt.Sprintf("pdp BatchCheck×%d decisions/s ÷ pdp Check calls/s", n), gains, minBatchGain, true, "×")
	}
	tw.Flush()
	if p, e := time.Duration(median(pdpCPU)), time.Duration(median(echoCPU)); p > 0 && e > 0 {
		fmt.Fprintf(out, "\nserver CPU per Check (median): pdp %s, echo %s (%.2f×);", us(p), us(e), ratio(float64(p), float64(e)))
		if s := res.pdpStream; s != nil {
			fmt.Fprintf(out, " per decision in CheckStream: pdp %s, echo %s;", us(s.serverCPU/time.Duration(s.items)),
				us(res.echoStream.serverCPU/time.Duration(res.echoStream.items)))
		}
		fmt.Fprint(out, " per decision in BatchCheck:")
		for _, n := range sortedKeys(res.pdpBatch) {
			fmt.Fprintf(out, " ×%d pdp %s", n, us(res.pdpBatch[n].serverCPU/time.Duration(n)))
		}
		fmt.Fprintln(out)
	}
	return missed
}

// median returns the middle value, or the mean of the two middle ones.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	v := slices.Sorted(slices.Values(values))
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
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
