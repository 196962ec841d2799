package auth

import (
	"context"
	"net"
	"net/http"
	"net/netip"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// GuardHTTP guards a request that came over HTTP exactly as the
// interceptors guard the gRPC call fullMethod with the message req: the
// bearer token of its Authorization header, else the verified client
// certificate of its TLS connection, authenticates it; admin methods are
// authorized by the admin policies. It returns the context to serve the
// request with, holding the caller (see Caller), the Authorization value as
// gRPC metadata and the peer (address and TLS state), or a status error
// (codes.Unauthenticated, codes.PermissionDenied) after logging why.
func (a *Authorizer) GuardHTTP(r *http.Request, fullMethod string, req any) (context.Context, error) {
	return a.guard(HTTPContext(r), fullMethod, req)
}

// HTTPContext is the context of an HTTP request as a gRPC call's would be:
// its Authorization headers as incoming metadata, and a peer with its
// remote address and, over TLS, its connection state.
func HTTPContext(r *http.Request) context.Context {
	ctx := r.Context()
	if vals := r.Header.Values("Authorization"); len(vals) > 0 {
		ctx = metadata.NewIncomingContext(ctx, metadata.MD{authorizationMetadata: vals})
	}
	p := &peer.Peer{}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		p.Addr = net.TCPAddrFromAddrPort(ap)
	}
	if r.TLS != nil {
		p.AuthInfo = credentials.TLSInfo{State: *r.TLS}
	}
	return peer.NewContext(ctx, p)
}
