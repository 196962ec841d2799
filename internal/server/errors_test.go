package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/servertest"
)

// notJSON is a session or identity policy that does not parse.
const notJSON = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*",}]}`

// readCampaign is a well-formed request that alice may make; tests break
// one part of it.
func readCampaign(change func(*pdpv1.CheckRequest)) *pdpv1.CheckRequest {
	req := &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast()}
	change(req)
	return req
}

// TestCheckBadInput checks the code, the BadRequest fields and the
// ErrorInfo reason of every kind of bad request.
func TestCheckBadInput(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	tests := []struct {
		name       string
		req        *pdpv1.CheckRequest
		wantFields []string // exact, except that a policy field may go on ".Statement[...]"
		// ErrorInfo reason: INVALID_REQUEST, or for a policy the engine's
		// code of its first problem (STYLE.md §3).
		wantReason string
		wantMsg    string // in the message or a field's description
	}{
		{name: "unknown action",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Action = "mobiletargeting:GetCampaignz" }),
			wantFields: []string{"action"}, wantReason: "INVALID_REQUEST", wantMsg: `did you mean "mobiletargeting:GetCampaign`},
		{name: "unknown action of a known service, far from any",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Action = "sms-voice:LaunchRocket" }),
			wantFields: []string{"action"}, wantMsg: `unknown action "sms-voice:LaunchRocket"`},
		{name: "action without a service",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Action = "GetCampaign" }),
			wantFields: []string{"action"}},
		{name: "action of another service",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Action = "s3:GetObject" }),
			wantFields: []string{"action"}},
		{name: "missing action",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Action = "" }),
			wantFields: []string{"action"}},
		{name: "principal that is not an ARN",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Principal = "alice" }),
			wantFields: []string{"principal"}},
		{name: "principal with a short account",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Principal = "arn:aws:iam::1111:user/alice" }),
			wantFields: []string{"principal"}},
		{name: "principal with a region",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Principal = "arn:aws:iam:us-east-1:111122223333:user/alice" }),
			wantFields: []string{"principal"}, wantMsg: "no region"},
		{name: "principal that is not a user, role or session",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Principal = "arn:aws:s3:::bucket" }),
			wantFields: []string{"principal"}},
		{name: "resource that is not an ARN",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Resource = "apps/growth-app" }),
			wantFields: []string{"resource"}, wantMsg: `"apps/growth-app"`},
		{name: "missing resource",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Resource = "" }),
			wantFields: []string{"resource"}},
		{name: "resource account too short",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.ResourceAccount = "1111" }),
			wantFields: []string{"resource_account"}},
		{name: "resource account not digits",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.ResourceAccount = "marketing-01" }),
			wantFields: []string{"resource_account"}},
		{name: "resource account other than the resource's",
			req: readCampaign(func(r *pdpv1.CheckRequest) {
				r.Principal, r.ResourceAccount = partner, partnerAccount
			}),
			wantFields: []string{"resource_account"}, wantMsg: `account "444455556666" is not the account "111122223333" of resource`},
		{name: "source IP that is not an address",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context["aws:SourceIp"] = str("not-an-ip") }),
			wantFields: []string{"context[aws:SourceIp]"}, wantMsg: `"not-an-ip"`},
		{name: "MFA age that is not a number",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context["aws:MultiFactorAuthAge"] = str("soon") }),
			wantFields: []string{"context[aws:MultiFactorAuthAge]"}, wantMsg: `"soon"`},
		{name: "secure transport that is not a boolean",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context["aws:SecureTransport"] = str("yes") }),
			wantFields: []string{"context[aws:SecureTransport]"}},
		{name: "list for a single-valued key",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context["aws:SourceIp"] = list("203.0.113.7") }),
			wantFields: []string{"context[aws:SourceIp]"}, wantMsg: "string_value"},
		{name: "string for a multivalued key",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context["aws:TagKeys"] = str("team") }),
			wantFields: []string{"context[aws:TagKeys]"}, wantMsg: "list_value"},
		{name: "context value with no kind",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context["aws:RequestTag/team"] = &pdpv1.ContextValue{} }),
			wantFields: []string{"context[aws:RequestTag/team]"}},
		{name: "nil context value",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context["aws:RequestTag/team"] = nil }),
			wantFields: []string{"context[aws:RequestTag/team]"}},
		{name: "derived key given",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context["aws:PrincipalTag/team"] = str("growth") }),
			wantFields: []string{"context[aws:PrincipalTag/team]"}, wantMsg: "derived"},
		{name: "one key twice, in two cases",
			req: readCampaign(func(r *pdpv1.CheckRequest) {
				r.Context["aws:RequestedRegion"], r.Context["AWS:requestedregion"] = str("us-west-2"), str("us-east-1")
			}),
			wantFields: []string{"context[aws:RequestedRegion]"}, wantMsg: "case-insensitive"},
		{name: "one key twice, under a name that lowers to it",
			req: readCampaign(func(r *pdpv1.CheckRequest) {
				r.Context["aws:RequestedRegion"], r.Context["aws:RequestedReg\u0130on"] = str("us-west-2"), str("us-east-1")
			}),
			wantFields: []string{"context[aws:RequestedReg\u0130on]"}, wantMsg: "case-insensitive"},
		{name: "MFA age that is not a number, under a name that lowers to its key",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context["aws:Mult\u0130FactorAuthAge"] = str("soon") }),
			wantFields: []string{"context[aws:Mult\u0130FactorAuthAge]"}, wantMsg: `"soon"`},
		{name: "a tag key twice, in two cases",
			req: readCampaign(func(r *pdpv1.CheckRequest) {
				r.Context["aws:RequestTag/env"], r.Context["aws:requesttag/ENV"] = str("dev"), str("prod")
			}),
			wantFields: []string{"context[aws:requesttag/ENV]"}, wantMsg: `"aws:RequestTag/env" and "aws:requesttag/ENV"`},
		{name: "key without a name",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.Context[""] = str("x") }),
			wantFields: []string{"context[]"}, wantMsg: "needs a name"},
		{name: "session tag twice, in two cases",
			req: readCampaign(func(r *pdpv1.CheckRequest) {
				r.Principal, r.Resource, r.SessionTags = analyst, activeUsers, map[string]string{"team": "growth", "TEAM": "ops"}
			}),
			wantFields: []string{"session_tags[team]"}, wantMsg: "case-insensitive"},
		{name: "every problem at once, in field order",
			req: readCampaign(func(r *pdpv1.CheckRequest) {
				r.Principal, r.Action, r.Resource = "alice", "mobiletargeting:Nope", "nope"
				r.Context["aws:SourceIp"] = str("x")
			}),
			wantFields: []string{"principal", "action", "resource", "context[aws:SourceIp]"}},
		{name: "session policy that does not parse",
			req: readCampaign(func(r *pdpv1.CheckRequest) {
				r.Principal, r.Resource, r.SessionPolicies = analyst, activeUsers, []string{notJSON}
			}),
			wantFields: []string{"session_policies[0]"}, wantReason: "SYNTAX"},
		{name: "second session policy with a bad effect",
			req: readCampaign(func(r *pdpv1.CheckRequest) {
				r.Principal, r.SessionPolicies = analyst, []string{campaignsOnly,
					`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`}
			}),
			wantFields: []string{"session_policies[1].Statement[0].Effect"}, wantReason: "INVALID_VALUE", wantMsg: `"Maybe"`},
		{name: "session policy for an IAM user",
			req:        readCampaign(func(r *pdpv1.CheckRequest) { r.SessionPolicies = []string{campaignsOnly} }),
			wantFields: []string{"session_policies"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := ts.client.Check(t.Context(), tc.req)
			require.Error(t, err, "Check gave %v, want %v", resp.GetDecision(), codes.InvalidArgument)
			checkError(t, decodeError(err), codes.InvalidArgument, tc.wantFields, tc.wantReason, tc.wantMsg)
		})
	}
}

// checkError compares a decoded error with what a test wants (see
// servertest.CheckError).
func checkError(t *testing.T, got rpcError, code codes.Code, fields []string, reason, msg string) {
	t.Helper()
	servertest.CheckError(t, got, code, fields, reason, msg)
}

// TestSimulateBadInput checks Simulate's errors: a broken policy names its
// document, missing request fields are named.
func TestSimulateBadInput(t *testing.T) {
	t.Parallel()
	ts := newServer(t, server.Config{})
	valid := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:*","Resource":"*"}]}`
	simulate := func(change func(*pdpv1.SimulateRequest)) *pdpv1.SimulateRequest {
		req := &pdpv1.SimulateRequest{IdentityPolicies: []string{valid}, Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale}
		change(req)
		return req
	}
	tests := []struct {
		name       string
		req        *pdpv1.SimulateRequest
		wantFields []string
		wantReason string
	}{
		{"identity policy that does not parse", simulate(func(r *pdpv1.SimulateRequest) { r.IdentityPolicies = []string{notJSON} }),
			[]string{"identity_policies[0]"}, "SYNTAX"},
		{"second identity policy with a bad effect", simulate(func(r *pdpv1.SimulateRequest) {
			r.IdentityPolicies = append(r.IdentityPolicies, `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)
		}), []string{"identity_policies[1].Statement[0].Effect"}, "INVALID_VALUE"},
		{"resource policy that does not parse", simulate(func(r *pdpv1.SimulateRequest) { r.ResourcePolicy = "[]" }),
			[]string{"resource_policy"}, "WRONG_TYPE"},
		{"boundary that does not parse", simulate(func(r *pdpv1.SimulateRequest) { r.PermissionsBoundary = "{" }),
			[]string{"permissions_boundary"}, "SYNTAX"},
		{"SCP that does not parse", simulate(func(r *pdpv1.SimulateRequest) { r.Scps = []string{valid, notJSON} }),
			[]string{"scps[1]"}, "SYNTAX"},
		{"missing principal, action and resource", simulate(func(r *pdpv1.SimulateRequest) { r.Principal, r.Action, r.Resource = "", "", "" }),
			[]string{"principal", "action", "resource"}, "INVALID_REQUEST"},
		{"malformed resource account", simulate(func(r *pdpv1.SimulateRequest) { r.ResourceAccount = "zzz" }),
			[]string{"resource_account"}, "INVALID_REQUEST"},
		{"resource account other than the resource's", simulate(func(r *pdpv1.SimulateRequest) {
			r.Principal, r.ResourceAccount = "arn:aws:iam::444455556666:user/erin", partnerAccount
		}), []string{"resource_account"}, "INVALID_REQUEST"},
		{"context value with no kind", simulate(func(r *pdpv1.SimulateRequest) {
			r.Context = map[string]*pdpv1.ContextValue{"aws:SourceIp": {}}
		}), []string{"context[aws:SourceIp]"}, "INVALID_REQUEST"},
		{"one key twice, in two cases", simulate(func(r *pdpv1.SimulateRequest) {
			r.Context = map[string]*pdpv1.ContextValue{"aws:SourceIp": str("203.0.113.7"), "AWS:SOURCEIP": str("198.51.100.1")}
		}), []string{"context[aws:SourceIp]"}, "INVALID_REQUEST"},
		{"one key twice, under a name that lowers to it", simulate(func(r *pdpv1.SimulateRequest) {
			r.Context = map[string]*pdpv1.ContextValue{"aws:SourceIp": str("203.0.113.7"), "aws:Source\u0130p": str("198.51.100.1")}
		}), []string{"context[aws:Source\u0130p]"}, "INVALID_REQUEST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := ts.client.Simulate(t.Context(), tc.req)
			require.Error(t, err, "Simulate gave %v, want %v", resp.GetDecision(), codes.InvalidArgument)
			checkError(t, decodeError(err), codes.InvalidArgument, tc.wantFields, tc.wantReason, "")
		})
	}
}

// TestCheckBeforeActivate checks that a server with no snapshot answers
// UNAVAILABLE, and decides once one is activated.
func TestCheckBeforeActivate(t *testing.T) {
	t.Parallel()
	ts := newServer(t, server.Config{})
	req := readCampaign(func(*pdpv1.CheckRequest) {})
	_, err := ts.client.Check(t.Context(), req)
	checkError(t, decodeError(err), codes.Unavailable, nil, "NOT_READY", "")

	ts.srv.Activate(exampleSnapshot(t, ts.cat, 7))
	resp, err := ts.client.Check(t.Context(), req)
	if assert.NoError(t, err, "after Activate") {
		assert.Equal(t, allow, resp.GetDecision(), "after Activate")
		assert.EqualValues(t, 7, resp.GetRevision(), "after Activate")
	}
}

// TestDenyIsNotAnError checks that denials, whatever their cause, come
// back as decisions.
func TestDenyIsNotAnError(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	for _, req := range []*pdpv1.CheckRequest{
		readCampaign(func(r *pdpv1.CheckRequest) { r.Principal = bob }),
		readCampaign(func(r *pdpv1.CheckRequest) { r.Action = "mobiletargeting:DeleteCampaign" }),
		readCampaign(func(r *pdpv1.CheckRequest) { r.Principal = stranger }),
		readCampaign(func(r *pdpv1.CheckRequest) {
			r.Resource = "arn:aws:mobiletargeting:us-east-1:999999999999:apps/elsewhere"
		}),
		readCampaign(func(r *pdpv1.CheckRequest) { r.Context = nil }),
	} {
		resp, err := ts.client.Check(t.Context(), req)
		if assert.NoError(t, err, "Check(%v, %v, %v)", req.GetPrincipal(), req.GetAction(), req.GetResource()) {
			assert.NotContains(t, []pdpv1.Decision{allow, pdpv1.Decision_DECISION_UNSPECIFIED}, resp.GetDecision(),
				"Check(%v, %v, %v): want a deny decision", req.GetPrincipal(), req.GetAction(), req.GetResource())
		}
	}
}

// TestHealth checks the serving status that load balancers see: NOT_SERVING
// until a snapshot is activated, SERVING then, NOT_SERVING once draining.
func TestHealth(t *testing.T) {
	t.Parallel()
	ts := newServer(t, server.Config{})
	health := healthpb.NewHealthClient(ts.conn)
	want := func(step string, st healthpb.HealthCheckResponse_ServingStatus) {
		t.Helper()
		for _, svc := range []string{"", pdpv1.AuthorizationService_ServiceDesc.ServiceName} {
			resp, err := health.Check(t.Context(), &healthpb.HealthCheckRequest{Service: svc})
			if assert.NoError(t, err, "%s: health of %q", step, svc) {
				assert.Equal(t, st, resp.GetStatus(), "%s: health of %q", step, svc)
			}
		}
	}
	want("before Activate", healthpb.HealthCheckResponse_NOT_SERVING)
	ts.srv.Activate(exampleSnapshot(t, ts.cat, 1))
	want("after Activate", healthpb.HealthCheckResponse_SERVING)
	ts.srv.Drain()
	want("after Drain", healthpb.HealthCheckResponse_NOT_SERVING)
}
