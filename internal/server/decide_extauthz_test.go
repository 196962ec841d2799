package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/decisionlog"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestCheckAt: an in-process decision is Check's, at the time given,
// reported to OnDecision under the method given.
func TestCheckAt(t *testing.T) {
	var (
		mu      sync.Mutex
		records []decisionlog.Record
	)
	ts := newServer(t, server.Config{Hooks: server.Hooks{OnDecision: func(_ context.Context, r decisionlog.Record) {
		mu.Lock()
		defer mu.Unlock()
		records = append(records, r)
	}}})
	ts.srv.Activate(exampleSnapshot(t, ts.cat, 1))
	req := &pdpv1.CheckRequest{Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetSegment",
		Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users", Context: usEast(), Explain: true}
	viaRPC, err := ts.client.Check(t.Context(), req)
	require.NoError(t, err)
	at := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	inProcess, err := ts.srv.CheckAt(t.Context(), "ExtAuthzCheck", req, at)
	require.NoError(t, err)
	assert.Equal(t, viaRPC.GetDecision(), inProcess.GetDecision())
	assert.Equal(t, pdpv1.Decision_DECISION_ALLOW, inProcess.GetDecision())
	assert.Equal(t, int64(1), inProcess.GetRevision())
	assert.Len(t, inProcess.GetExplanation().GetMatched(), len(viaRPC.GetExplanation().GetMatched()))

	_, err = ts.srv.CheckAt(t.Context(), "ExtAuthzCheck", &pdpv1.CheckRequest{Principal: "nobody", Action: "mobiletargeting:GetSegment", Resource: "*"}, time.Time{})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, records, 2, "Check's and CheckAt's decisions; not the refused one")
	assert.Equal(t, "Check", records[0].Method)
	assert.Equal(t, fixedNow, records[0].Time)
	assert.Equal(t, "ExtAuthzCheck", records[1].Method)
	assert.Equal(t, at, records[1].Time)
}
