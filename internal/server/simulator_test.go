package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/pkg/conformance"
)

// simServer is a server with the authorization and simulator services.
type simServer struct {
	srv   *server.Server
	sim   pdpv1.SimulatorServiceClient
	authz pdpv1.AuthorizationServiceClient
}

// newSimServer starts a server with both services; with model it serves
// examples/model, else no snapshot at all.
func newSimServer(tb testing.TB, model bool) *simServer {
	tb.Helper()
	cat := loadCatalog(tb)
	srv := server.New(server.Config{}, cat, nil)
	if model {
		srv.Activate(exampleSnapshot(tb, cat, 1))
	}
	conn := dial(tb, func(gs *grpc.Server) {
		srv.Register(gs)
		server.NewSimulator(srv).Register(gs)
	})
	return &simServer{srv: srv, sim: pdpv1.NewSimulatorServiceClient(conn), authz: pdpv1.NewAuthorizationServiceClient(conn)}
}

const (
	appA       = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a"
	appB       = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/b"
	caller     = "arn:aws:iam::111122223333:user/carol"
	allowAll   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:*","Resource":"*"}}`
	denyDelete = `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*"}}`
)

func stmt(id string, line, startCol, endCol int32) *pdpv1.Statement {
	return &pdpv1.Statement{SourcePolicyId: id,
		StartPosition: &pdpv1.Position{Line: line, Column: startCol},
		EndPosition:   &pdpv1.Position{Line: line, Column: endCol}}
}

func entry(name, typ string, values ...string) *pdpv1.ContextEntry {
	return &pdpv1.ContextEntry{ContextKeyName: name, ContextKeyType: typ, ContextKeyValues: values}
}

// TestSimulateCustomPolicyAWSExample replays the AWS CLI's documented
// simulate-custom-policy example, with the action moved to Amazon
// Pinpoint ("dynamodb:*" becomes "mobiletargeting:*", 7 characters
// longer). AWS answers Column 38 to 167 for the statement of
// {"Version":"2012-10-17","Statement":{…}}: the column after its opening
// brace (37) to the column after its closing one.
func TestSimulateCustomPolicyAWSExample(t *testing.T) {
	t.Parallel()
	ts := newSimServer(t, false)
	policy := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:*","Resource":"*",` +
		`"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`
	for _, tc := range []struct {
		when    string
		want    string
		matched []*pdpv1.Statement
	}{
		{"2019-04-25T11:00:00Z", "allowed", []*pdpv1.Statement{stmt("PolicyInputList.1", 1, 38, 174)}},
		{"2014-04-25T11:00:00Z", "implicitDeny", nil},
	} {
		resp, err := ts.sim.SimulateCustomPolicy(t.Context(), &pdpv1.SimulateCustomPolicyRequest{
			PolicyInputList: []string{policy}, ActionNames: []string{"mobiletargeting:CreateApp"},
			ContextEntries: []*pdpv1.ContextEntry{entry("aws:CurrentTime", "date", tc.when)},
		})
		require.NoError(t, err)
		require.Len(t, resp.GetEvaluationResults(), 1)
		er := resp.GetEvaluationResults()[0]
		assert.Equal(t, "mobiletargeting:CreateApp", er.GetEvalActionName())
		assert.Equal(t, "*", er.GetEvalResourceName())
		assert.Equal(t, tc.want, er.GetEvalDecision(), tc.when)
		assert.Empty(t, er.GetMissingContextValues())
		assert.Empty(t, er.GetResourceSpecificResults(), "no ResourceArns, no resource-specific results")
		assert.Nil(t, er.GetEvalDecisionDetails(), "same account, resource *: not returned")
		assertStatements(t, tc.matched, er.GetMatchedStatements())
		assert.False(t, resp.GetIsTruncated())
	}
}

func assertStatements(t *testing.T, want, got []*pdpv1.Statement) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		assert.True(t, proto.Equal(want[i], got[i]), "statement %d: got %v, want %v", i, got[i], want[i])
	}
}

// TestSimulateCustomPolicySemantics checks the documented rules of the
// simulator's results, one rule per case.
func TestSimulateCustomPolicySemantics(t *testing.T) {
	t.Parallel()
	ts := newSimServer(t, false)
	multiLine := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n" +
		"    {\"Effect\": \"Allow\", \"Action\": \"mobiletargeting:GetApp\", \"Resource\": \"*\"},\n" +
		"    {\n      \"Sid\": \"Twö\",\n      \"Effect\": \"Allow\",\n      \"Action\": \"mobiletargeting:GetApps\",\n" +
		"      \"Resource\": \"*\"\n    }\n  ]\n}"
	ipCond := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:*","Resource":"*",` +
		`"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}`
	resourcePolicy := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},` +
		`"Action":"mobiletargeting:GetApp","Resource":"*"}}`
	tests := []struct {
		name  string
		req   *pdpv1.SimulateCustomPolicyRequest
		check func(t *testing.T, er *pdpv1.EvaluationResult)
	}{{
		// "if only one statement denies that operation, then the explicit
		// deny overrides any allow. In addition, the deny statement is the
		// only entry included in the result." (EvaluationResult)
		name: "explicit deny reports only the deny statement",
		req: &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{allowAll, denyDelete},
			ActionNames: []string{"mobiletargeting:DeleteApp"}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "explicitDeny", er.GetEvalDecision())
			assertStatements(t, []*pdpv1.Statement{stmt("PolicyInputList.2", 1, 38, 106)}, er.GetMatchedStatements())
		},
	}, {
		// "The top-level EvalDecision reflects the most restrictive
		// decision across all resources (for example, if any resource
		// produces explicitDeny, the top-level decision is explicitDeny)."
		name: "the most restrictive decision over the resources",
		req: &pdpv1.SimulateCustomPolicyRequest{
			PolicyInputList: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"` + appB + `"}}`},
			ActionNames:     []string{"mobiletargeting:GetApp"}, ResourceArns: []string{appA, appB}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "explicitDeny", er.GetEvalDecision())
			assert.Equal(t, "*", er.GetEvalResourceName())
			rs := er.GetResourceSpecificResults()
			require.Len(t, rs, 2)
			assert.Equal(t, appA, rs[0].GetEvalResourceName())
			assert.Equal(t, "allowed", rs[0].GetEvalResourceDecision())
			assert.Equal(t, "PolicyInputList.1", rs[0].GetMatchedStatements()[0].GetSourcePolicyId())
			assert.Equal(t, "explicitDeny", rs[1].GetEvalResourceDecision())
			// Only the deny statement, of the denied resource, at the top.
			require.Len(t, er.GetMatchedStatements(), 1)
			assert.Equal(t, "PolicyInputList.2", er.GetMatchedStatements()[0].GetSourcePolicyId())
		},
	}, {
		name: "an implicit deny on one resource outweighs an allow on another",
		req: &pdpv1.SimulateCustomPolicyRequest{
			PolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"` + appA + `"}}`},
			ActionNames:     []string{"mobiletargeting:GetApp"}, ResourceArns: []string{appA, appB}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "implicitDeny", er.GetEvalDecision())
			rs := er.GetResourceSpecificResults()
			require.Len(t, rs, 2)
			assert.Equal(t, "allowed", rs[0].GetEvalResourceDecision())
			assert.Equal(t, "implicitDeny", rs[1].GetEvalResourceDecision())
			assert.Empty(t, rs[1].GetMatchedStatements())
		},
	}, {
		// MissingContextValues: "A list of context keys that are required
		// by the included input policies but that were not provided by one
		// of the input parameters."
		name: "a key a condition tests but the request lacks is missing",
		req: &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{ipCond},
			ActionNames: []string{"mobiletargeting:GetApp"}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "implicitDeny", er.GetEvalDecision())
			assert.Equal(t, []string{"aws:SourceIp"}, er.GetMissingContextValues())
		},
	}, {
		// "If you include a list of resources, then any missing context
		// values are instead included under the ResourceSpecificResults
		// section."
		name: "with resources, missing keys are reported per resource",
		req: &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{ipCond},
			ActionNames: []string{"mobiletargeting:GetApp"}, ResourceArns: []string{appA}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			require.Len(t, er.GetResourceSpecificResults(), 1)
			assert.Equal(t, []string{"aws:SourceIp"}, er.GetResourceSpecificResults()[0].GetMissingContextValues())
			assert.Equal(t, appA, er.GetEvalResourceName())
		},
	}, {
		name: "a key given is not missing",
		req: &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{ipCond},
			ActionNames:    []string{"mobiletargeting:GetApp"},
			ContextEntries: []*pdpv1.ContextEntry{entry("aws:SourceIp", "ip", "203.0.113.9")}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "allowed", er.GetEvalDecision())
			assert.Empty(t, er.GetMissingContextValues())
		},
	}, {
		name: "positions point at the statement in a multi-line text",
		req: &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{multiLine},
			ActionNames: []string{"mobiletargeting:GetApps"}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			// The second statement opens at line 5, column 5, and closes at
			// line 10, column 5 (columns count characters: "ö" is one).
			assertStatements(t, []*pdpv1.Statement{{SourcePolicyId: "PolicyInputList.1",
				StartPosition: &pdpv1.Position{Line: 5, Column: 6}, EndPosition: &pdpv1.Position{Line: 10, Column: 6}}},
				er.GetMatchedStatements())
		},
	}, {
		// AllowedByOrganizations: "Specifies whether the simulated
		// operation is allowed by the Organizations service control
		// policies"; every level, root first, must allow.
		name: "ordered SCPs: a level that does not allow denies",
		req: &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{allowAll},
			OrganizationsPolicyInputList: []string{
				`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
				`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:Get*","Resource":"*"}}`,
			},
			ActionNames: []string{"mobiletargeting:GetApp", "mobiletargeting:DeleteApp"}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			switch er.GetEvalActionName() {
			case "mobiletargeting:GetApp":
				assert.Equal(t, "allowed", er.GetEvalDecision())
				assert.True(t, er.GetOrganizationsDecisionDetail().GetAllowedByOrganizations())
				var ids []string
				for _, s := range er.GetMatchedStatements() {
					ids = append(ids, s.GetSourcePolicyId())
				}
				assert.Equal(t, []string{"OrganizationsPolicyInputList.1", "OrganizationsPolicyInputList.2", "PolicyInputList.1"}, ids)
			default:
				assert.Equal(t, "implicitDeny", er.GetEvalDecision())
				require.NotNil(t, er.GetOrganizationsDecisionDetail())
				assert.False(t, er.GetOrganizationsDecisionDetail().GetAllowedByOrganizations())
			}
		},
	}, {
		// AllowedByPermissionsBoundary: "A value of false means that either
		// the requested action is not allowed (implicitly denied) or that
		// the action is explicitly denied by the permissions boundary."
		name: "a boundary that does not allow",
		req: &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{allowAll},
			PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:Get*","Resource":"*"}}`},
			ActionNames:                        []string{"mobiletargeting:DeleteApp"}, ResourceArns: []string{appA}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "implicitDeny", er.GetEvalDecision())
			require.NotNil(t, er.GetPermissionsBoundaryDecisionDetail())
			assert.False(t, er.GetPermissionsBoundaryDecisionDetail().GetAllowedByPermissionsBoundary())
			assert.False(t, er.GetResourceSpecificResults()[0].GetPermissionsBoundaryDecisionDetail().GetAllowedByPermissionsBoundary())
			assert.Nil(t, er.GetOrganizationsDecisionDetail(), "no SCPs, no organizations detail")
		},
	}, {
		// EvalDecisionDetails: "This parameter is populated for only
		// cross-account simulations. It contains a brief summary of how
		// each policy type contributes to the final evaluation decision."
		name: "cross-account: each policy type's say",
		req: &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{allowAll}, ResourcePolicy: resourcePolicy,
			CallerArn: "arn:aws:iam::444455556666:user/partner", ActionNames: []string{"mobiletargeting:GetApp"}, ResourceArns: []string{appA}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "allowed", er.GetEvalDecision())
			want := map[string]string{"IAM Policy": "allowed", "Resource Policy": "allowed"}
			assert.Equal(t, want, er.GetEvalDecisionDetails())
			assert.Equal(t, want, er.GetResourceSpecificResults()[0].GetEvalDecisionDetails())
			var types []string
			for _, s := range er.GetMatchedStatements() {
				types = append(types, s.GetSourcePolicyId()+"/"+s.GetSourcePolicyType())
			}
			assert.ElementsMatch(t, []string{"PolicyInputList.1/", "ResourcePolicy/resource"}, types)
		},
	}, {
		name: "same account: no decision details",
		req: &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{allowAll}, ResourcePolicy: resourcePolicy,
			CallerArn: caller, ActionNames: []string{"mobiletargeting:GetApp"}, ResourceArns: []string{appA}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "allowed", er.GetEvalDecision())
			assert.Nil(t, er.GetEvalDecisionDetails())
		},
	}, {
		name: "pdp extension: a resource policy per resource",
		req: &pdpv1.SimulateCustomPolicyRequest{CallerArn: "arn:aws:iam::444455556666:user/partner",
			PolicyInputList:  []string{allowAll},
			ResourcePolicies: map[string]string{appB: resourcePolicy},
			ActionNames:      []string{"mobiletargeting:GetApp"}, ResourceArns: []string{appA, appB}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			rs := er.GetResourceSpecificResults()
			require.Len(t, rs, 2)
			assert.Equal(t, "implicitDeny", rs[0].GetEvalResourceDecision(), "cross-account without a resource policy")
			assert.Equal(t, "allowed", rs[1].GetEvalResourceDecision())
		},
	}, {
		name: "pdp extension: session policies and session tags",
		req: &pdpv1.SimulateCustomPolicyRequest{CallerArn: "arn:aws:sts::111122223333:assumed-role/ops/s1",
			PolicyInputList: []string{allowAll},
			SessionPolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*",` +
				`"Condition":{"StringEquals":{"aws:PrincipalTag/team":"growth"}}}}`},
			SessionTags: map[string]string{"team": "growth"},
			ActionNames: []string{"mobiletargeting:GetApp"}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "allowed", er.GetEvalDecision())
		},
	}, {
		name: "pdp accepts no identity policy: the resource policy decides",
		req: &pdpv1.SimulateCustomPolicyRequest{ResourcePolicy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow",` +
			`"Principal":{"AWS":"` + caller + `"},"Action":"mobiletargeting:GetApp","Resource":"*"}}`,
			CallerArn: caller, ActionNames: []string{"mobiletargeting:GetApp"}, ResourceArns: []string{appA}},
		check: func(t *testing.T, er *pdpv1.EvaluationResult) {
			assert.Equal(t, "allowed", er.GetEvalDecision())
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := ts.sim.SimulateCustomPolicy(t.Context(), tc.req)
			require.NoError(t, err, "%v", decodeError(err))
			require.Len(t, resp.GetEvaluationResults(), len(tc.req.GetActionNames()))
			for i, er := range resp.GetEvaluationResults() {
				assert.Equal(t, tc.req.GetActionNames()[i], er.GetEvalActionName())
				tc.check(t, er)
			}
		})
	}
}

// TestSimulateCustomPolicyErrors: bad input is INVALID_ARGUMENT naming the
// field, with the line and column of a malformed policy.
func TestSimulateCustomPolicyErrors(t *testing.T) {
	t.Parallel()
	ts := newSimServer(t, false)
	base := func(f func(*pdpv1.SimulateCustomPolicyRequest)) *pdpv1.SimulateCustomPolicyRequest {
		r := &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{allowAll}, ActionNames: []string{"mobiletargeting:GetApp"}}
		f(r)
		return r
	}
	ctxEntries := func(es ...*pdpv1.ContextEntry) *pdpv1.SimulateCustomPolicyRequest {
		return base(func(r *pdpv1.SimulateCustomPolicyRequest) { r.ContextEntries = es })
	}
	tests := []struct {
		name   string
		req    *pdpv1.SimulateCustomPolicyRequest
		field  string
		reason string
		msg    string
	}{
		{"malformed policy", base(func(r *pdpv1.SimulateCustomPolicyRequest) {
			r.PolicyInputList = append(r.PolicyInputList, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [ {\"Effect\": \"Allow\",, } ]\n}")
		}), "PolicyInputList[1]", "MALFORMED_POLICY_DOCUMENT", "3:"},
		{"malformed boundary", base(func(r *pdpv1.SimulateCustomPolicyRequest) {
			r.PermissionsBoundaryPolicyInputList = []string{`{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}`}
		}), "PermissionsBoundaryPolicyInputList[0]", "MALFORMED_POLICY_DOCUMENT", "1:"},
		{"numeric value not a number", ctxEntries(entry("aws:MultiFactorAuthAge", "numeric", "soon")),
			"ContextEntries[0].ContextKeyValues[0]", "INVALID_REQUEST", "want a number"},
		{"boolean list with a non-boolean", ctxEntries(entry("aws:SecureTransport", "booleanList", "true", "yes")),
			"ContextEntries[0].ContextKeyValues[1]", "INVALID_REQUEST", `"yes"`},
		{"ip not an address", ctxEntries(entry("aws:SourceIp", "ip", "somewhere")),
			"ContextEntries[0].ContextKeyValues[0]", "INVALID_REQUEST", "IPv4 or IPv6"},
		{"date not a date", ctxEntries(entry("aws:CurrentTime", "date", "yesterday")),
			"ContextEntries[0].ContextKeyValues[0]", "INVALID_REQUEST", "ISO 8601"},
		{"binary not base64", ctxEntries(entry("mobiletargeting:Blob", "binary", "%%%")),
			"ContextEntries[0].ContextKeyValues[0]", "INVALID_REQUEST", "base64"},
		{"scalar type with two values", ctxEntries(entry("aws:SourceIp", "ip", "192.0.2.1", "192.0.2.2")),
			"ContextEntries[0].ContextKeyValues", "INVALID_REQUEST", "takes one value"},
		{"unknown type", ctxEntries(entry("aws:SourceIp", "address", "192.0.2.1")),
			"ContextEntries[0].ContextKeyType", "INVALID_REQUEST", "unknown type"},
		{"a key twice", ctxEntries(entry("aws:SourceIp", "ip", "192.0.2.1"), entry("AWS:SourceIP", "ip", "192.0.2.2")),
			"ContextEntries[1].ContextKeyName", "INVALID_REQUEST", "twice"},
		{"wildcard action", base(func(r *pdpv1.SimulateCustomPolicyRequest) { r.ActionNames = []string{"mobiletargeting:Get*"} }),
			"ActionNames[0]", "INVALID_REQUEST", "wildcard"},
		{"no action", base(func(r *pdpv1.SimulateCustomPolicyRequest) { r.ActionNames = nil }),
			"ActionNames", "INVALID_REQUEST", "at least one"},
		{"malformed resource", base(func(r *pdpv1.SimulateCustomPolicyRequest) { r.ResourceArns = []string{"apps/a"} }),
			"ResourceArns[0]", "INVALID_REQUEST", "malformed resource"},
		{"resource handling option", base(func(r *pdpv1.SimulateCustomPolicyRequest) { r.ResourceHandlingOption = "EC2-VPC-EBS" }),
			"ResourceHandlingOption", "INVALID_REQUEST", "no resource handling"},
		{"MaxItems over 1000", base(func(r *pdpv1.SimulateCustomPolicyRequest) { r.MaxItems = 1001 }),
			"MaxItems", "INVALID_REQUEST", "1 to 1000"},
		{"resource policy without a caller", base(func(r *pdpv1.SimulateCustomPolicyRequest) {
			r.ResourcePolicy = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`
		}),
			"CallerArn", "INVALID_REQUEST", "Principal"},
		{"malformed owner", base(func(r *pdpv1.SimulateCustomPolicyRequest) { r.ResourceOwner = "111122223333" }),
			"ResourceOwner", "INVALID_REQUEST", "arn:aws:iam::ACCOUNT:root"},
		{"per-resource policy for a resource not simulated", base(func(r *pdpv1.SimulateCustomPolicyRequest) {
			r.CallerArn, r.ResourcePolicies = caller, map[string]string{appA: allowAll}
		}), "ResourcePolicies[" + appA + "]", "INVALID_REQUEST", "not in ResourceArns"},
		{"two boundaries", base(func(r *pdpv1.SimulateCustomPolicyRequest) {
			r.PermissionsBoundaryPolicyInputList = []string{allowAll, allowAll}
		}), "PermissionsBoundaryPolicyInputList", "INVALID_REQUEST", "at most one"},
		{"garbage marker", base(func(r *pdpv1.SimulateCustomPolicyRequest) { r.Marker = "not-a-marker" }),
			"Marker", "INVALID_REQUEST", "malformed marker"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ts.sim.SimulateCustomPolicy(t.Context(), tc.req)
			e := decodeError(err)
			require.Equal(t, codes.InvalidArgument, e.Code, "%v", e)
			assert.Contains(t, e.Fields, tc.field, "%v", e)
			assert.Equal(t, tc.reason, e.Reason)
			assert.Contains(t, e.Msg, tc.msg)
		})
	}
}

// TestSimulateCustomPolicyPaging walks a request page by page: "If the
// output is long, you can use MaxItems and Marker parameters to paginate
// the results." IsTruncated says whether more results follow, and Marker
// is what the next request passes.
func TestSimulateCustomPolicyPaging(t *testing.T) {
	t.Parallel()
	ts := newSimServer(t, false)
	actions := make([]string, 150)
	for i := range actions {
		actions[i] = fmt.Sprintf("mobiletargeting:Action%03d", i)
	}
	req := &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{allowAll, denyDelete},
		ActionNames: append(actions[:4:4], "mobiletargeting:DeleteApp")}

	whole, err := ts.sim.SimulateCustomPolicy(t.Context(), req)
	require.NoError(t, err)
	require.Len(t, whole.GetEvaluationResults(), 5)
	assert.False(t, whole.GetIsTruncated())
	assert.Empty(t, whole.GetMarker())

	var got []*pdpv1.EvaluationResult
	var sizes []int
	page := proto.Clone(req).(*pdpv1.SimulateCustomPolicyRequest)
	page.MaxItems = 2
	for range 10 { // bounded: three pages are expected
		resp, err := ts.sim.SimulateCustomPolicy(t.Context(), page)
		require.NoError(t, err)
		got = append(got, resp.GetEvaluationResults()...)
		sizes = append(sizes, len(resp.GetEvaluationResults()))
		if !resp.GetIsTruncated() {
			assert.Empty(t, resp.GetMarker())
			break
		}
		require.NotEmpty(t, resp.GetMarker())
		page.Marker = resp.GetMarker()
	}
	assert.Equal(t, []int{2, 2, 1}, sizes)
	require.Len(t, got, 5)
	for i := range got {
		assert.True(t, proto.Equal(whole.GetEvaluationResults()[i], got[i]), "result %d", i)
	}
	assert.Equal(t, "explicitDeny", got[4].GetEvalDecision())

	// A marker is for the request that produced it.
	other := proto.Clone(page).(*pdpv1.SimulateCustomPolicyRequest)
	other.ActionNames = other.ActionNames[:3]
	_, err = ts.sim.SimulateCustomPolicy(t.Context(), other)
	e := decodeError(err)
	assert.Equal(t, codes.InvalidArgument, e.Code)
	assert.Contains(t, e.Msg, "another request")

	// 100 results a page unless told; up to 1000 when told (AWS may
	// return fewer than MaxItems; pdp returns them all).
	long := &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{allowAll}, ActionNames: actions}
	resp, err := ts.sim.SimulateCustomPolicy(t.Context(), long)
	require.NoError(t, err)
	assert.Len(t, resp.GetEvaluationResults(), 100)
	assert.True(t, resp.GetIsTruncated())
	long.MaxItems = 1000
	resp, err = ts.sim.SimulateCustomPolicy(t.Context(), long)
	require.NoError(t, err)
	assert.Len(t, resp.GetEvaluationResults(), 150)
	assert.False(t, resp.GetIsTruncated())

	// A page makes at most 2000 decisions: with 100 resources, 20 actions
	// a page, whatever MaxItems says ("IAM might return fewer results,
	// even when there are more results available").
	resources := make([]string, 100)
	for i := range resources {
		resources[i] = fmt.Sprintf("%s-%d", appA, i)
	}
	wide := &pdpv1.SimulateCustomPolicyRequest{PolicyInputList: []string{allowAll}, ActionNames: actions[:30],
		ResourceArns: resources, MaxItems: 1000}
	resp, err = ts.sim.SimulateCustomPolicy(t.Context(), wide)
	require.NoError(t, err)
	assert.Len(t, resp.GetEvaluationResults(), 20)
	assert.Len(t, resp.GetEvaluationResults()[0].GetResourceSpecificResults(), 100)
	require.True(t, resp.GetIsTruncated())
	wide.Marker = resp.GetMarker()
	resp, err = ts.sim.SimulateCustomPolicy(t.Context(), wide)
	require.NoError(t, err)
	assert.Len(t, resp.GetEvaluationResults(), 10)
	assert.False(t, resp.GetIsTruncated())
}

// TestGetContextKeysForCustomPolicy: the keys the policies' conditions and
// policy variables reference, sorted, each once.
func TestGetContextKeysForCustomPolicy(t *testing.T) {
	t.Parallel()
	ts := newSimServer(t, false)
	resp, err := ts.sim.GetContextKeysForCustomPolicy(t.Context(), &pdpv1.GetContextKeysForCustomPolicyRequest{PolicyInputList: []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:mobiletargeting:*:*:apps/${aws:PrincipalTag/app}",` +
			`"Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"AWS:SecureTransport":"false"},` +
			`"StringNotEquals":{"aws:requestedregion":"eu-west-1"}}}}`,
	}})
	require.NoError(t, err)
	assert.Equal(t, []string{"aws:PrincipalTag/app", "aws:PrincipalTag/team", "aws:RequestedRegion", "aws:ResourceTag/team", "AWS:SecureTransport"},
		resp.GetContextKeyNames())

	_, err = ts.sim.GetContextKeysForCustomPolicy(t.Context(), &pdpv1.GetContextKeysForCustomPolicyRequest{PolicyInputList: []string{"{"}})
	e := decodeError(err)
	assert.Equal(t, codes.InvalidArgument, e.Code)
	assert.Equal(t, "MALFORMED_POLICY_DOCUMENT", e.Reason)
	assert.Contains(t, e.Fields, "PolicyInputList[0]")
}

// TestSimulatePrincipalPolicy simulates alice of examples/model: her
// group's inline and managed policies, her own managed policy, her
// permissions boundary and the SCPs of her account.
func TestSimulatePrincipalPolicy(t *testing.T) {
	t.Parallel()
	ts := newSimServer(t, true)
	const alice = "arn:aws:iam::111122223333:user/alice"
	region := []*pdpv1.ContextEntry{entry("aws:RequestedRegion", "string", "us-east-1")}
	req := &pdpv1.SimulatePrincipalPolicyRequest{PolicySourceArn: alice, ContextEntries: region,
		ActionNames:  []string{"mobiletargeting:GetSegments", "mobiletargeting:GetApps"},
		ResourceArns: []string{"arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app"}}
	resp, err := ts.sim.SimulatePrincipalPolicy(t.Context(), req)
	require.NoError(t, err, "%v", decodeError(err))
	require.Len(t, resp.GetEvaluationResults(), 2)
	for _, er := range resp.GetEvaluationResults() {
		assert.Equal(t, "allowed", er.GetEvalDecision(), er.GetEvalActionName())
		assert.True(t, er.GetOrganizationsDecisionDetail().GetAllowedByOrganizations())
		assert.True(t, er.GetPermissionsBoundaryDecisionDetail().GetAllowedByPermissionsBoundary())
	}
	identity := func(er *pdpv1.EvaluationResult) []string {
		var out []string
		for _, s := range er.GetMatchedStatements() {
			if s.GetSourcePolicyType() != "none" { // SCPs
				out = append(out, s.GetSourcePolicyType()+":"+s.GetSourcePolicyId())
			}
		}
		return out
	}
	// SourcePolicyType: "user | group | role | aws-managed | user-managed
	// | resource | none" (Statement).
	assert.Contains(t, identity(resp.GetEvaluationResults()[0]), "user-managed:SegmentReaders")
	assert.Contains(t, identity(resp.GetEvaluationResults()[1]), "group:ListApps")
	for _, s := range resp.GetEvaluationResults()[0].GetMatchedStatements() {
		assert.NotNil(t, s.GetStartPosition(), s.GetSourcePolicyId())
	}

	// pdp extension: what if the group's managed policy were detached?
	req.PolicyExclusionList = []string{"SegmentReaders"}
	resp, err = ts.sim.SimulatePrincipalPolicy(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "implicitDeny", resp.GetEvaluationResults()[0].GetEvalDecision())
	assert.Equal(t, "allowed", resp.GetEvaluationResults()[1].GetEvalDecision())

	// A policy given as text adds to the principal's.
	req.PolicyInputList = []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:GetSegments","Resource":"*"}}`}
	resp, err = ts.sim.SimulatePrincipalPolicy(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "allowed", resp.GetEvaluationResults()[0].GetEvalDecision())
	assert.Equal(t, []string{"PolicyInputList.1"}, func() []string {
		var ids []string
		for _, s := range resp.GetEvaluationResults()[0].GetMatchedStatements() {
			if s.GetSourcePolicyType() == "" {
				ids = append(ids, s.GetSourcePolicyId())
			}
		}
		return ids
	}())

	// The SCPs of the account still apply: a region outside the approved.
	req.PolicyExclusionList, req.PolicyInputList = nil, nil
	req.ContextEntries = []*pdpv1.ContextEntry{entry("aws:RequestedRegion", "string", "ap-south-1")}
	resp, err = ts.sim.SimulatePrincipalPolicy(t.Context(), req)
	require.NoError(t, err)
	er := resp.GetEvaluationResults()[0]
	assert.Equal(t, "explicitDeny", er.GetEvalDecision())
	assert.False(t, er.GetOrganizationsDecisionDetail().GetAllowedByOrganizations())
	require.Len(t, er.GetMatchedStatements(), 1)
	assert.Equal(t, "MarketingGuardrails", er.GetMatchedStatements()[0].GetSourcePolicyId())

	for _, tc := range []struct {
		name  string
		f     func(r *pdpv1.SimulatePrincipalPolicyRequest)
		code  codes.Code
		field string
	}{
		{"unknown exclusion", func(r *pdpv1.SimulatePrincipalPolicyRequest) { r.PolicyExclusionList = []string{"NoSuchPolicy"} },
			codes.InvalidArgument, "PolicyExclusionList[0]"},
		{"unknown principal", func(r *pdpv1.SimulatePrincipalPolicyRequest) {
			r.PolicySourceArn = "arn:aws:iam::111122223333:user/nobody"
		}, codes.NotFound, ""},
		{"a session is not a policy source", func(r *pdpv1.SimulatePrincipalPolicyRequest) {
			r.PolicySourceArn = "arn:aws:sts::111122223333:assumed-role/r/s"
		}, codes.InvalidArgument, "PolicySourceArn"},
	} {
		r := proto.Clone(req).(*pdpv1.SimulatePrincipalPolicyRequest)
		tc.f(r)
		_, err := ts.sim.SimulatePrincipalPolicy(t.Context(), r)
		e := decodeError(err)
		assert.Equal(t, tc.code, e.Code, tc.name)
		if tc.field != "" {
			assert.Contains(t, e.Fields, tc.field, tc.name)
		}
	}

	keys, err := ts.sim.GetContextKeysForPrincipalPolicy(t.Context(), &pdpv1.GetContextKeysForPrincipalPolicyRequest{PolicySourceArn: alice})
	require.NoError(t, err)
	assert.NotEmpty(t, keys.GetContextKeyNames())
	assert.IsIncreasing(t, lower(keys.GetContextKeyNames()))
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// TestSimulatePrincipalPolicyWithoutModel: before a snapshot is loaded a
// principal cannot be simulated, while custom policies can.
func TestSimulatePrincipalPolicyWithoutModel(t *testing.T) {
	t.Parallel()
	ts := newSimServer(t, false)
	_, err := ts.sim.SimulatePrincipalPolicy(t.Context(), &pdpv1.SimulatePrincipalPolicyRequest{
		PolicySourceArn: caller, ActionNames: []string{"mobiletargeting:GetApp"}})
	assert.Equal(t, codes.Unavailable, decodeError(err).Code)
}

// customRequest maps a conformance case onto SimulateCustomPolicy:
// identity policies → PolicyInputList, boundary →
// PermissionsBoundaryPolicyInputList, resource policy → ResourcePolicy,
// SCPs → OrganizationsPolicyInputList (root first), session policies →
// SessionPolicyInputList, principal → CallerArn, resource account →
// ResourceOwner, each context string → a string entry and each list → a
// stringList entry.
func customRequest(c *conformance.Case) (*pdpv1.SimulateCustomPolicyRequest, error) {
	req := &pdpv1.SimulateCustomPolicyRequest{
		ResourcePolicy: document(c.ResourcePolicy), CallerArn: c.Request.Principal,
		ActionNames: []string{c.Request.Action}, ResourceArns: []string{c.Request.Resource},
	}
	if b := document(c.PermissionsBoundary); b != "" {
		req.PermissionsBoundaryPolicyInputList = []string{b}
	}
	if a := c.Request.ResourceAccount; a != "" {
		req.ResourceOwner = "arn:aws:iam::" + a + ":root"
	}
	for _, raw := range c.IdentityPolicies {
		req.PolicyInputList = append(req.PolicyInputList, string(raw))
	}
	for _, raw := range c.SessionPolicies {
		req.SessionPolicyInputList = append(req.SessionPolicyInputList, string(raw))
	}
	for _, raw := range c.SCPs {
		req.OrganizationsPolicyInputList = append(req.OrganizationsPolicyInputList, string(raw))
	}
	for k, raw := range c.Request.Context {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			req.ContextEntries = append(req.ContextEntries, entry(k, "string", s))
			continue
		}
		var vs []string
		if err := json.Unmarshal(raw, &vs); err != nil {
			return nil, fmt.Errorf("context[%s]: %s", k, raw)
		}
		req.ContextEntries = append(req.ContextEntries, entry(k, "stringList", vs...))
	}
	return req, nil
}

var simDecisions = map[pdpv1.Decision]string{
	pdpv1.Decision_DECISION_ALLOW:         "allowed",
	pdpv1.Decision_DECISION_EXPLICIT_DENY: "explicitDeny",
	pdpv1.Decision_DECISION_IMPLICIT_DENY: "implicitDeny",
}

// TestSimulateCustomPolicyPublicCorpus: for every case of the public
// corpus, SimulateCustomPolicy decides as Simulate does.
func TestSimulateCustomPolicyPublicCorpus(t *testing.T) {
	t.Parallel()
	cases := readCorpus(t, publicCorpus)
	require.Len(t, cases, 721)
	ts := newSimServer(t, false)
	agreed := 0
	for _, c := range cases {
		sreq, err := simulateRequest(c)
		require.NoError(t, err)
		want, err := ts.authz.Simulate(t.Context(), sreq)
		require.NoError(t, err, "%s: Simulate: %v", c.ID, decodeError(err))
		creq, err := customRequest(c)
		require.NoError(t, err)
		got, err := ts.sim.SimulateCustomPolicy(t.Context(), creq)
		if !assert.NoError(t, err, "%s: %v", c.ID, decodeError(err)) {
			continue
		}
		require.Len(t, got.GetEvaluationResults(), 1)
		er := got.GetEvaluationResults()[0]
		if assert.Equal(t, simDecisions[want.GetDecision()], er.GetEvalDecision(), "%s (features %v)", c.ID, c.Features) &&
			assert.Equal(t, er.GetEvalDecision(), er.GetResourceSpecificResults()[0].GetEvalResourceDecision(), c.ID) {
			agreed++
		}
	}
	assert.Equal(t, len(cases), agreed)
	t.Logf("SimulateCustomPolicy agreed with Simulate on %d/%d cases", agreed, len(cases))
}
