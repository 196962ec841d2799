package rpcerr

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestWithDetails(t *testing.T) {
	t.Parallel()
	err := WithDetails(codes.Aborted, "revision conflict", &errdetails.ErrorInfo{Reason: "REVISION_CONFLICT", Domain: Domain})
	st, ok := status.FromError(err)
	require.True(t, ok)
	assert.Equal(t, codes.Aborted, st.Code())
	assert.Equal(t, "revision conflict", st.Message())
	require.Len(t, st.Details(), 1)
	info, ok := st.Details()[0].(*errdetails.ErrorInfo)
	require.True(t, ok)
	assert.Equal(t, "REVISION_CONFLICT", info.GetReason())
	assert.Equal(t, "pdp.dev", info.GetDomain())
}

// TestWithDetailsNone: without details the status is a plain one.
func TestWithDetailsNone(t *testing.T) {
	t.Parallel()
	st := status.Convert(WithDetails(codes.NotFound, "no such policy"))
	assert.Equal(t, codes.NotFound, st.Code())
	assert.Empty(t, st.Details())
}
