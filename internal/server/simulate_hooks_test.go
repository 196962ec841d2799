package server_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/decisionlog"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestSimulateReachesDecisionHooks checks that a Simulate decision goes to
// OnDecision, which feeds the decision log and the metrics, as Check's do.
func TestSimulateReachesDecisionHooks(t *testing.T) {
	t.Parallel()
	records := make(chan decisionlog.Record, 4)
	ts := newServer(t, server.Config{Hooks: server.Hooks{OnDecision: func(_ context.Context, r decisionlog.Record) {
		records <- r
	}}})
	policy := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:GetCampaign","Resource":"*"}}`
	resp, err := ts.client.Simulate(t.Context(), &pdpv1.SimulateRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
		Resource: springSale, IdentityPolicies: []string{policy}, Context: ctxMap("aws:SourceIp", "203.0.113.7")})
	require.NoError(t, err)
	require.Equal(t, pdpv1.Decision_DECISION_ALLOW, resp.GetDecision())
	require.Len(t, records, 1)
	r := <-records
	assert.Equal(t, "Simulate", r.Method)
	assert.Equal(t, "Allow", r.Decision)
	assert.Equal(t, alice, r.Principal)
	assert.Equal(t, "mobiletargeting:GetCampaign", r.Action)
	assert.Equal(t, springSale, r.Resource)
	require.NotNil(t, r.Context)
	got := map[string][]string{}
	r.Context.Each(func(key string, values []string, _ bool) { got[key] = values })
	assert.Equal(t, map[string][]string{"aws:SourceIp": {"203.0.113.7"}}, got)
}
