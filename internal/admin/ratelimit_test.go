package admin

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/auth"
)

// TestWriteLimiter checks that each caller gets its own burst of writes,
// that a caller past it is refused RESOURCE_EXHAUSTED with RetryInfo, and
// that reads are never limited.
func TestWriteLimiter(t *testing.T) {
	t.Parallel()
	w := NewWriteLimiter(0.001, 3) // a burst of 3, then almost nothing
	intercept := w.UnaryInterceptor()
	handler := func(context.Context, any) (any, error) { return "ok", nil }
	call := func(caller, method string) error {
		ctx := auth.WithCaller(t.Context(), caller)
		_, err := intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, handler)
		return err
	}
	apply := pdpv1.PolicyService_ApplyChanges_FullMethodName
	for i := range 3 {
		require.NoError(t, call("arn:aws:iam::111122223333:user/ops", apply), "write %d within the burst", i)
	}
	err := call("arn:aws:iam::111122223333:user/ops", apply)
	st := status.Convert(err)
	require.Equal(t, codes.ResourceExhausted, st.Code(), "write past the burst: %v", err)
	require.NotEmpty(t, st.Details(), "details of the write past the burst")
	assert.NoError(t, call("arn:aws:iam::111122223333:user/other", pdpv1.PolicyService_Import_FullMethodName), "another caller's write")
	for range 10 {
		require.NoError(t, call("arn:aws:iam::111122223333:user/ops", pdpv1.PolicyService_GetEntity_FullMethodName), "a read was limited")
	}
}

// TestWriteLimiterCountsChanges checks that an ApplyChanges call takes a
// token per change, and that a call of more changes than the burst is
// refused outright, without RetryInfo.
func TestWriteLimiterCountsChanges(t *testing.T) {
	t.Parallel()
	w := NewWriteLimiter(0.001, 10)
	intercept := w.UnaryInterceptor()
	handler := func(context.Context, any) (any, error) { return "ok", nil }
	apply := func(caller string, n int) error {
		ctx := auth.WithCaller(t.Context(), caller)
		req := &pdpv1.ApplyChangesRequest{Changes: make([]*pdpv1.Change, n)}
		_, err := intercept(ctx, req, &grpc.UnaryServerInfo{FullMethod: pdpv1.PolicyService_ApplyChanges_FullMethodName}, handler)
		return err
	}
	const ops = "arn:aws:iam::111122223333:user/ops"
	require.NoError(t, apply(ops, 6))
	err := apply(ops, 6)
	require.Equal(t, codes.ResourceExhausted, status.Code(err), "6 changes with 4 tokens left: %v", err)
	assert.True(t, hasDetail[*errdetails.RetryInfo](err), "RetryInfo")
	require.NoError(t, apply(ops, 4), "4 changes with 4 tokens left")

	err = apply("arn:aws:iam::111122223333:user/other", 11)
	require.Equal(t, codes.ResourceExhausted, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "11 changes in one call exceed the write burst of 10")
	assert.False(t, hasDetail[*errdetails.RetryInfo](err), "RetryInfo for a call that can never pass")
}

func hasDetail[T any](err error) bool {
	for _, d := range status.Convert(err).Details() {
		if _, ok := d.(T); ok {
			return true
		}
	}
	return false
}
