package main

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A transport mismatch between a client and a server shows as a bare
// UNAVAILABLE whose message comes from deep in gRPC ("error reading server
// preface: EOF" when a plaintext client meets a TLS server). The
// interceptors below add what is likely wrong and which flag fixes it.
// gRPC gives these failures no type to test, so they are recognised by
// their text; an unrecognised one is left as it is.

// transportHint returns the likely cause of a failed call to addr, or "".
func transportHint(addr string, t clientTLS, err error) string {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Unavailable {
		return ""
	}
	msg := st.Message()
	switch {
	case !t.enabled() && strings.Contains(msg, "error reading server preface"):
		return "the server at " + addr + " may be serving TLS: pass --tls-ca FILE with the CA of its certificate, " +
			"or --tls to check it against the system's roots"
	case t.enabled() && strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "the server at " + addr + " serves plaintext, not TLS: leave out the --tls flags"
	case t.enabled() && t.ca == "" && strings.Contains(msg, "certificate signed by unknown authority"):
		return "the server's certificate is not signed by a CA of the system's roots: pass --tls-ca FILE with its CA"
	}
	return ""
}

// withHint returns err with the hint for it appended to its message, its
// code and details kept.
func withHint(addr string, t clientTLS, err error) error {
	hint := transportHint(addr, t, err)
	if hint == "" {
		return err
	}
	p := status.Convert(err).Proto()
	p.Message += " (" + hint + ")"
	return status.FromProto(p).Err()
}

// hintInterceptors add transportHint to the errors of unary calls and of
// opening streams.
func hintInterceptors(addr string, t clientTLS) []grpc.DialOption {
	unary := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return withHint(addr, t, invoker(ctx, method, req, reply, cc, opts...))
	}
	stream := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer,
		opts ...grpc.CallOption) (grpc.ClientStream, error) {
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, withHint(addr, t, err)
		}
		return hintStream{ClientStream: s, addr: addr, t: t}, nil
	}
	return []grpc.DialOption{grpc.WithChainUnaryInterceptor(unary), grpc.WithChainStreamInterceptor(stream)}
}

// hintStream adds the hint to the error that ends a stream: a stream opens
// before the connection is up, so its first RecvMsg reports the failure.
type hintStream struct {
	grpc.ClientStream
	addr string
	t    clientTLS
}

func (s hintStream) RecvMsg(m any) error { return withHint(s.addr, s.t, s.ClientStream.RecvMsg(m)) }
