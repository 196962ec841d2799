package server

import (
	"context"
	"sync"
	"sync/atomic"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/pdp-dev/pdp/internal/rpcerr"

	// The proto codec registers itself; requestCodec wraps it.
	_ "google.golang.org/grpc/encoding/proto"
)

// requestCodec is the protobuf codec of the server, except that a request
// that does not decode (bytes that are not the message, a string field of
// invalid UTF-8) is the caller's fault: INVALID_ARGUMENT, not INTERNAL.
//
// gRPC turns any error of a codec into INTERNAL before an interceptor
// runs, so Unmarshal reports such a message as decoded, empty, and keeps
// its error; the first interceptor of every call (see requestDecoded)
// answers with it before anything reads the message.
type requestCodec struct {
	encoding.CodecV2
	failed  sync.Map     // message (pointer) → its decoding error
	pending atomic.Int64 // entries of failed: calls pay a lookup only when there are some
}

func newRequestCodec() *requestCodec {
	return &requestCodec{CodecV2: encoding.GetCodecV2("proto")}
}

// Unmarshal decodes a message; see requestCodec.
func (c *requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return err
	}
	proto.Reset(m)
	c.failed.Store(v, malformedRequest(m, err))
	c.pending.Add(1)
	return nil
}

// decodeError returns the error that decoding the request v met, once, or
// nil; always nil for a nil codec.
func (c *requestCodec) decodeError(v any) error {
	if c == nil || c.pending.Load() == 0 {
		return nil
	}
	err, ok := c.failed.LoadAndDelete(v)
	if !ok {
		return nil
	}
	c.pending.Add(-1)
	return err.(error)
}

// malformedRequest is the status of a request that did not decode.
func malformedRequest(m proto.Message, err error) error {
	return withDetails(codes.InvalidArgument,
		"the request is not a valid "+string(m.ProtoReflect().Descriptor().FullName())+" message: "+rpcerr.ClipMessage(err.Error()),
		&errdetails.ErrorInfo{Reason: "MALFORMED_REQUEST", Domain: errorDomain})
}

// unaryInterceptor answers a unary call whose request did not decode with
// INVALID_ARGUMENT. unaryCall does the same when it is the only
// interceptor before the handler.
func (c *requestCodec) unaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := c.decodeError(req); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// streamInterceptor answers a streaming call's request that did not
// decode with INVALID_ARGUMENT.
func (c *requestCodec) streamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &decodedStream{ServerStream: ss, codec: c})
	}
}

type decodedStream struct {
	grpc.ServerStream
	codec *requestCodec
}

func (s *decodedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.codec.decodeError(m)
}
