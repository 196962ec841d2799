package server_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/servertest"
)

const (
	known   = pdpv1.ModelStatus_MODEL_STATUS_KNOWN
	unknown = pdpv1.ModelStatus_MODEL_STATUS_UNKNOWN
)

// TestCheckModelStatus checks that Check says whether the model holds the
// principal and the resource, and that an explanation notes an unknown one
// and a requested region other than the resource's.
func TestCheckModelStatus(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	const (
		alcie   = "arn:aws:iam::111122223333:user/alcie"
		noApp   = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/no-such-app"
		segment = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users"
	)
	tests := []struct {
		name          string
		req           *pdpv1.CheckRequest
		wantPrincipal pdpv1.ModelStatus
		wantResource  pdpv1.ModelStatus
		wantNotes     []string // prefixes, in order
	}{
		{
			name:          "known",
			req:           &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: segment, Context: usEast()},
			wantPrincipal: known, wantResource: known,
		},
		{
			name:          "misspelt principal",
			req:           &pdpv1.CheckRequest{Principal: alcie, Action: "mobiletargeting:GetSegment", Resource: segment, Context: usEast()},
			wantPrincipal: unknown, wantResource: known,
			wantNotes: []string{"principal not in the model"},
		},
		{
			name: "the user's name in another partition",
			req: &pdpv1.CheckRequest{Principal: "arn:aws-cn:iam::111122223333:user/alice", Action: "mobiletargeting:GetSegment",
				Resource: segment, Context: usEast()},
			wantPrincipal: unknown, wantResource: known,
			wantNotes: []string{"principal not in the model"},
		},
		{
			name: "the user's name on another path",
			req: &pdpv1.CheckRequest{Principal: "arn:aws:iam::111122223333:user/team/alice", Action: "mobiletargeting:GetSegment",
				Resource: segment, Context: usEast()},
			wantPrincipal: unknown, wantResource: known,
			wantNotes: []string{"principal not in the model"},
		},
		{
			name: "a session of the role in another partition",
			req: &pdpv1.CheckRequest{Principal: "arn:aws-cn:sts::111122223333:assumed-role/analyst/report-job", Action: "mobiletargeting:GetSegment",
				Resource: segment, Context: usEast()},
			wantPrincipal: unknown, wantResource: known,
			wantNotes: []string{"principal not in the model"},
		},
		{
			name:          "unknown resource",
			req:           &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetApp", Resource: noApp, Context: usEast()},
			wantPrincipal: known, wantResource: unknown,
			wantNotes: []string{"resource not in the model"},
		},
		{
			name: "region of the request differs",
			req: &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: segment,
				Context: ctxMap("aws:RequestedRegion", "eu-west-1")},
			wantPrincipal: known, wantResource: known,
			wantNotes: []string{`aws:RequestedRegion "eu-west-1" differs from the resource's region "us-east-1"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := ts.client.Check(t.Context(), tc.req)
			require.NoError(t, err)
			assert.Equal(t, tc.wantPrincipal, resp.GetPrincipalStatus())
			assert.Equal(t, tc.wantResource, resp.GetResourceStatus())
			assert.Nil(t, resp.GetExplanation(), "no explanation unless asked")

			tc.req.Explain = true
			resp, err = ts.client.Check(t.Context(), tc.req)
			require.NoError(t, err)
			notes := resp.GetExplanation().GetNotes()
			require.Len(t, notes, len(tc.wantNotes), "notes %q", notes)
			for i, want := range tc.wantNotes {
				assert.True(t, strings.HasPrefix(notes[i], want), "note %q, want it to start with %q", notes[i], want)
			}
		})
	}
}

// TestBatchCheckModelStatus checks the statuses and notes of batch items,
// and that an item with an error has none.
func TestBatchCheckModelStatus(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	resp, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{
		Principal: alice, Context: usEast(), Explain: true,
		Items: []*pdpv1.BatchCheckItem{
			{Action: "mobiletargeting:GetSegment", Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users"},
			{Principal: "arn:aws:iam::111122223333:user/alcie", Action: "mobiletargeting:GetSegment", Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users"},
			{Action: "mobiletargeting:GetSegment", Resource: "not-an-arn"},
		},
	})
	require.NoError(t, err)
	require.Len(t, resp.GetResults(), 3)
	r := resp.GetResults()
	assert.Equal(t, []pdpv1.ModelStatus{known, known}, []pdpv1.ModelStatus{r[0].GetPrincipalStatus(), r[0].GetResourceStatus()})
	assert.Empty(t, r[0].GetExplanation().GetNotes())
	assert.Equal(t, []pdpv1.ModelStatus{unknown, known}, []pdpv1.ModelStatus{r[1].GetPrincipalStatus(), r[1].GetResourceStatus()})
	require.Len(t, r[1].GetExplanation().GetNotes(), 1)
	assert.Contains(t, r[1].GetExplanation().GetNotes()[0], "principal not in the model")
	assert.Equal(t, pdpv1.Decision_DECISION_IMPLICIT_DENY, r[1].GetDecision())
	assert.NotNil(t, r[2].GetError())
	assert.Equal(t, pdpv1.ModelStatus_MODEL_STATUS_UNSPECIFIED, r[2].GetPrincipalStatus())
}

// TestUnknownPrincipalLoggedAtDebug checks the Debug line of a decision
// for a principal the model does not hold, and the warning of a server
// whose first snapshot holds no principals.
func TestUnknownPrincipalLoggedAtDebug(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	_, err := e.Authz.Check(t.Context(), &pdpv1.CheckRequest{Principal: "arn:aws:iam::111122223333:user/alcie",
		Action: "mobiletargeting:GetApps", Resource: "*", Context: usEast()})
	require.NoError(t, err)
	logs := e.Log.String()
	assert.Contains(t, logs, `level=DEBUG msg="principal not in the model"`)
	assert.Contains(t, logs, "principal=arn:aws:iam::111122223333:user/alcie")
	assert.NotContains(t, logs, "holds no principals", "a seeded store is not empty")
}

// TestEmptyStoreWarns checks that a server following an empty store warns
// once its first snapshot is active.
func TestEmptyStoreWarns(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{NoSeed: true})
	servertest.WaitFor(t, func() bool { return e.Srv.Current() != nil }, "no first snapshot")
	servertest.WaitFor(t, func() bool { return strings.Contains(e.Log.String(), "holds no principals") }, "no warning in\n%s", e.Log.String())
	assert.Contains(t, e.Log.String(), "level=WARN")
	assert.Equal(t, 0, e.Srv.Current().Principals())
}
