package auth

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// CheckStream answers each request at once and records the caller the
// handler saw once per stream.
func (s *decisionStandIn) CheckStream(stream grpc.BidiStreamingServer[pdpv1.CheckStreamRequest, pdpv1.CheckStreamResponse]) error {
	s.calls.add(stream.Context())
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&pdpv1.CheckStreamResponse{Id: req.GetId(), Result: &pdpv1.CheckResponse{}}); err != nil {
			return err
		}
	}
}

// TestCheckStreamDecisionClass guards CheckStream as a decision method:
// open unless RequireForDecisions, which refuses a stream without
// credentials before any request is answered.
func TestCheckStreamDecisionClass(t *testing.T) {
	tests := []struct {
		name      string
		require   bool
		principal string
		wantCode  codes.Code
	}{
		{name: "open by default", wantCode: codes.OK},
		{name: "gated: unauthenticated", require: true, wantCode: codes.Unauthenticated},
		{name: "gated: any known principal", require: true, principal: nobodyARN, wantCode: codes.OK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fixtureConfig(t)
			cfg.RequireForDecisions = tc.require
			az, _ := newAuthorizer(t, cfg)
			h := serve(t, az, nil)
			ctx := t.Context()
			if tc.principal != "" {
				ctx = as(ctx, tc.principal)
			}
			stream, err := h.decide.CheckStream(ctx)
			require.NoError(t, err)
			// A stream the server refuses may be closed before the request
			// is sent: Send then reports io.EOF, and Recv the status.
			if err := stream.Send(&pdpv1.CheckStreamRequest{Id: 7, Check: &pdpv1.CheckRequest{}}); err != nil {
				require.ErrorIs(t, err, io.EOF, "Send")
			}
			res, err := stream.Recv()
			require.Equal(t, tc.wantCode, status.Code(err), "%v", err)
			if tc.wantCode != codes.OK {
				assert.Empty(t, h.calls.callers, "the handler ran for a refused stream")
				return
			}
			assert.Equal(t, uint64(7), res.GetId())
			want := ""
			if tc.require {
				want = tc.principal
			}
			caller, _ := h.calls.last()
			assert.Equal(t, want, caller)
		})
	}
}
