package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// ghzReport is the part of ghz's --format json report this program reads.
// Durations are in nanoseconds.
type ghzReport struct {
	Count          uint64         `json:"count"`
	Total          time.Duration  `json:"total"`
	Rps            float64        `json:"rps"`
	StatusCodeDist map[string]int `json:"statusCodeDistribution"`
	ErrorDist      map[string]int `json:"errorDistribution"`
	Latencies      []struct {
		Percentage int           `json:"percentage"`
		Latency    time.Duration `json:"latency"`
	} `json:"latencyDistribution"`
}

// percentile returns the latency ghz gives for p percent, or 0.
func (r *ghzReport) percentile(p int) time.Duration {
	for _, l := range r.Latencies {
		if l.Percentage == p {
			return l.Latency
		}
	}
	return 0
}

// load is how ghz drives one run.
type load struct {
	method      string // "Check" or "BatchCheck"
	dataFile    string // JSON array of requests, sent round robin
	concurrency int
	connections int
	duration    time.Duration
	rps         int // 0: as fast as the server answers
}

// ghzRun is the outcome of one ghz run.
type ghzRun struct {
	report    ghzReport
	clientCPU time.Duration // ghz's own CPU time
}

// runGHZ runs ghz against addr and reads its JSON report from a file in
// dir. The run is bounded by its duration; ctx ends it early.
func runGHZ(ctx context.Context, ghz, dir, name, addr string, l load) (*ghzRun, error) {
	out := filepath.Join(dir, name+".json")
	args := []string{
		"--insecure",
		"--call", "pdp.v1.AuthorizationService/" + l.method,
		"--data-file", l.dataFile,
		"--concurrency", strconv.Itoa(l.concurrency),
		"--connections", strconv.Itoa(l.connections),
		"--duration", l.duration.String(),
		// Calls in flight when the duration ends are neither waited for
		// nor counted as errors.
		"--duration-stop", "ignore",
		"--timeout", "20s",
		"--format", "json", "--output", out,
	}
	if l.rps > 0 {
		args = append(args, "--rps", strconv.Itoa(l.rps))
	}
	args = append(args, addr)
	ctx, cancel := context.WithTimeout(ctx, l.duration+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ghz, args...)
	cmd.SysProcAttr = childProcAttr()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ghz %s: %w\n%s", name, err, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	run := &ghzRun{clientCPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if err := json.Unmarshal(data, &run.report); err != nil {
		return nil, fmt.Errorf("ghz %s: read report: %w", name, err)
	}
	return run, nil
}
