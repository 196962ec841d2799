package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pdp-dev/pdp/internal/etcdprobe"
)

// etcdMaxRequestBytes lets the seed, one transaction of the whole model,
// through etcd (default 1.5 MiB); the generated model is about 10 MiB.
const etcdMaxRequestBytes = 256 << 20

// startEtcd starts a single-member etcd cluster on free loopback ports,
// with its data under dir, and waits until it reports itself healthy. It
// returns the process and its client address (host:port). maxTxnOps must
// cover the seed's transaction: one operation per entity, and one more.
// The caller must call stop, also when startEtcd fails.
func startEtcd(ctx context.Context, exe, dir string, maxTxnOps int) (*server, string, error) {
	// Free ports are found by listening and closing, so another process
	// can take one before etcd binds it: then try again with new ones.
	for attempt := 1; ; attempt++ {
		ports, err := etcdprobe.FreePorts(2)
		if err != nil {
			return nil, "", err
		}
		client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
		dataDir := filepath.Join(dir, fmt.Sprintf("etcd-%d", attempt))
		s, err := startProcess("etcd", filepath.Join(dir, fmt.Sprintf("etcd-%d.log", attempt)), exe,
			"--name", "default",
			"--data-dir", dataDir,
			"--listen-client-urls", client,
			"--advertise-client-urls", client,
			"--listen-peer-urls", peer,
			"--initial-advertise-peer-urls", peer,
			"--initial-cluster", "default="+peer,
			"--max-txn-ops", strconv.Itoa(max(128, maxTxnOps)),
			"--max-request-bytes", strconv.Itoa(etcdMaxRequestBytes),
			"--logger", "zap", "--log-level", "warn", "--log-outputs", "stderr")
		if err != nil {
			return nil, "", err
		}
		err = s.waitEtcdHealthy(ctx, client+"/health", time.Minute)
		if err == nil {
			return s, strings.TrimPrefix(client, "http://"), nil
		}
		s.stop()
		if attempt == 3 || !strings.Contains(s.logTail(), "address already in use") {
			return nil, "", err
		}
	}
}

// waitEtcdHealthy polls etcd's /health until it answers healthy, the
// process exits or limit passes.
func (s *server) waitEtcdHealthy(ctx context.Context, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if etcdprobe.Healthy(ctx, url) {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("etcd exited before serving (%v):\n%s", s.waitErr, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("etcd not healthy within %v (%v):\n%s", limit, ctx.Err(), s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// lookExecutable returns the absolute path of exe: a path as it is, a bare
// name looked up on PATH.
func lookExecutable(exe string) (string, error) {
	if !strings.ContainsRune(exe, os.PathSeparator) {
		return exec.LookPath(exe)
	}
	abs, err := filepath.Abs(exe)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", err
	}
	return abs, nil
}
