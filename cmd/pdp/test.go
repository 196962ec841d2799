package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/policytest"
)

// testOptions are the flags of pdp test.
type testOptions struct {
	policies    string
	bundle      string
	addr        string
	minRevision int64
	timeout     time.Duration
	format      *enumFlag
	minCoverage float64
	verbose     bool
	tls         clientTLS
}

func testCommand() command {
	o := testOptions{format: newEnumFlag("text", "text", "json", "junit")}
	return command{
		name:    "test",
		args:    "[TEST_FILE…]",
		env:     clientEnv(nil),
		summary: "run the policy tests kept next to the policies, with statement coverage",
		doc: `pdp test decides the cases of policy test files and compares each
decision with the one the case expects. A test file is YAML named
NAME_test.yaml anywhere in a policy directory (pdp serve leaves such files
out of the model); its cases give a principal, action, resource, context
and session and expect Allow, ExplicitDeny or ImplicitDeny. Its who_can
and what_can expectations list the principals that may perform an action
on a resource, or the actions a principal may perform on one, ALLOWED
outright or CONDITIONAL on request keys, exactly or at least, as the
access analysis of pdp who-can and pdp what-can answers them (with --addr,
the server's AccessService). See the README's "Policy tests" section for
the format.

The policies come from one of:
  --policies DIR   a policy directory, decided in-process as pdp serve would;
                  without TEST_FILE arguments, its NAME_test.yaml files run
  --bundle FILE    a bundle, as pdp policy export writes it
  --addr HOST:PORT a live server, at --min-revision or later

Every case asks for an explanation; a statement is covered when some case
made it apply, or decides an allowed or explicitly denied answer an
expectation checks. The coverage report lists the statements of the model no
case covered; --min-coverage fails a run below it. With --addr the model is
read back with PolicyService.Export, at the revision the cases were decided
at, which needs the admin API.

The exit status is 0 when every case passed (and the coverage is high
enough), 1 when a case failed or the coverage is too low, and 2 for bad
flags, unreadable test files or policies, and cases that could not be
decided (or expectations that could not be answered).`,
		setup: func(fs *flag.FlagSet) runFunc {
			fs.StringVar(&o.policies, "policies", "", "policy `directory` to decide in-process")
			fs.StringVar(&o.bundle, "bundle", "", "policy bundle `file` to decide in-process")
			fs.StringVar(&o.addr, "addr", "", "server `address` HOST:PORT to decide on")
			fs.Int64Var(&o.minRevision, "min-revision", 0, "with --addr: decide at this policy `revision` or a later one")
			fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "with --addr: deadline of each call")
			fs.Var(o.format, "o", "output `format`: text, json or junit (JUnit XML)")
			fs.Float64Var(&o.minCoverage, "min-coverage", 0, "fail when fewer than this `percent` of the statements are covered")
			fs.BoolVar(&o.verbose, "v", false, "text output: list the cases that passed too")
			o.tls.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if err := o.check(args); err != nil {
					return usageError(e, "test", "%v", err)
				}
				return runTests(ctx, e, o, args)
			}
		},
	}
}

// check enforces the flag combinations.
func (o *testOptions) check(args []string) error {
	n := 0
	for _, s := range []string{o.policies, o.bundle, o.addr} {
		if s != "" {
			n++
		}
	}
	switch {
	case n != 1:
		return errors.New("give exactly one of --policies, --bundle and --addr")
	case o.policies == "" && len(args) == 0:
		return errors.New("give the test files to run (only --policies finds them itself)")
	case o.minCoverage < 0 || o.minCoverage > 100:
		return fmt.Errorf("--min-coverage must be between 0 and 100, got %v", o.minCoverage)
	case o.timeout <= 0:
		return fmt.Errorf("--timeout must be positive, got %v", o.timeout)
	case o.minRevision < 0:
		return fmt.Errorf("--min-revision must not be negative, got %d", o.minRevision)
	}
	return nil
}

// runTests loads the test files, decides their cases, measures the
// coverage and prints the report.
func runTests(ctx context.Context, e *env, o testOptions, args []string) int {
	cat, err := catalog.Load()
	if err != nil {
		e.log.ErrorContext(ctx, "load catalog", "err", err)
		return exitUsage
	}
	suites, err := loadSuites(o.policies, args)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp test: %v\n", err)
		return exitUsage
	}
	var src testSource
	if o.addr != "" {
		src, err = dialTestSource(cat, o)
	} else {
		src, err = localTestSource(cat, o.policies, o.bundle)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp test: %v\n", err)
		return exitUsage
	}
	defer src.close()
	results, err := policytest.Run(ctx, suites, src)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp test: %v\n", err)
		return exitUsage
	}
	rep := policytest.NewReport(results)
	rep.MinCoverage = o.minCoverage
	universe, err := src.universe(ctx, cat, decidedAt(results))
	if err != nil {
		rep.CoverageNote = "not measured: " + err.Error()
	} else {
		cov := policytest.Measure(universe, results)
		rep.Coverage = &cov
	}
	if err := writeTestReport(e, o, rep); err != nil {
		fmt.Fprintf(e.stderr, "pdp test: write report: %v\n", err)
		return exitUsage
	}
	switch {
	case rep.Errors > 0:
		return exitUsage
	case rep.Coverage == nil && o.minCoverage > 0:
		fmt.Fprintf(e.stderr, "pdp test: --min-coverage: coverage %s\n", rep.CoverageNote)
		return exitUsage
	case rep.Failed > 0 || rep.CoverageLow():
		return exitFailure
	}
	return exitOK
}

func writeTestReport(e *env, o testOptions, rep *policytest.Report) error {
	switch o.format.value {
	case "json":
		return rep.WriteJSON(e.stdout)
	case "junit":
		return rep.WriteJUnit(e.stdout)
	}
	return rep.WriteText(e.stdout, o.verbose)
}

// loadSuites reads the test files given, or those of the policy directory.
func loadSuites(dir string, files []string) ([]*policytest.Suite, error) {
	if len(files) == 0 {
		names, err := policytest.Discover(os.DirFS(dir), ".")
		if err != nil {
			return nil, fmt.Errorf("find test files in %s: %w", dir, err)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no test files (NAME_test.yaml) in %s", dir)
		}
		for _, n := range names {
			files = append(files, filepath.Join(dir, filepath.FromSlash(n)))
		}
	}
	var suites []*policytest.Suite
	var errs []error
	for _, f := range files {
		s, err := policytest.LoadFile(os.ReadFile, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		suites = append(suites, s)
	}
	return suites, errors.Join(errs...)
}

// decidedAt is the latest revision a case was decided at.
func decidedAt(results []policytest.SuiteResult) int64 {
	var rev int64
	for _, s := range results {
		for _, c := range s.Cases {
			rev = max(rev, c.Revision)
		}
	}
	return rev
}

// A testSource decides cases, answers access expectations and knows the
// statements of the model.
type testSource interface {
	policytest.Source
	universe(ctx context.Context, cat *catalog.Catalog, revision int64) ([]policytest.Policy, error)
	close()
}

// localSource decides on a snapshot compiled in-process, through the same
// Check method pdp serve answers, and answers the access expectations
// through the same AccessService.
type localSource struct {
	*testAsker
	srv *server.Server
	res *entity.Resolved
}

func localTestSource(cat *catalog.Catalog, dir, bundle string) (*localSource, error) {
	var set *entity.Set
	var err error
	if dir != "" {
		set, err = entity.LoadDir(os.DirFS(dir), ".")
	} else {
		set, err = entity.LoadBundle(os.DirFS(filepath.Dir(bundle)), filepath.Base(bundle))
	}
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	res, err := set.Resolve(cat) // validates, as a write to pdp serve's store does
	if err != nil {
		return nil, fmt.Errorf("invalid policies: %w", err)
	}
	snap, err := snapshot.Compile(cat, res, 1, nil)
	if err != nil {
		return nil, fmt.Errorf("compile policies: %w", err)
	}
	srv := server.New(server.Config{}, cat, slog.New(slog.DiscardHandler))
	srv.Activate(snap)
	asker := &testAsker{cat: cat, access: localAccess{server.NewAccess(srv, nil)}}
	return &localSource{testAsker: asker, srv: srv, res: res}, nil
}

func (l *localSource) Decide(ctx context.Context, c *policytest.Case) (policytest.Outcome, error) {
	resp, err := l.srv.Check(ctx, testCheckRequest(c, 0))
	if err != nil {
		return policytest.Outcome{}, errors.New(callErrorText(err))
	}
	return testOutcome(resp)
}

func (l *localSource) universe(context.Context, *catalog.Catalog, int64) ([]policytest.Policy, error) {
	return policytest.Universe(l.res), nil
}

func (l *localSource) close() {}

// remoteSource decides on a live server and answers the access
// expectations through its AccessService, at the same revisions.
type remoteSource struct {
	*testAsker
	o     testOptions
	conn  interface{ Close() error }
	authz pdpv1.AuthorizationServiceClient
	admin pdpv1.PolicyServiceClient
}

func dialTestSource(cat *catalog.Catalog, o testOptions) (*remoteSource, error) {
	conn, err := dial(o.addr, o.tls)
	if err != nil {
		return nil, err
	}
	asker := &testAsker{cat: cat, access: pdpv1.NewAccessServiceClient(conn), minRevision: o.minRevision, timeout: o.timeout}
	return &remoteSource{testAsker: asker, o: o, conn: conn, authz: pdpv1.NewAuthorizationServiceClient(conn),
		admin: pdpv1.NewPolicyServiceClient(conn)}, nil
}

func (r *remoteSource) Decide(ctx context.Context, c *policytest.Case) (policytest.Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.timeout)
	defer cancel()
	resp, err := r.authz.Check(ctx, testCheckRequest(c, r.o.minRevision))
	if err != nil {
		return policytest.Outcome{}, errors.New(callErrorText(err))
	}
	return testOutcome(resp)
}

// universe reads the model back at the revision the cases were decided at.
func (r *remoteSource) universe(ctx context.Context, cat *catalog.Catalog, revision int64) ([]policytest.Policy, error) {
	if revision == 0 {
		return nil, errors.New("no case was decided")
	}
	ctx, cancel := context.WithTimeout(ctx, r.o.timeout)
	defer cancel()
	resp, err := r.admin.Export(ctx, &pdpv1.ExportRequest{Revision: revision})
	if err != nil {
		return nil, fmt.Errorf("export revision %d: %s", revision, callErrorText(err))
	}
	set, err := entity.ParseBundle("export", []byte(resp.GetBundle()))
	if err != nil {
		return nil, fmt.Errorf("read the export of revision %d: %w", revision, err)
	}
	res, err := set.Resolve(cat)
	if err != nil {
		return nil, fmt.Errorf("resolve the export of revision %d: %w", revision, err)
	}
	return policytest.Universe(res), nil
}

func (r *remoteSource) close() { r.conn.Close() }

// testCheckRequest asks for the decision of a case, with its explanation.
func testCheckRequest(c *policytest.Case, minRevision int64) *pdpv1.CheckRequest {
	req := &pdpv1.CheckRequest{
		Principal: c.Principal, Action: c.Action, Resource: c.Resource, ResourceAccount: c.ResourceAccount,
		Context: testContext(c.Context), Explain: true, MinRevision: minRevision,
	}
	if c.Session != nil {
		req.SessionPolicies = c.Session.PolicyTexts()
		req.SessionTags = c.Session.Tags
	}
	return req
}

func testOutcome(resp *pdpv1.CheckResponse) (policytest.Outcome, error) {
	d, ok := server.DecisionName(resp.GetDecision())
	if !ok {
		return policytest.Outcome{}, fmt.Errorf("the server gave no decision (%s)", resp.GetDecision())
	}
	out := policytest.Outcome{Decision: d, Revision: resp.GetRevision()}
	for _, m := range resp.GetExplanation().GetMatched() {
		out.Matched = append(out.Matched, policytest.StatementRef{Policy: m.GetPolicy(), Index: int(m.GetIndex()), Sid: m.GetSid()})
	}
	return out, nil
}
