package server

import (
	"context"
	"testing"

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
		if err := call("arn:aws:iam::111122223333:user/ops", apply); err != nil {
			t.Fatalf("write %d within the burst: %v", i, err)
		}
	}
	err := call("arn:aws:iam::111122223333:user/ops", apply)
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || len(st.Details()) == 0 {
		t.Fatalf("write past the burst: %v, want RESOURCE_EXHAUSTED with details", err)
	}
	if err := call("arn:aws:iam::111122223333:user/other", pdpv1.PolicyService_Import_FullMethodName); err != nil {
		t.Errorf("another caller's write: %v, want it served", err)
	}
	for range 10 {
		if err := call("arn:aws:iam::111122223333:user/ops", pdpv1.PolicyService_GetEntity_FullMethodName); err != nil {
			t.Fatalf("a read was limited: %v", err)
		}
	}
}
