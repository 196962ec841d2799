package authzen_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/decidetest"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestAgreement: for 5,000 generated requests over examples/model, Check
// and /access/v1/evaluation give the same IAM decision, and refuse the
// same requests.
func TestAgreement(t *testing.T) {
	srv, cat, _ := newDecider(t)
	ts := serveHandler(t, authzen.New(authzen.Config{}, srv, nil))
	var actions []string
	for _, a := range cat.Actions() {
		actions = append(actions, a.FullName)
	}
	gen := decidetest.NewGenerator(1, 2, actions)
	agreed := map[string]int{}
	for i := range 5000 {
		r := gen.Next()
		want, checkErr := srv.Check(context.Background(), r.Check)
		body, err := decidetest.EvaluationBody(r)
		require.NoError(t, err)
		got, err := decidetest.Evaluate(ts.Client(), ts.URL+authzen.PathEvaluation, body)
		require.NoError(t, err, "request %d", i)
		if checkErr != nil {
			require.Equal(t, http.StatusBadRequest, got.Status, "request %d: Check refused it (%v)", i, checkErr)
			agreed["refused"]++
			continue
		}
		require.Equal(t, http.StatusOK, got.Status, "request %d", i)
		name, _ := server.DecisionName(want.GetDecision())
		require.Equal(t, name, got.Decision, "request %d: %s", i, body)
		require.Equal(t, want.GetDecision() == pdpv1.Decision_DECISION_ALLOW, got.Allowed, "request %d", i)
		agreed[name]++
	}
	t.Logf("agreed: %v", agreed)
	require.Positive(t, agreed["Allow"], "the requests reach allows")
	require.Positive(t, agreed["ExplicitDeny"], "the requests reach explicit denies")
	require.Positive(t, agreed["ImplicitDeny"], "the requests reach implicit denies")
}
