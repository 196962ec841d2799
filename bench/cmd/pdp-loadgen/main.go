// Command pdp-loadgen writes the policy model and the requests of pdp's
// load test (package loadgen) into a directory:
//
//	pdp-loadgen -out DIR
//	pdp serve --store bolt --data-dir D --seed DIR/model
//	ghz --insecure --call pdp.v1.AuthorizationService/Check --data-file DIR/requests/check.json ADDR
//
// DIR/requests/expected.json holds the decision each request is made to
// get. The flags size the model; the defaults make about 10,000 policies.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pdp-dev/pdp/bench/cmd/internal/loadgen"
)

func main() {
	cfg := loadgen.DefaultConfig()
	out := flag.String("out", "", "`directory` to write the model and requests into (required)")
	flag.IntVar(&cfg.Accounts, "accounts", cfg.Accounts, "accounts of the organization")
	flag.IntVar(&cfg.Teams, "teams", cfg.Teams, "teams in every account")
	flag.IntVar(&cfg.Apps, "apps", cfg.Apps, "Amazon Pinpoint apps, each with 9 campaigns, segments and journeys; a multiple of accounts × teams")
	flag.IntVar(&cfg.Users, "users", cfg.Users, "IAM users")
	flag.IntVar(&cfg.Roles, "roles", cfg.Roles, "IAM roles")
	flag.IntVar(&cfg.InlinePerUser, "inline-per-user", cfg.InlinePerUser, "inline policies of each user")
	flag.IntVar(&cfg.InlinePerRole, "inline-per-role", cfg.InlinePerRole, "inline policies of each role")
	flag.IntVar(&cfg.Checks, "checks", cfg.Checks, "distinct Check requests")
	batchSizes := flag.String("batch-sizes", joinInts(cfg.BatchSizes), "comma-separated item counts of the BatchCheck requests")
	flag.IntVar(&cfg.BatchesPerSize, "batches", cfg.BatchesPerSize, "distinct BatchCheck requests of each size")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed; equal seeds and sizes write equal files")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if cfg.BatchSizes, err = parseInts(*batchSizes); err != nil {
		fmt.Fprintf(os.Stderr, "pdp-loadgen: -batch-sizes: %v\n", err)
		os.Exit(2)
	}
	start := time.Now()
	w, err := loadgen.Generate(cfg)
	if err == nil {
		err = w.Write(*out)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pdp-loadgen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d principals, %d resources and %d policies, %d Check requests and BatchCheck requests of %s items to %s in %v\n",
		w.Principals, len(w.Model.Resources), w.Policies, len(w.Checks), *batchSizes, *out, time.Since(start).Round(time.Millisecond))
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
