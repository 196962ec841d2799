package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

// simulateOptions are the flags of pdp simulate.
type simulateOptions struct {
	addr    string
	input   string // --cli-input-json
	timeout time.Duration
	tls     clientTLS
}

func simulateCommand() command {
	return command{
		name:    "simulate",
		env:     clientEnv(map[string]string{"addr": "PDP_ADDR"}),
		args:    "principal|custom --cli-input-json FILE",
		summary: "answer aws iam simulate-custom-policy and simulate-principal-policy requests",
		doc: `pdp simulate reads the JSON that "aws iam simulate-custom-policy" and
"aws iam simulate-principal-policy" take with --cli-input-json (the shape
of --generate-cli-skeleton) and prints the answer in the AWS CLI's JSON
shape, so that a saved AWS answer can be compared with diff. FILE may be
written file://FILE, as for the AWS CLI, or - for standard input.

  pdp simulate custom --cli-input-json file://request.json
  pdp simulate principal --cli-input-json request.json --addr 127.0.0.1:8181

"custom" runs in-process unless --addr is given; "principal" simulates a
user or role of the policy model a server holds, so it needs --addr. As
the AWS CLI does, the command fetches every page unless the input sets
MaxItems or Marker; then it prints one page with IsTruncated and Marker.

Besides AWS's members, the input may carry pdp's extensions:
OrganizationsPolicyInputList (custom: SCPs, root first),
SessionPolicyInputList, SessionTags, ResourcePolicies (a resource policy
per resource ARN) and PolicyExclusionList (principal: leave these of the
principal's policies out).

The exit status is 0 when the simulation ran, 1 when the call failed
(the field violations are listed), and 2 for bad flags or input.`,
		setup: func(fs *flag.FlagSet) runFunc {
			var o simulateOptions
			fs.StringVar(&o.addr, "addr", "", "server `address` HOST:PORT (PDP_ADDR); custom runs in-process without it")
			fs.StringVar(&o.input, "cli-input-json", "", "request `file` in the AWS CLI's --cli-input-json shape (required)")
			fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "deadline of the whole simulation")
			o.tls.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) == 0 {
					return usageError(e, "simulate", "missing mode: principal or custom")
				}
				mode := args[0]
				if mode != "principal" && mode != "custom" {
					return usageError(e, "simulate", "unknown mode %q: want principal or custom", mode)
				}
				// Flags may follow the mode, as in the AWS CLI.
				if err := fs.Parse(args[1:]); err != nil {
					return exitUsage
				}
				if fs.NArg() > 0 {
					return usageError(e, "simulate", "unexpected argument %q", fs.Arg(0))
				}
				return simulate(ctx, e, o, mode)
			}
		},
	}
}

// simulate reads the request, runs it and prints the answer.
func simulate(ctx context.Context, e *env, o simulateOptions, mode string) int {
	if o.input == "" {
		return usageError(e, "simulate", "missing --cli-input-json FILE")
	}
	if mode == "principal" && o.addr == "" {
		return usageError(e, "simulate", "principal simulates the model of a server: give --addr HOST:PORT")
	}
	if o.timeout <= 0 {
		return usageError(e, "simulate", "-timeout must be positive, got %v", o.timeout)
	}
	data, err := readInput(e.stdin, o.input)
	if err != nil {
		return usageError(e, "simulate", "--cli-input-json: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	sim, closeSim, err := simulator(o, e.log)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp simulate: %v\n", err)
		return exitFailure
	}
	defer closeSim()

	var out *awsSimulateOutput
	if mode == "custom" {
		req := &pdpv1.SimulateCustomPolicyRequest{}
		if err := protojson.Unmarshal(data, req); err != nil {
			return usageError(e, "simulate", "--cli-input-json: %v", err)
		}
		out, err = allPages(req.GetMaxItems() == 0 && req.GetMarker() == "", func(marker string) (*simulatePage, error) {
			req.Marker = marker
			resp, err := sim.SimulateCustomPolicy(ctx, req)
			return &simulatePage{resp.GetEvaluationResults(), resp.GetIsTruncated(), resp.GetMarker()}, err
		}, req.GetMarker())
	} else {
		req := &pdpv1.SimulatePrincipalPolicyRequest{}
		if err := protojson.Unmarshal(data, req); err != nil {
			return usageError(e, "simulate", "--cli-input-json: %v", err)
		}
		out, err = allPages(req.GetMaxItems() == 0 && req.GetMarker() == "", func(marker string) (*simulatePage, error) {
			req.Marker = marker
			resp, err := sim.SimulatePrincipalPolicy(ctx, req)
			return &simulatePage{resp.GetEvaluationResults(), resp.GetIsTruncated(), resp.GetMarker()}, err
		}, req.GetMarker())
	}
	if err != nil {
		printCallError(e.stderr, "simulate", err)
		return exitFailure
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(e.stderr, "pdp simulate: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// readInput reads FILE, file://FILE or - (standard input).
func readInput(stdin io.Reader, name string) ([]byte, error) {
	name = strings.TrimPrefix(name, "file://")
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// simulatorClient is what pdp simulate calls: a server's SimulatorService,
// or one in-process.
type simulatorClient interface {
	SimulateCustomPolicy(context.Context, *pdpv1.SimulateCustomPolicyRequest, ...grpc.CallOption) (*pdpv1.SimulateCustomPolicyResponse, error)
	SimulatePrincipalPolicy(context.Context, *pdpv1.SimulatePrincipalPolicyRequest, ...grpc.CallOption) (*pdpv1.SimulatePrincipalPolicyResponse, error)
}

// simulator returns the client of a server at o.addr, or without an
// address an in-process simulator with no policy model.
func simulator(o simulateOptions, log *slog.Logger) (simulatorClient, func(), error) {
	if o.addr == "" {
		cat, err := catalog.Load()
		if err != nil {
			return nil, nil, err
		}
		return local{server.NewSimulator(server.New(server.Config{}, cat, log))}, func() {}, nil
	}
	conn, err := dial(o.addr, o.tls)
	if err != nil {
		return nil, nil, err
	}
	return pdpv1.NewSimulatorServiceClient(conn), func() { conn.Close() }, nil
}

// local adapts the in-process simulator to the client's signatures.
type local struct{ s *server.Simulator }

func (l local) SimulateCustomPolicy(ctx context.Context, r *pdpv1.SimulateCustomPolicyRequest, _ ...grpc.CallOption) (*pdpv1.SimulateCustomPolicyResponse, error) {
	return l.s.SimulateCustomPolicy(ctx, r)
}

func (l local) SimulatePrincipalPolicy(ctx context.Context, r *pdpv1.SimulatePrincipalPolicyRequest, _ ...grpc.CallOption) (*pdpv1.SimulatePrincipalPolicyResponse, error) {
	return l.s.SimulatePrincipalPolicy(ctx, r)
}

// simulatePage is one response of either RPC.
type simulatePage struct {
	results   []*pdpv1.EvaluationResult
	truncated bool
	marker    string
}

// maxPages bounds how many pages one command fetches: ActionNames holds at
// most 1000 actions, 100 a page.
const maxPages = 64

// allPages calls fetch from marker on, and, when follow is set, on with
// each Marker until the last page, as the AWS CLI paginates.
func allPages(follow bool, fetch func(marker string) (*simulatePage, error), marker string) (*awsSimulateOutput, error) {
	out := &awsSimulateOutput{EvaluationResults: []awsEvaluationResult{}}
	for range maxPages {
		p, err := fetch(marker)
		if err != nil {
			return nil, err
		}
		for _, r := range p.results {
			out.EvaluationResults = append(out.EvaluationResults, awsResult(r))
		}
		if !p.truncated || !follow {
			out.IsTruncated, out.Marker = p.truncated, p.marker
			return out, nil
		}
		marker = p.marker
	}
	return nil, fmt.Errorf("more than %d pages", maxPages)
}

// The AWS CLI's JSON output of the simulator, field for field in its
// order. Lists AWS always returns are printed even when empty.
type awsSimulateOutput struct {
	EvaluationResults []awsEvaluationResult `json:"EvaluationResults"`
	IsTruncated       bool                  `json:"IsTruncated,omitempty"`
	Marker            string                `json:"Marker,omitempty"`
}

type awsEvaluationResult struct {
	EvalActionName                    string                      `json:"EvalActionName"`
	EvalResourceName                  string                      `json:"EvalResourceName,omitempty"`
	EvalDecision                      string                      `json:"EvalDecision"`
	MatchedStatements                 []awsStatement              `json:"MatchedStatements"`
	MissingContextValues              []string                    `json:"MissingContextValues"`
	OrganizationsDecisionDetail       *awsOrganizationsDetail     `json:"OrganizationsDecisionDetail,omitempty"`
	PermissionsBoundaryDecisionDetail *awsBoundaryDetail          `json:"PermissionsBoundaryDecisionDetail,omitempty"`
	EvalDecisionDetails               map[string]string           `json:"EvalDecisionDetails,omitempty"`
	ResourceSpecificResults           []awsResourceSpecificResult `json:"ResourceSpecificResults,omitempty"`
}

type awsResourceSpecificResult struct {
	EvalResourceName                  string             `json:"EvalResourceName"`
	EvalResourceDecision              string             `json:"EvalResourceDecision"`
	MatchedStatements                 []awsStatement     `json:"MatchedStatements"`
	MissingContextValues              []string           `json:"MissingContextValues"`
	EvalDecisionDetails               map[string]string  `json:"EvalDecisionDetails,omitempty"`
	PermissionsBoundaryDecisionDetail *awsBoundaryDetail `json:"PermissionsBoundaryDecisionDetail,omitempty"`
}

type awsStatement struct {
	SourcePolicyID   string       `json:"SourcePolicyId,omitempty"`
	SourcePolicyType string       `json:"SourcePolicyType,omitempty"`
	StartPosition    *awsPosition `json:"StartPosition,omitempty"`
	EndPosition      *awsPosition `json:"EndPosition,omitempty"`
}

type awsPosition struct {
	Line   int32 `json:"Line"`
	Column int32 `json:"Column"`
}

type awsOrganizationsDetail struct {
	AllowedByOrganizations bool `json:"AllowedByOrganizations"`
}

type awsBoundaryDetail struct {
	AllowedByPermissionsBoundary bool `json:"AllowedByPermissionsBoundary"`
}

func awsResult(r *pdpv1.EvaluationResult) awsEvaluationResult {
	out := awsEvaluationResult{
		EvalActionName: r.GetEvalActionName(), EvalResourceName: r.GetEvalResourceName(), EvalDecision: r.GetEvalDecision(),
		MatchedStatements: awsStatements(r.GetMatchedStatements()), MissingContextValues: nonNil(r.GetMissingContextValues()),
		PermissionsBoundaryDecisionDetail: awsBoundary(r.GetPermissionsBoundaryDecisionDetail()),
		EvalDecisionDetails:               r.GetEvalDecisionDetails(),
	}
	if d := r.GetOrganizationsDecisionDetail(); d != nil {
		out.OrganizationsDecisionDetail = &awsOrganizationsDetail{AllowedByOrganizations: d.GetAllowedByOrganizations()}
	}
	for _, rr := range r.GetResourceSpecificResults() {
		out.ResourceSpecificResults = append(out.ResourceSpecificResults, awsResourceSpecificResult{
			EvalResourceName: rr.GetEvalResourceName(), EvalResourceDecision: rr.GetEvalResourceDecision(),
			MatchedStatements: awsStatements(rr.GetMatchedStatements()), MissingContextValues: nonNil(rr.GetMissingContextValues()),
			EvalDecisionDetails:               rr.GetEvalDecisionDetails(),
			PermissionsBoundaryDecisionDetail: awsBoundary(rr.GetPermissionsBoundaryDecisionDetail()),
		})
	}
	return out
}

func awsBoundary(d *pdpv1.PermissionsBoundaryDecisionDetail) *awsBoundaryDetail {
	if d == nil {
		return nil
	}
	return &awsBoundaryDetail{AllowedByPermissionsBoundary: d.GetAllowedByPermissionsBoundary()}
}

func awsStatements(sts []*pdpv1.Statement) []awsStatement {
	out := make([]awsStatement, 0, len(sts))
	for _, s := range sts {
		out = append(out, awsStatement{SourcePolicyID: s.GetSourcePolicyId(), SourcePolicyType: s.GetSourcePolicyType(),
			StartPosition: awsPos(s.GetStartPosition()), EndPosition: awsPos(s.GetEndPosition())})
	}
	return out
}

func awsPos(p *pdpv1.Position) *awsPosition {
	if p == nil {
		return nil
	}
	return &awsPosition{Line: p.GetLine(), Column: p.GetColumn()}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
