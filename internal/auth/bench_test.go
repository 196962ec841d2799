package auth

import (
	"context"
	"fmt"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// BenchmarkAuthorize measures the unary interceptor in front of a handler
// that does nothing: authentication, building the request context and
// evaluating the admin policies.
func BenchmarkAuthorize(b *testing.B) {
	changes := func(n int) *pdpv1.ApplyChangesRequest {
		req := &pdpv1.ApplyChangesRequest{}
		for i := range n {
			req.Changes = append(req.Changes, put(kindUser, fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", i)))
		}
		return req
	}
	getEntity := &pdpv1.GetEntityRequest{Key: key(kindUser, aliceARN)}
	benches := []struct {
		name      string
		tokens    int // extra tokens in the file
		principal string
		method    string
		req       any
	}{
		{name: "GetEntity", principal: opsARN, method: pdpv1.PolicyService_GetEntity_FullMethodName, req: getEntity},
		{name: "GetEntity/tokens=1000", tokens: 1000, principal: opsARN, method: pdpv1.PolicyService_GetEntity_FullMethodName, req: getEntity},
		{name: "ApplyChanges/changes=1", principal: adminARN, method: pdpv1.PolicyService_ApplyChanges_FullMethodName, req: changes(1)},
		{name: "ApplyChanges/changes=100", principal: adminARN, method: pdpv1.PolicyService_ApplyChanges_FullMethodName, req: changes(100)},
		{name: "ApplyChanges/denied", principal: opsARN, method: pdpv1.PolicyService_ApplyChanges_FullMethodName, req: changes(1)},
		{name: "Check/open", principal: opsARN, method: pdpv1.AuthorizationService_Check_FullMethodName, req: &pdpv1.CheckRequest{}},
	}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	for _, bc := range benches {
		b.Run(bc.name, func(b *testing.B) {
			cfg := fixtureConfig(b)
			if bc.tokens > 0 {
				toks := make(map[string]string, len(fixtureTokens)+bc.tokens)
				for p, tok := range fixtureTokens {
					toks[p] = tok
				}
				for i := range bc.tokens {
					toks[fmt.Sprintf("arn:aws:iam::111122223333:user/extra%d", i)] = fmt.Sprintf("extra-token-%d", i)
				}
				cfg.TokenFile = tokenFile(b, b.TempDir(), toks)
			}
			az, _ := newAuthorizer(b, cfg)
			intercept := az.UnaryInterceptor()
			info := &grpc.UnaryServerInfo{FullMethod: bc.method}
			ctx := metadata.NewIncomingContext(b.Context(), metadata.Pairs("authorization", "Bearer "+fixtureTokens[bc.principal]))
			ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 40000}})
			b.ReportAllocs()
			for b.Loop() {
				_, _ = intercept(ctx, bc.req, info, handler)
			}
		})
	}
}
