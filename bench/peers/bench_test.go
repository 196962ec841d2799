package peers

import (
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDecision times one decision of each engine on the same
// workload, cycling through its requests (a third allowed, a third that no
// policy allows, a third denied). Every engine is loaded for every size and
// must agree with the generator on every request before anything is
// timed, N=10,000 included; then each is loaded again on its own to be
// timed.
//
//	cd bench && go test -run '^$' -bench 'Decision' -benchmem ./peers/
func BenchmarkDecision(b *testing.B) {
	cat := loadCatalog(b)
	workloads := make(map[int]*Workload, len(Sizes))
	for _, n := range Sizes {
		w := Generate(n)
		checkAgree(b, w, loadAll(b, cat, w))
		workloads[n] = w
	}
	for _, k := range engineKinds {
		b.Run(k.name, func(b *testing.B) {
			for _, n := range Sizes {
				b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
					// Load the engine alone, so that the collector of an
					// engine that allocates scans only its own heap.
					w := workloads[n]
					d, err := k.load(b.Context(), cat, w, k.text(w))
					if err != nil {
						b.Fatal(err)
					}
					runtime.GC()
					benchmarkDecider(b, d)
				})
			}
		})
	}
}

func benchmarkDecider(b *testing.B, d Decider) {
	ctx := b.Context()
	b.ReportAllocs()
	start := cpuTime(b)
	j := 0
	if p, ok := d.(*PDP); ok {
		// The engine's own call, without the interface and its error.
		for b.Loop() {
			_ = p.Decide(j)
			if j++; j == NumRequests {
				j = 0
			}
		}
	} else {
		for b.Loop() {
			if _, err := d.Allowed(ctx, j); err != nil {
				b.Fatal(err)
			}
			if j++; j == NumRequests {
				j = 0
			}
		}
	}
	reportCPU(b, start)
}

// cpuTime is the CPU time the process has used, user and system, on all
// threads: the benchmark's goroutine and the collector's.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start, which other
// processes on a shared machine disturb less than the wall time of ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkLoad times turning the text of 10,000 policies into a ready
// engine (pdp: parse, validate and compile; cedar-go: parse; OPA: decode
// the data, store it and prepare the query) and reports the heap the
// loaded engine retains after a collection, in MiB.
//
//	cd bench && go test -run '^$' -bench 'Load' -benchmem ./peers/
func BenchmarkLoad(b *testing.B) {
	cat := loadCatalog(b)
	const n = 10000
	w := Generate(n)
	for _, k := range engineKinds {
		b.Run(fmt.Sprintf("%s/N=%d", k.name, n), func(b *testing.B) {
			text := k.text(w)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			d, err := k.load(b.Context(), cat, w, text)
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(d)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.load(b.Context(), cat, w, text); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-retained")
		})
	}
}

// BenchmarkFirstDecision loads the 10,000 policies as the server holds them
// (one set per principal) once per iteration and times the first decision
// after the load against the same decision repeated (the steady state,
// best of 200) and against the same decision again after walking 64 MiB of
// unrelated memory (cold caches, nothing else changed). It reports the
// medians and their ratios; the load itself is not timed.
//
// A first decision that costs what a cold-cache decision costs leaves no
// work deferred by the load: what remains is the memory hierarchy, which
// the load has filled with its own 35 MB.
//
//	cd bench && go test -run '^$' -bench 'FirstDecision' -benchtime 16x ./peers/
func BenchmarkFirstDecision(b *testing.B) {
	cat := loadCatalog(b)
	w := Generate(10000)
	text := IAMPolicies(w, false)
	evict := make([]byte, 64<<20)
	var first, steady, cold []time.Duration
	for b.Loop() {
		b.StopTimer()
		d, err := LoadPDP(cat, w, text, false)
		if err != nil {
			b.Fatal(err)
		}
		j := (7 * len(first)) % len(w.Requests)
		b.StartTimer()
		start := time.Now()
		_ = d.Decide(j)
		first = append(first, time.Since(start))
		b.StopTimer()
		best := time.Duration(1 << 62)
		for range 200 {
			start := time.Now()
			_ = d.Decide(j)
			best = min(best, time.Since(start))
		}
		steady = append(steady, best)
		for i := range evict {
			evict[i]++
		}
		start = time.Now()
		_ = d.Decide(j)
		cold = append(cold, time.Since(start))
		b.StartTimer()
	}
	f, s, c := median(first), median(steady), median(cold)
	b.ReportMetric(float64(f.Nanoseconds()), "first-ns")
	b.ReportMetric(float64(s.Nanoseconds()), "steady-ns")
	b.ReportMetric(float64(c.Nanoseconds()), "cold-cache-ns")
	b.ReportMetric(float64(f)/float64(max(s, 1)), "x-first-vs-steady")
	b.ReportMetric(float64(f)/float64(max(c, 1)), "x-first-vs-cold-cache")
}

// median sorts ds and returns its middle element.
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
