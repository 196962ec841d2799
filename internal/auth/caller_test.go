package auth

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestCallerNote checks that an interceptor chained before the
// Authorizer's learns the authenticated principal through a CallerNote,
// for allowed and denied calls alike, and none for unknown callers.
func TestCallerNote(t *testing.T) {
	t.Parallel()
	az, _ := newAuthorizer(t, fixtureConfig(t))
	intercept := az.UnaryInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: pdpv1.PolicyService_GetEntity_FullMethodName}
	req := &pdpv1.GetEntityRequest{Key: key(kindUser, aliceARN)}
	tests := []struct {
		name          string
		token         string // "" sends none
		wantPrincipal string // "" when the note stays empty
		wantCode      codes.Code
	}{
		{name: "allowed", token: fixtureTokens[opsARN], wantPrincipal: opsARN, wantCode: codes.OK},
		{name: "denied", token: fixtureTokens[nobodyARN], wantPrincipal: nobodyARN, wantCode: codes.PermissionDenied},
		{name: "unknown token", token: "not-a-token", wantCode: codes.Unauthenticated},
		{name: "no credentials", wantCode: codes.Unauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			if tc.token != "" {
				ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer "+tc.token))
			}
			ctx, note := WithCallerNote(ctx)
			_, err := intercept(ctx, req, info, func(ctx context.Context, _ any) (any, error) {
				return &pdpv1.GetEntityResponse{}, nil
			})
			require.Equal(t, tc.wantCode, status.Code(err), "code of %v", err)
			p, ok := note.Principal()
			assert.Equal(t, tc.wantPrincipal, p)
			assert.Equal(t, tc.wantPrincipal != "", ok)
		})
	}
}
