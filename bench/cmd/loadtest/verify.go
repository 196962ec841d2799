package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/pdp-dev/pdp/bench/cmd/internal/loadgen"
	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// tally counts decisions.
type tally map[pdpv1.Decision]int

func (t tally) String() string {
	n := 0
	for _, c := range t {
		n += c
	}
	pct := func(d pdpv1.Decision) float64 { return 100 * float64(t[d]) / float64(max(n, 1)) }
	return fmt.Sprintf("%d decisions: %.0f%% allow, %.0f%% implicit deny, %.0f%% explicit deny",
		n, pct(pdpv1.Decision_DECISION_ALLOW), pct(pdpv1.Decision_DECISION_IMPLICIT_DENY), pct(pdpv1.Decision_DECISION_EXPLICIT_DENY))
}

// verifyPDP sends every request of the files ghz will send to pdp once,
// and fails unless every decision is the one the request was made to get:
// a load test of a server that answers errors, or decides on a model that
// did not load, measures nothing. It returns the tallies of the Check and
// the BatchCheck requests.
func verifyPDP(ctx context.Context, addr, dir string, w *loadgen.Workload) (checks, batches tally, err error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	client := pdpv1.NewAuthorizationServiceClient(conn)
	var wrong []string
	report := func(format string, args ...any) {
		if len(wrong) < 10 {
			wrong = append(wrong, fmt.Sprintf(format, args...))
		}
	}

	reqs, err := loadgen.ReadChecks(filepath.Join(dir, loadgen.ChecksFile))
	if err != nil {
		return nil, nil, err
	}
	checks = make(tally)
	for i, req := range reqs {
		resp, err := client.Check(ctx, req)
		if err != nil {
			return nil, nil, fmt.Errorf("pdp Check %d: %w", i, err)
		}
		checks[resp.GetDecision()]++
		if want := w.Checks[i].Want; resp.GetDecision() != want {
			report("Check %d (%s): %v, want %v: %v", i, w.Checks[i].Kind, resp.GetDecision(), want, req)
		}
	}

	batches = make(tally)
	for _, n := range batchSizes(w) {
		reqs, err := loadgen.ReadBatches(filepath.Join(dir, loadgen.BatchFile(n)))
		if err != nil {
			return nil, nil, err
		}
		for b, req := range reqs {
			resp, err := client.BatchCheck(ctx, req)
			if err != nil {
				return nil, nil, fmt.Errorf("pdp BatchCheck of %d items, %d: %w", n, b, err)
			}
			if len(resp.GetResults()) != len(req.GetItems()) {
				return nil, nil, fmt.Errorf("pdp BatchCheck of %d items, %d: %d results", n, b, len(resp.GetResults()))
			}
			for i, r := range resp.GetResults() {
				batches[r.GetDecision()]++
				if want := w.Batches[n][b].Want[i]; r.GetError() != nil || r.GetDecision() != want {
					report("BatchCheck of %d items, %d, item %d: %v (error %v), want %v: %v",
						n, b, i, r.GetDecision(), r.GetError(), want, req.GetItems()[i])
				}
			}
		}
	}
	if len(wrong) > 0 {
		return nil, nil, fmt.Errorf("pdp decides generated requests otherwise than meant:\n  %s", strings.Join(wrong, "\n  "))
	}
	return checks, batches, nil
}

// verifyEcho checks that the baseline answers what the load tool sends
// with responses of pdp's shape: one result per item.
func verifyEcho(ctx context.Context, addr, dir string, w *loadgen.Workload) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := pdpv1.NewAuthorizationServiceClient(conn)
	if _, err := client.Check(ctx, w.Checks[0].Request); err != nil {
		return fmt.Errorf("echo Check: %w", err)
	}
	for _, n := range batchSizes(w) {
		resp, err := client.BatchCheck(ctx, w.Batches[n][0].Request)
		if err != nil {
			return fmt.Errorf("echo BatchCheck: %w", err)
		}
		if len(resp.GetResults()) != n {
			return fmt.Errorf("echo BatchCheck of %d items: %d results", n, len(resp.GetResults()))
		}
	}
	return nil
}
