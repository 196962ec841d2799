package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/pdp-dev/pdp/bench/cmd/internal/loadgen"
	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// clusterOptions are the flags of `loadtest cluster`.
type clusterOptions struct {
	pdp, etcd, ghz string        // executables
	duration       time.Duration // of each phase
	rate           int           // Check calls a second on each server
	concurrency    int           // Check calls ghz keeps in flight on each server
	writes         int           // policy writes a second in the second phase
	workDir        string        // "" for a temporary one, removed afterwards
	model          loadgen.Config
}

const clusterUsage = `usage: loadtest cluster [flags]

Freshness under load: three pdp serve processes (A, B, C) on one etcd, each
under a constant Check load, first without writes, then with -writes policy
writes a second through A. Prints the Check latencies of both phases, how
soon B and C serve each write, and the targets, which are reported, not
asserted: the exit status is 1 only on an error.

`

// clusterMain runs `loadtest cluster` and returns the exit status: 1 when
// a call failed or a write was not seen, never for a missed target.
func clusterMain(args []string) int {
	o := clusterOptions{model: loadgen.DefaultConfig()}
	fs := flag.NewFlagSet("loadtest cluster", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), clusterUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.pdp, "pdp", "bin/pdp", "pdp `executable`")
	fs.StringVar(&o.etcd, "etcd", "etcd", "etcd server `executable`, a path or a name looked up on PATH (make passes the one `make etcd` installs)")
	fs.StringVar(&o.ghz, "ghz", "bin/ghz", "ghz `executable` (v0.121.0)")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "length of each phase: Check load without writes, then with them")
	fs.IntVar(&o.rate, "rate", 200, "Check calls a second ghz sends to each server")
	fs.IntVar(&o.concurrency, "concurrency", 10, "Check calls ghz keeps in flight on each server")
	fs.IntVar(&o.writes, "writes", 10, "policy writes a second through the first server, in the second phase")
	fs.StringVar(&o.workDir, "workdir", "", "`directory` for the model, etcd's data, logs and reports; kept (default: a temporary one, removed)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if fs.NArg() > 0 || o.duration < time.Second || o.rate < 1 || o.concurrency < 1 || o.writes < 1 {
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := runCluster(ctx, os.Stdout, o)
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "loadtest cluster: interrupted; the processes it started are stopped")
		return 1
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadtest cluster: %v\n", err)
		return 1
	}
	printCluster(os.Stdout, res)
	if n := res.errors(); n > 0 {
		fmt.Fprintf(os.Stderr, "loadtest cluster: %d failed calls or unseen writes\n", n)
		return 1
	}
	return 0
}

// clusterServers are the three servers' names; writes go through the first.
var clusterServers = [...]string{"A", "B", "C"}

// runCluster does the whole run. Every process it starts is stopped when
// it returns.
func runCluster(ctx context.Context, out io.Writer, o clusterOptions) (*clusterResults, error) {
	var err error
	for _, exe := range []*string{&o.pdp, &o.etcd, &o.ghz} {
		if *exe, err = lookExecutable(*exe); err != nil {
			return nil, err
		}
	}
	dir := o.workDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "pdp-loadtest-cluster-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	start := time.Now()
	w, err := loadgen.Generate(o.model)
	if err != nil {
		return nil, err
	}
	setDir := filepath.Join(dir, "set")
	if err := w.Write(setDir); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "model: %d principals, %d resources, %d policies; %d Check requests (%v)\n",
		w.Principals, len(w.Model.Resources), w.Policies, len(w.Checks), time.Since(start).Round(time.Millisecond))

	etcdSrv, etcdAddr, err := startEtcd(ctx, o.etcd, dir, entities(w)+16)
	defer etcdSrv.stop()
	if err != nil {
		return nil, err
	}
	servers, err := startCluster(ctx, o.pdp, dir, "etcd://"+etcdAddr+"/pdp-loadtest", filepath.Join(setDir, loadgen.ModelDir))
	for _, s := range servers {
		defer s.stop()
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "%s on %s; pdp serve A (seeded it) on %s, B on %s, C on %s\n",
		etcdVersion(ctx, o.etcd), etcdAddr, servers[0].addr, servers[1].addr, servers[2].addr)
	for i, s := range servers {
		checks, _, err := verifyPDP(ctx, s.addr, setDir, w)
		if err != nil {
			return nil, fmt.Errorf("server %s: %w", clusterServers[i], err)
		}
		fmt.Fprintf(out, "server %s decides every generated request as meant: Check %v\n", clusterServers[i], checks)
	}

	wr, closeConns, err := newWriter(servers, w)
	defer closeConns()
	if err != nil {
		return nil, err
	}
	if err := wr.calibrate(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "probe: user %s, %s on %s, allowed and denied by turns\n", wr.probe.user, probeAction, wr.probe.app)
	fmt.Fprintf(out, "ghz: %d Check calls/s on each server, concurrency %d, %v a phase; then %d writes/s through A\n",
		o.rate, o.concurrency, o.duration, o.writes)

	l := load{method: "Check", dataFile: filepath.Join(setDir, loadgen.ChecksFile), concurrency: o.concurrency,
		connections: 1, rps: o.rate}
	// A short unreported run first: connections, buffers and heaps grow to
	// their working size before anything counts.
	warm := l
	warm.duration = min(o.duration/5, 2*time.Second)
	if _, err := loadAll(ctx, o.ghz, dir, "warm-up", servers, warm); err != nil {
		return nil, err
	}
	l.duration = o.duration
	res := &clusterResults{}
	fmt.Fprintf(out, "running Check load %s …\n", phaseQuiet)
	rows, err := loadAll(ctx, o.ghz, dir, phaseQuiet, servers, l)
	if err != nil {
		return nil, err
	}
	res.checks = append(res.checks, rows...)

	fmt.Fprintf(out, "running Check load %s …\n", phaseWrites)
	var wrun *writeRun
	var wg sync.WaitGroup
	wg.Go(func() { wrun = wr.run(ctx, o.writes, o.duration) })
	rows, err = loadAll(ctx, o.ghz, dir, phaseWrites, servers, l)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	res.checks = append(res.checks, rows...)
	res.visible = wrun.visible(wr.observers)
	res.writes, res.writeErrors, res.problems = wrun.acks, wrun.errors, wrun.problems
	for _, s := range servers {
		if err := s.alive(); err != nil {
			return nil, err
		}
	}
	return res, ctx.Err()
}

// entities counts the entities of the model: the seed writes each with
// one etcd transaction operation.
func entities(w *loadgen.Workload) int {
	m := w.Model
	return len(m.Accounts) + len(m.SCPs) + len(m.ManagedPolicies) + len(m.Groups) + len(m.Users) + len(m.Roles) + len(m.Resources)
}

// startCluster starts the three servers on the etcd store: A first, which
// seeds it with the model, then B and C, which find it seeded. It returns
// the servers started so far, also on error, for the caller to stop.
func startCluster(ctx context.Context, pdp, dir, storeURL, seed string) ([]*server, error) {
	var servers []*server
	for i, name := range clusterServers {
		argv := []string{pdp, "serve", "--listen", "127.0.0.1:0", "--store", storeURL,
			"--log-level", "info", "--drain-delay", "0s"}
		if i == 0 {
			argv = append(argv, "--seed", seed)
		}
		s, err := startServer(ctx, "pdp serve "+name, filepath.Join(dir, "pdp-"+name+".log"), argv...)
		if s != nil {
			servers = append(servers, s)
		}
		if err != nil {
			return servers, err
		}
	}
	return servers, nil
}

// newWriter connects to the servers: the writer's admin client to A, an
// observer for each of the others.
func newWriter(servers []*server, w *loadgen.Workload) (*writer, func(), error) {
	var conns []*grpc.ClientConn
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	p, err := newProbe(w)
	if err != nil {
		return nil, closeAll, err
	}
	wr := &writer{probe: p, timeout: 10 * time.Second}
	for i, s := range servers {
		conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, closeAll, err
		}
		conns = append(conns, conn)
		if i == 0 {
			wr.admin = pdpv1.NewPolicyServiceClient(conn)
			continue
		}
		wr.observers = append(wr.observers, observer{name: clusterServers[i], authz: pdpv1.NewAuthorizationServiceClient(conn)})
	}
	return wr, closeAll, nil
}

// loadAll runs ghz against every server at once and returns a row per
// server.
func loadAll(ctx context.Context, ghz, dir, phase string, servers []*server, l load) ([]checkRow, error) {
	rows := make([]checkRow, len(servers))
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			run, err := runGHZ(ctx, ghz, dir, fileName(phase+" "+clusterServers[i]), s.addr, l)
			if err != nil {
				errs[i] = err
				return
			}
			rep := &run.report
			ok := rep.StatusCodeDist["OK"]
			rows[i] = checkRow{phase: phase, server: clusterServers[i], calls: ok,
				p50: rep.percentile(50), p99: rep.percentile(99), errors: int(rep.Count) - ok}
			if secs := rep.Total.Seconds(); secs > 0 {
				rows[i].callsPerSec = float64(ok) / secs
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("server %s: %w", clusterServers[i], err)
		}
		if err := servers[i].alive(); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// etcdVersion returns the first line of `etcd --version`, or "etcd".
func etcdVersion(ctx context.Context, exe string) string {
	out, err := exec.CommandContext(ctx, exe, "--version").Output()
	if err != nil {
		return "etcd"
	}
	line, _, _ := bytes.Cut(out, []byte("\n"))
	return string(line)
}
