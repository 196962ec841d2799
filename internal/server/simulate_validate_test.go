package server_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestSimulateRefusesMalformedPolicies checks that Simulate validates its
// documents as a policy write does: a condition value its operator cannot
// take is refused MALFORMED_POLICY_DOCUMENT, naming the document and the
// position, instead of being decided.
func TestSimulateRefusesMalformedPolicies(t *testing.T) {
	t.Parallel()
	ts := newServer(t, server.Config{})
	withCondition := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetCampaign","Resource":"*",` +
			`"Condition":` + cond + `}]}`
	}
	good := withCondition(`{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`)
	tests := []struct {
		name      string
		change    func(*pdpv1.SimulateRequest)
		wantField string
		wantMsg   string
	}{
		{"IP address", func(r *pdpv1.SimulateRequest) {
			r.IdentityPolicies = []string{withCondition(`{"IpAddress":{"aws:SourceIp":"999.1.1.1/99"}}`)}
		}, "identity_policies[0].Statement[0].Condition", "999.1.1.1/99"},
		{"number", func(r *pdpv1.SimulateRequest) {
			r.IdentityPolicies = []string{good, withCondition(`{"NumericLessThan":{"aws:MultiFactorAuthAge":"abc"}}`)}
		}, "identity_policies[1].Statement[0].Condition", "abc"},
		{"date", func(r *pdpv1.SimulateRequest) {
			r.PermissionsBoundary = withCondition(`{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}`)
		}, "permissions_boundary.Statement[0].Condition", "yesterday"},
		{"SCP", func(r *pdpv1.SimulateRequest) {
			r.Scps = []string{withCondition(`{"IpAddress":{"aws:SourceIp":"not-an-ip"}}`)}
		}, "scps[0].Statement[0].Condition", "not-an-ip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := &pdpv1.SimulateRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale,
				IdentityPolicies: []string{good}, Context: ctxMap("aws:SourceIp", "203.0.113.7")}
			tc.change(req)
			resp, err := ts.client.Simulate(t.Context(), req)
			require.Error(t, err, "decided %v", resp.GetDecision())
			got := decodeError(err)
			assert.Equal(t, codes.InvalidArgument, got.Code)
			assert.Equal(t, "MALFORMED_POLICY_DOCUMENT", got.Reason)
			require.NotEmpty(t, got.Fields)
			assert.True(t, strings.HasPrefix(got.Fields[0], tc.wantField), "field %q, want under %q", got.Fields[0], tc.wantField)
			assert.Contains(t, got.Msg, tc.wantMsg)
			assert.Regexp(t, `policy "[a-z_]+(\[\d\])?" \d+:\d+: Statement\[0\]`, got.Msg, "the position")
		})
	}
	t.Run("valid documents are decided", func(t *testing.T) {
		t.Parallel()
		resp, err := ts.client.Simulate(t.Context(), &pdpv1.SimulateRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
			Resource: springSale, IdentityPolicies: []string{good}, Context: ctxMap("aws:SourceIp", "203.0.113.7")})
		require.NoError(t, err)
		assert.Equal(t, pdpv1.Decision_DECISION_ALLOW, resp.GetDecision())
	})
}
