package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// The cluster's freshness targets. They are reported, never asserted: a
// shared machine misses them for reasons of its own.
const (
	maxVisibleP99  = 50 * time.Millisecond // write acknowledged → served by another server
	maxWriteP99Gap = 1.2                   // Check p99 with writes over without
)

// latencies is a set of measured durations.
type latencies []time.Duration

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100): the
// smallest value at least p percent of the values are at or below; 0 when
// there are none. Nearest rank never invents a value between two
// measurements, so p100 is the maximum.
func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(l))
	rank := int(float64(len(s))*p/100 + 0.999999999)
	return s[min(max(rank, 1), len(s))-1]
}

// The two phases of a cluster run, in the order they run.
const (
	phaseQuiet  = "without writes"
	phaseWrites = "with writes"
)

// checkRow is one server's Check load in one phase, from its ghz report.
type checkRow struct {
	phase, server string
	calls         int // answered OK
	callsPerSec   float64
	p50, p99      time.Duration
	errors        int
}

// visibleRow is how soon one server served the writes made through
// another.
type visibleRow struct {
	server string
	delays latencies // acknowledgement → the server answered at that revision
	errors int       // not seen by the deadline, or seen with the wrong decision
}

// clusterResults are the figures of a cluster run.
type clusterResults struct {
	checks      []checkRow // both phases, every server
	writes      latencies  // ApplyChanges round trips
	writeErrors int
	visible     []visibleRow
	problems    []string // the first errors, quoted under the tables
}

// errors counts the failed calls and observations of the run.
func (r *clusterResults) errors() int {
	n := r.writeErrors
	for _, c := range r.checks {
		n += c.errors
	}
	for _, v := range r.visible {
		n += v.errors
	}
	return n
}

// printCluster prints the Check table, the visibility table and the
// targets, and reports whether a target was missed.
func printCluster(out io.Writer, r *clusterResults) (missed bool) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Check load\tserver\tcalls\tcalls/s\tp50\tp99\terrors\t")
	for _, c := range r.checks {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%s\t%d\t\n", c.phase, c.server, c.calls, c.callsPerSec, ms(c.p50), ms(c.p99), c.errors)
	}
	tw.Flush()

	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "write → visible\twrites\tp50\tp99\tmax\terrors\t")
	fmt.Fprintf(tw, "acknowledged (ApplyChanges)\t%d\t%s\t%s\t%s\t%d\t\n", len(r.writes),
		ms(r.writes.percentile(50)), ms(r.writes.percentile(99)), ms(r.writes.percentile(100)), r.writeErrors)
	var all latencies
	for _, v := range r.visible {
		all = append(all, v.delays...)
		fmt.Fprintf(tw, "served by %s\t%d\t%s\t%s\t%s\t%d\t\n", v.server, len(v.delays),
			ms(v.delays.percentile(50)), ms(v.delays.percentile(99)), ms(v.delays.percentile(100)), v.errors)
	}
	tw.Flush()

	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tgot\twanted\t\t")
	verdict := func(ok bool, got, want float64) string {
		if ok {
			return "ok"
		}
		missed = true
		return fmt.Sprintf("MISSED by %.0f%%", 100*(got-want)/want)
	}
	if len(all) > 0 {
		p99 := all.percentile(99)
		fmt.Fprintf(tw, "write → visible on the other servers, p99\t%s\t≤ %s\t%s\t\n", ms(p99), ms(maxVisibleP99),
			verdict(p99 <= maxVisibleP99, float64(p99), float64(maxVisibleP99)))
	}
	for _, with := range r.checks {
		without := r.row(phaseQuiet, with.server)
		if with.phase != phaseWrites || without == nil {
			continue
		}
		gap := ratio(float64(with.p99), float64(without.p99))
		fmt.Fprintf(tw, "Check p99 on %s, with ÷ without writes\t%.2f×\t≤ %.2f×\t%s\t\n", with.server, gap, maxWriteP99Gap,
			verdict(gap <= maxWriteP99Gap, gap, maxWriteP99Gap))
	}
	tw.Flush()
	for _, p := range r.problems {
		fmt.Fprintf(out, "error: %s\n", p)
	}
	return missed
}

// row returns the row of a phase and server, or nil.
func (r *clusterResults) row(phase, server string) *checkRow {
	for i := range r.checks {
		if r.checks[i].phase == phase && r.checks[i].server == server {
			return &r.checks[i]
		}
	}
	return nil
}
