// Command loadtest measures pdp serve against a bare gRPC baseline on one
// machine, and is what `make loadtest` runs. It generates a large policy
// model and its requests (package loadgen), starts pdp serve on a bolt
// store seeded with the model and the pdp-echo baseline, both on loopback
// ports, checks that pdp decides every generated request as meant, then
// drives both with ghz at the same concurrency for the same duration:
//
//  1. Check as fast as each answers (calls per second), then Check at
//     half the baseline's calls per second (latency at a load both can
//     carry), in rounds that alternate which server goes first;
//  2. CheckStream, streams of 100 single requests (decisions per second);
//  3. BatchCheck of 100 and of 1,000 items (decisions per second).
//
// It prints one line per run and the ratios of pdp's performance targets,
// the median over the rounds: unary Check at 80% or more of the baseline's
// calls per second, p99 at half load within twice the baseline's, and
// CheckStream deciding 3 times or more, and BatchCheck 20 times or more,
// the decisions per second of unary Check. Servers and ghz share the machine's cores, so every figure is a
// ratio within one run; the CPU time the servers spent per call is printed
// too, as it depends less on what else the machine is doing.
//
// With -profiles, pdp serves its metrics and profiles on a loopback port,
// CPU profiles of it are taken during its saturated Check and BatchCheck
// runs, and the top functions of the median round's Check profile and of
// the BatchCheck profiles are printed.
//
// `loadtest cluster` (`make loadtest-cluster`) measures freshness under
// load instead: three pdp serve processes on one etcd, each under a
// constant Check load, first without writes, then with policy writes
// through one of them; it prints the Check latencies of both phases and
// how soon the other servers serve each write (cluster.go).
//
// Every process it starts is stopped when it returns, on error or on
// SIGINT and SIGTERM too.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/pdp-dev/pdp/bench/cmd/internal/loadgen"
)

type options struct {
	pdp, echo, ghz string // executables
	duration       time.Duration
	concurrency    int
	connections    int
	rounds         int
	workDir        string // "" for a temporary one, removed afterwards
	profiles       string // directory for CPU profiles of pdp; "" for none
	strict         bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "cluster" {
		os.Exit(clusterMain(os.Args[2:]))
	}
	var o options
	flag.StringVar(&o.pdp, "pdp", "bin/pdp", "pdp `executable`")
	flag.StringVar(&o.echo, "echo", "bin/pdp-echo", "pdp-echo `executable`")
	flag.StringVar(&o.ghz, "ghz", "bin/ghz", "ghz `executable` (v0.121.0)")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each ghz run")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of the unary Check comparison (4 runs each); the targets take the median")
	flag.IntVar(&o.concurrency, "concurrency", 50, "concurrent calls ghz keeps in flight, in every run")
	flag.IntVar(&o.connections, "connections", 1, "gRPC connections ghz spreads the calls over")
	flag.StringVar(&o.workDir, "workdir", "", "`directory` for the model, store, logs and reports; kept (default: a temporary one, removed)")
	flag.StringVar(&o.profiles, "profiles", "", "write CPU profiles of pdp serve during its saturated Check and BatchCheck runs into `directory`, and print their top functions")
	flag.BoolVar(&o.strict, "strict", false, "exit with status 1 when a performance target is missed")
	flag.Parse()
	if flag.NArg() > 0 || o.duration <= 0 || o.rounds < 1 || o.concurrency < 1 || o.connections < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	missed, err := run(ctx, os.Stdout, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		os.Exit(1)
	}
	if missed && o.strict {
		os.Exit(1)
	}
}

// run does the whole test and reports whether a target was missed.
func run(ctx context.Context, out io.Writer, o options) (missed bool, err error) {
	for _, exe := range []*string{&o.pdp, &o.echo, &o.ghz} {
		if *exe, err = filepath.Abs(*exe); err != nil {
			return false, err
		}
		if _, err := os.Stat(*exe); err != nil {
			return false, err
		}
	}
	dir := o.workDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "pdp-loadtest-"); err != nil {
			return false, err
		}
		defer os.RemoveAll(dir)
	}
	start := time.Now()
	cfg := loadgen.DefaultConfig()
	w, err := loadgen.Generate(cfg)
	if err != nil {
		return false, err
	}
	setDir := filepath.Join(dir, "set")
	if err := w.Write(setDir); err != nil {
		return false, err
	}
	fmt.Fprintf(out, "model: %d principals, %d resources, %d policies; %d Check requests, BatchCheck of %v items (%v)\n",
		w.Principals, len(w.Model.Resources), w.Policies, len(w.Checks), batchSizes(w), time.Since(start).Round(time.Millisecond))

	echoSrv, err := startServer(ctx, "pdp-echo", filepath.Join(dir, "echo.log"), o.echo, "-listen", "127.0.0.1:0")
	defer echoSrv.stop()
	if err != nil {
		return false, err
	}
	start = time.Now()
	argv := []string{o.pdp, "serve", "--listen", "127.0.0.1:0", "--store", "bolt",
		"--data-dir", filepath.Join(dir, "store"), "--seed", filepath.Join(setDir, loadgen.ModelDir),
		"--log-level", "info", "--drain-delay", "0s"}
	if o.profiles != "" {
		if err := os.MkdirAll(o.profiles, 0o755); err != nil {
			return false, err
		}
		argv = append(argv, "--metrics-listen", "127.0.0.1:0", "--pprof")
	}
	pdpSrv, err := startServer(ctx, "pdp serve", filepath.Join(dir, "pdp.log"), argv...)
	defer pdpSrv.stop()
	if err != nil {
		return false, err
	}
	fmt.Fprintf(out, "pdp serve: seeded and serving on %s in %v; pdp-echo on %s\n",
		pdpSrv.addr, time.Since(start).Round(time.Millisecond), echoSrv.addr)

	checks, batches, err := verifyPDP(ctx, pdpSrv.addr, setDir, w)
	if err != nil {
		return false, err
	}
	if err := verifyEcho(ctx, echoSrv.addr, setDir, w); err != nil {
		return false, err
	}
	fmt.Fprintf(out, "pdp decides every request as meant: Check %v; BatchCheck %v\n", checks, batches)
	if o.profiles != "" {
		fmt.Fprintln(out, "pdp serves metrics and profiles for -profiles: its figures include the metrics interceptors and profiling")
	}
	fmt.Fprintf(out, "ghz: concurrency %d over %d connection(s), %v per run, %d round(s) of Check\n\n",
		o.concurrency, o.connections, o.duration, o.rounds)

	t := &tester{o: o, dir: dir, setDir: setDir, out: out}
	res, err := t.all(ctx, pdpSrv, echoSrv, batchSizes(w))
	if err != nil {
		return false, err
	}
	printRuns(out, res.runs)
	missed = printTargets(out, res)
	for _, r := range res.toPrint() {
		if err := printProfile(ctx, out, o.pdp, r); err != nil {
			return missed, err
		}
	}
	return missed, nil
}

func batchSizes(w *loadgen.Workload) []int {
	var sizes []int
	for n := range w.Batches {
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return sizes
}

// tester runs the ghz runs in order.
type tester struct {
	o           options
	dir, setDir string
	out         io.Writer
}

// results are all the runs, with the ones the targets compare.
type results struct {
	runs                  []*result
	rounds                []round
	pdpBatch, echoBatch   map[int]*result
	pdpStream, echoStream *result // CheckStream, streamMessages requests a call
}

// toPrint returns the profiled runs whose profiles are printed: the pdp
// Check run of the round with the median calls/s, as a disturbed round
// gives a misleading profile, and the BatchCheck runs.
func (res *results) toPrint() []*result {
	var out []*result
	if len(res.rounds) > 0 {
		checks := make([]*result, len(res.rounds))
		for i, r := range res.rounds {
			checks[i] = r.pdpCheck
		}
		slices.SortFunc(checks, func(a, b *result) int { return cmp.Compare(a.callsPerSec, b.callsPerSec) })
		out = append(out, checks[len(checks)/2])
	}
	for _, n := range sortedKeys(res.pdpBatch) {
		out = append(out, res.pdpBatch[n])
	}
	return slices.DeleteFunc(out, func(r *result) bool { return r.profile == "" })
}

// round is one comparison of unary Check on both servers: saturated, then
// at half the baseline's saturated rate.
type round struct {
	echoCheck, pdpCheck *result
	echoHalf, pdpHalf   *result
}

// all does the runs: a warm-up, rounds of the Check comparison, then
// BatchCheck of each size on both servers. Within a round, and from one
// round to the next, the server that goes first alternates, so that a
// change in what else the machine runs affects both alike.
func (t *tester) all(ctx context.Context, pdpSrv, echoSrv *server, sizes []int) (*results, error) {
	res := &results{pdpBatch: make(map[int]*result), echoBatch: make(map[int]*result)}
	checkLoad := load{method: "Check", dataFile: filepath.Join(t.setDir, loadgen.ChecksFile)}
	// A short unreported run on each server first: connections, buffers
	// and the heap grow to their working size before anything counts.
	warm := checkLoad
	warm.duration = min(t.o.duration/5, 2*time.Second)
	for _, srv := range []*server{echoSrv, pdpSrv} {
		if _, err := runGHZ(ctx, t.o.ghz, t.dir, "warm-up-"+fileName(srv.name), srv.addr, t.sized(warm)); err != nil {
			return nil, err
		}
	}
	for i := range t.o.rounds {
		var r round
		var err error
		prefix := ""
		if t.o.rounds > 1 {
			prefix = fmt.Sprintf("%d: ", i+1)
		}
		echoSat := func() error {
			r.echoCheck, err = t.one(ctx, echoSrv, prefix+"echo Check", checkLoad, 1)
			return err
		}
		pdpSat := func() error {
			r.pdpCheck, err = t.profiled(ctx, pdpSrv, prefix+"pdp Check", checkLoad, 1)
			return err
		}
		half := checkLoad
		echoHalf := func() error {
			half.rps = max(1, int(r.echoCheck.callsPerSec/2))
			r.echoHalf, err = t.one(ctx, echoSrv, fmt.Sprintf("%secho Check @%d/s", prefix, half.rps), half, 1)
			return err
		}
		pdpHalf := func() error {
			half.rps = max(1, int(r.echoCheck.callsPerSec/2))
			r.pdpHalf, err = t.one(ctx, pdpSrv, fmt.Sprintf("%spdp Check @%d/s", prefix, half.rps), half, 1)
			return err
		}
		steps := []func() error{echoSat, pdpSat, pdpHalf, echoHalf}
		if i%2 == 1 {
			steps = []func() error{pdpSat, echoSat, echoHalf, pdpHalf}
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return nil, err
			}
		}
		res.rounds = append(res.rounds, r)
		res.runs = append(res.runs, r.echoCheck, r.pdpCheck, r.echoHalf, r.pdpHalf)
	}
	streamFile, err := writeStreamFile(t.setDir)
	if err != nil {
		return nil, err
	}
	sl := load{method: "CheckStream", dataFile: streamFile}
	if res.echoStream, err = t.one(ctx, echoSrv, fmt.Sprintf("echo CheckStream×%d", streamMessages), sl, streamMessages); err != nil {
		return nil, err
	}
	if res.pdpStream, err = t.profiled(ctx, pdpSrv, fmt.Sprintf("pdp CheckStream×%d", streamMessages), sl, streamMessages); err != nil {
		return nil, err
	}
	res.runs = append(res.runs, res.echoStream, res.pdpStream)
	for _, n := range sizes {
		bl := load{method: "BatchCheck", dataFile: filepath.Join(t.setDir, loadgen.BatchFile(n))}
		var err error
		if res.echoBatch[n], err = t.one(ctx, echoSrv, fmt.Sprintf("echo BatchCheck×%d", n), bl, n); err != nil {
			return nil, err
		}
		if res.pdpBatch[n], err = t.profiled(ctx, pdpSrv, fmt.Sprintf("pdp BatchCheck×%d", n), bl, n); err != nil {
			return nil, err
		}
		res.runs = append(res.runs, res.echoBatch[n], res.pdpBatch[n])
	}
	return res, nil
}

// result is one run's figures.
type result struct {
	name         string
	items        int     // decisions per call
	rate         int     // ghz's rate limit; 0 for none
	callsPerSec  float64 // calls answered OK per second of the run
	p50, p99     time.Duration
	errors       int           // calls not answered OK
	serverCPU    time.Duration // per call; 0 when unknown
	clientCPUPct float64       // ghz's CPU time over the run's, in percent
	profile      string        // CPU profile of pdp taken during the run, if any
}

func (r *result) decisionsPerSec() float64 { return r.callsPerSec * float64(r.items) }

// one runs ghz once against srv.
func (t *tester) one(ctx context.Context, srv *server, name string, l load, items int) (*result, error) {
	if err := srv.alive(); err != nil {
		return nil, err
	}
	l.duration = t.o.duration
	fmt.Fprintf(t.out, "running %s …\n", name)
	cpu0, cpuErr := srv.cpuTime()
	run, err := runGHZ(ctx, t.o.ghz, t.dir, fileName(name), srv.addr, t.sized(l))
	if err != nil {
		return nil, err
	}
	cpu1, cpuErr1 := srv.cpuTime()
	if err := srv.alive(); err != nil {
		return nil, err
	}
	rep := &run.report
	ok := rep.StatusCodeDist["OK"]
	r := &result{name: name, items: items, rate: l.rps, p50: rep.percentile(50), p99: rep.percentile(99),
		errors: int(rep.Count) - ok}
	if secs := rep.Total.Seconds(); secs > 0 {
		r.callsPerSec = float64(ok) / secs
		r.clientCPUPct = 100 * run.clientCPU.Seconds() / secs
	}
	if cpuErr == nil && cpuErr1 == nil && ok > 0 {
		r.serverCPU = (cpu1 - cpu0) / time.Duration(ok)
	}
	if ok == 0 {
		return nil, fmt.Errorf("%s: no call succeeded: %v", name, rep.ErrorDist)
	}
	return r, nil
}

// fileName turns a run's name into a file name for its ghz report.
func fileName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	return string(b)
}

// sized gives a load the concurrency and connections of every run.
func (t *tester) sized(l load) load {
	l.concurrency, l.connections = t.o.concurrency, t.o.connections
	return l
}

// profiled is one run during which, with -profiles, a CPU profile of pdp
// is taken for all but the last second of the run.
func (t *tester) profiled(ctx context.Context, pdpSrv *server, name string, l load, items int) (*result, error) {
	if t.o.profiles == "" {
		return t.one(ctx, pdpSrv, name, l, items)
	}
	if pdpSrv.metrics == "" {
		return nil, errors.New("-profiles: pdp serve logged no metrics address")
	}
	path := filepath.Join(t.o.profiles, fileName(name)+".pprof")
	secs := max(1, int((t.o.duration - time.Second).Seconds()))
	done := make(chan error, 1)
	go func() {
		done <- fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pdpSrv.metrics, secs), path)
	}()
	r, err := t.one(ctx, pdpSrv, name, l, items)
	if perr := <-done; err == nil && perr != nil {
		err = perr
	}
	if err != nil {
		return nil, err
	}
	r.profile = path
	return r, nil
}

func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cpu profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printProfile prints the top functions of the profile with go tool pprof.
func printProfile(ctx context.Context, out io.Writer, pdp string, r *result) error {
	cmd := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=25", pdp, r.profile)
	cmd.Stdout, cmd.Stderr = out, out
	fmt.Fprintf(out, "\nCPU profile of pdp serve during %s (%s):\n", r.name, r.profile)
	return cmd.Run()
}
