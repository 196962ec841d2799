package authzen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestAgreement: for 5,000 generated requests over examples/model, Check
// and /access/v1/evaluation give the same IAM decision, and refuse the
// same requests.
func TestAgreement(t *testing.T) {
	srv, cat, _ := newDecider(t)
	ts := serveHandler(t, authzen.New(authzen.Config{}, srv, nil))
	principals := []string{
		"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob",
		"arn:aws:sts::111122223333:assumed-role/analyst/s1", "arn:aws:sts::111122223333:assumed-role/sms-sender/s1",
		"arn:aws:sts::444455556666:assumed-role/partner-analytics/s1", "arn:aws:iam::111122223333:user/ghost",
	}
	resources := []string{
		"arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app",
		"arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale",
		"arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users",
		"arn:aws:mobiletargeting:us-east-1:111122223333:apps/retention-app/campaigns/win-back",
		"arn:aws:mobiletargeting:us-east-1:111122223333:templates/welcome/EMAIL",
		"arn:aws:mobiletargeting:ap-south-1:111122223333:apps/growth-app/segments/active-users",
		"arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing",
		"arn:aws:sms-voice:us-east-1:111122223333:opt-out-list/Default",
		"*",
	}
	var actions []string
	for _, a := range cat.Actions() {
		actions = append(actions, a.FullName)
	}
	// Half of the requests ask for actions the model's policies name.
	named := []string{"mobiletargeting:GetSegment", "mobiletargeting:GetCampaign", "mobiletargeting:UpdateCampaign",
		"mobiletargeting:DeleteCampaign", "mobiletargeting:GetApp", "mobiletargeting:GetApps", "sms-voice:DescribePools"}
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1"}
	rng := rand.New(rand.NewPCG(1, 2))
	client := ts.Client()
	agreed := map[string]int{}
	for i := range 5000 {
		req := &pdpv1.CheckRequest{
			Principal: principals[rng.IntN(len(principals))],
			Action:    actions[rng.IntN(len(actions))],
			Resource:  resources[rng.IntN(len(resources))],
			Context: map[string]*pdpv1.ContextValue{
				"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: regions[rng.IntN(len(regions))]}},
			},
		}
		ctxJSON := map[string]any{"aws:RequestedRegion": req.Context["aws:RequestedRegion"].GetStringValue()}
		if rng.IntN(2) == 0 {
			secure := rng.IntN(2) == 0
			req.Context["aws:SecureTransport"] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: fmt.Sprint(secure)}}
			ctxJSON["aws:SecureTransport"] = secure // a JSON boolean: converted as Check's "true"/"false"
		}
		if rng.IntN(4) == 0 {
			req.SessionTags = map[string]string{"team": []string{"growth", "retention"}[rng.IntN(2)]}
		}
		if rng.IntN(2) == 0 {
			req.Action = named[rng.IntN(len(named))]
		}
		want, checkErr := srv.Check(context.Background(), req)

		body, err := json.Marshal(map[string]any{
			"subject":  map[string]any{"type": "aws_principal", "id": req.Principal, "properties": map[string]any{"session_tags": req.SessionTags}},
			"action":   map[string]any{"name": req.Action},
			"resource": map[string]any{"type": "aws_resource", "id": req.Resource},
			"context":  ctxJSON,
		})
		require.NoError(t, err)
		resp, err := client.Post(ts.URL+authzen.PathEvaluation, "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		var got struct {
			Decision bool `json:"decision"`
			Context  struct {
				PDP struct {
					Decision string `json:"decision"`
				} `json:"pdp"`
			} `json:"context"`
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		require.NoError(t, err)
		if checkErr != nil {
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, "request %d: Check refused it (%v)", i, checkErr)
			agreed["refused"]++
			continue
		}
		require.Equal(t, http.StatusOK, resp.StatusCode, "request %d", i)
		name, _ := server.DecisionName(want.GetDecision())
		require.Equal(t, name, got.Context.PDP.Decision, "request %d: %s", i, body)
		require.Equal(t, want.GetDecision() == pdpv1.Decision_DECISION_ALLOW, got.Decision, "request %d", i)
		agreed[name]++
	}
	t.Logf("agreed: %v", agreed)
	require.Positive(t, agreed["Allow"], "the requests reach allows")
	require.Positive(t, agreed["ExplicitDeny"], "the requests reach explicit denies")
}
