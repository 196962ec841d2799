package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/pdp-dev/pdp/internal/modelgen"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/boltstore"
)

// BenchmarkServeRestartLarge restarts a real pdp serve process on a bolt
// store that holds the large synthetic model (100,000 principals,
// 1,000,000 resources), written once as a seed writes it. Each iteration
// starts the process on loopback and waits for health to report SERVING,
// which it does once the first policy snapshot is active, then stops it.
// It reports the seconds from process start to SERVING (s-to-serving), the
// server's peak resident memory (peak-rss-MB, VmHWM, which counts the pages
// of the memory-mapped store file it read: rss-file-MB of them at SERVING),
// the CPU time the server used from start to exit on all threads
// (server-cpu-s, which other work on the machine disturbs less than the
// seconds) and the size of the store file (store-MB). GOGC and GOMEMLIMIT
// pass through to the server, so that the collector's settings can be
// compared.
func BenchmarkServeRestartLarge(b *testing.B) {
	exe := buildServeBinary(b)
	dataDir := b.TempDir()
	storeMB := seedLargeBoltStore(b, dataDir)
	workDir := b.TempDir()
	var total, cpu time.Duration
	var peakMB, fileMB float64
	for b.Loop() {
		r := restartOnce(b, exe, dataDir, workDir)
		total += r.toServing
		cpu += r.cpu
		peakMB = max(peakMB, r.peakMB)
		fileMB = max(fileMB, r.fileMB)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-to-serving")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "server-cpu-s")
	b.ReportMetric(peakMB, "peak-rss-MB")
	b.ReportMetric(fileMB, "rss-file-MB")
	b.ReportMetric(storeMB, "store-MB")
}

// buildServeBinary builds this command into a temporary directory, so that
// the server runs in a process of its own whose memory can be read.
func buildServeBinary(b *testing.B) string {
	b.Helper()
	exe := filepath.Join(b.TempDir(), "pdp")
	out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// seedLargeBoltStore writes the large model into a new bolt store in
// dataDir as one revision, the documents pdp serve --seed writes, and
// returns the size of the file in MB. It skips the seed's validation (the
// generated model is valid, and the server checks it again as it loads)
// and writes the keys in order: bbolt inserts into a node in memory until
// the commit, so that a million keys in random order cost a copy of the
// node's tail each.
func seedLargeBoltStore(b *testing.B, dataDir string) float64 {
	b.Helper()
	changes, err := snapshot.SetValues(modelgen.Generate(modelgen.Large))
	if err != nil {
		b.Fatal(err)
	}
	slices.SortFunc(changes, func(x, y store.Change) int { return strings.Compare(x.Key.String(), y.Key.String()) })
	path := filepath.Join(dataDir, "pdp.db")
	st, err := boltstore.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	rev, err := st.Apply(b.Context(), store.ChangeSet{Changes: changes, Author: "pdp serve", Message: "large synthetic model"})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil || rev != 1 {
		b.Fatalf("seed: revision %d, %v", rev, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return float64(fi.Size()) / (1 << 20)
}

// A restart is what one start of pdp serve cost.
type restart struct {
	toServing time.Duration // from process start to health SERVING
	cpu       time.Duration // user and system, start to exit
	peakMB    float64       // VmHWM at SERVING
	fileMB    float64       // RssFile at SERVING
}

// restartOnce starts pdp serve on the store in dataDir, waits for its
// serving line and for health SERVING, reads its memory and stops it with
// SIGTERM.
func restartOnce(b *testing.B, exe, dataDir, workDir string) restart {
	b.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.Command(exe, "serve", "--listen", "127.0.0.1:0", "--store", "bolt", "--data-dir", dataDir, "--drain-delay", "0")
	cmd.Dir = workDir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + workDir}
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(name); ok {
			cmd.Env = append(cmd.Env, name+"="+v)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	log := &syncBuffer{}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// done is closed once the process has exited and its log is read; an
	// early exit ends the waits below at once.
	done := make(chan struct{})
	var waitErr error
	go func() {
		defer close(done)
		_, _ = io.Copy(log, stderr)
		waitErr = cmd.Wait()
	}()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
			<-done
		}
	}()

	m := log.Wait(ctx, servingLine)
	if m == nil {
		b.Fatalf("no serving line; log:\n%s", log)
	}
	conn, err := dial(m[1], clientTLS{})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	watch, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		b.Fatalf("health watch: %v", err)
	}
	for {
		upd, err := watch.Recv()
		if err != nil {
			b.Fatalf("health watch ended before SERVING: %v; log:\n%s", err, log)
		}
		if upd.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			break
		}
	}
	r := restart{toServing: time.Since(start)}
	b.StopTimer()
	defer b.StartTimer()
	if r.peakMB, err = statusMB(cmd.Process.Pid, "VmHWM"); err != nil {
		b.Fatal(err)
	}
	if r.fileMB, err = statusMB(cmd.Process.Pid, "RssFile"); err != nil {
		b.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	select {
	case <-done:
		if waitErr != nil {
			b.Fatalf("pdp serve: %v; log:\n%s", waitErr, log)
		}
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	case <-time.After(time.Minute):
		b.Fatalf("pdp serve did not stop; log:\n%s", log)
	}
	return r
}

// statusMB reads a memory figure of a process, such as VmHWM (its peak
// resident set size), from /proc/<pid>/status, in MB.
func statusMB(pid int, field string) (float64, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %s %q: %w", path, field, rest, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("%s: no %s line", path, field)
}
