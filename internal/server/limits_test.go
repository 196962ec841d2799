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

// TestLimits hits every request limit once and checks the code, the field
// and the message that names the limit.
func TestLimits(t *testing.T) {
	t.Parallel()
	ts := newServer(t, server.Config{Limits: server.Limits{MaxContextKeys: 4, MaxContextValues: 3,
		MaxValueBytes: 16, MaxPolicyBytes: 200, MaxPoliciesPerCall: 2}})
	ts.srv.Activate(exampleSnapshot(t, ts.cat, 1))
	many := ctxMap("k1", "v", "k2", "v", "k3", "v", "k4", "v", "k5", "v")
	policy := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:GetCampaign","Resource":"*"}}`
	big := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:GetCampaign","Resource":"*","Sid":"` +
		strings.Repeat("x", 200) + `"}}`
	tests := []struct {
		name      string
		change    func(*pdpv1.CheckRequest)
		wantField string
		wantMsg   string
	}{
		{"context keys", func(r *pdpv1.CheckRequest) { r.Context = many }, "context", "5 context keys exceed the limit of 4"},
		{"values of a key", func(r *pdpv1.CheckRequest) { r.Context = ctxMap("aws:TagKeys", list("a", "b", "c", "d")) },
			"context[aws:TagKeys]", "4 values exceed the limit of 3"},
		{"value length", func(r *pdpv1.CheckRequest) { r.Context = ctxMap("aws:SourceIp", strings.Repeat("1", 17)) },
			"context[aws:SourceIp]", "a value is 17 bytes, over the limit of 16"},
		{"key length", func(r *pdpv1.CheckRequest) { r.Context = ctxMap("aws:RequestTag/"+strings.Repeat("k", 10), "v") },
			"context[aws:RequestTag/kkkkkkkkkk]", "the key is 25 bytes, over the limit of 16"},
		{"session tag", func(r *pdpv1.CheckRequest) { r.SessionTags = map[string]string{"team": strings.Repeat("g", 20)} },
			"session_tags[team]", "over the limit of 16 bytes"},
		{"session policy count", func(r *pdpv1.CheckRequest) { r.SessionPolicies = []string{policy, policy, policy} },
			"session_policies", "3 policy documents exceed the limit of 2"},
		{"session policy size", func(r *pdpv1.CheckRequest) { r.SessionPolicies = []string{big} },
			"session_policies[0]", "over the limit of 200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := &pdpv1.CheckRequest{Principal: "arn:aws:sts::111122223333:assumed-role/analyst/s1",
				Action: "mobiletargeting:GetCampaign", Resource: springSale}
			tc.change(req)
			_, err := ts.client.Check(t.Context(), req)
			checkError(t, decodeError(err), codes.InvalidArgument, []string{tc.wantField}, "INVALID_REQUEST", tc.wantMsg)
		})
	}
	t.Run("simulate documents", func(t *testing.T) {
		t.Parallel()
		_, err := ts.client.Simulate(t.Context(), &pdpv1.SimulateRequest{IdentityPolicies: []string{policy, big},
			Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: "*"})
		checkError(t, decodeError(err), codes.InvalidArgument, []string{"identity_policies[1]"}, "INVALID_REQUEST", "over the limit of 200")
	})
	t.Run("batch item", func(t *testing.T) {
		t.Parallel()
		resp, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Principal: alice, Items: []*pdpv1.BatchCheckItem{
			{Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: many},
			{Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: ctxMap("k", "v")},
		}})
		require.NoError(t, err)
		e := resp.GetResults()[0].GetError()
		assert.Equal(t, int32(codes.InvalidArgument), e.GetCode(), "item 0: %v", e)
		assert.Equal(t, "context", e.GetField(), "item 0: %v", e)
		assert.Nil(t, resp.GetResults()[1].GetError(), "item 1: want a decision")
	})
}
