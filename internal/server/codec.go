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
//
// A large request is not decoded at all when it embeds more messages than
// maxMessages (see msgcount.go): it fails the same way, INVALID_ARGUMENT
// naming the field.
type requestCodec struct {
	encoding.CodecV2
	maxMessages int
	failed      sync.Map     // message (pointer) → its decoding error
	pending     atomic.Int64 // entries of failed: calls pay a lookup only when there are some
}

func newRequestCodec(maxMessages int) *requestCodec {
	return &requestCodec{CodecV2: encoding.GetCodecV2("proto"), maxMessages: maxMessages}
}

// Unmarshal decodes a message; see requestCodec.
func (c *requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if ok && data.Len() >= scanFromBytes {
		left := c.maxMessages
		if field, over := overMessages(data.Materialize(), m.ProtoReflect().Descriptor(), &left, 0); over {
			c.fail(m, rpcerr.BadField(field, "the request holds more than %d messages (items, changes, map entries, …), "+
				"more than any request within the limits", c.maxMessages).Status())
			return nil
		}
	}
	err := c.CodecV2.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	if !ok {
		return err
	}
	c.fail(m, malformedRequest(m, err))
	return nil
}

// fail keeps the error of a request that is not decoded, and leaves the
// message empty.
func (c *requestCodec) fail(m proto.Message, err error) {
	proto.Reset(m)
	c.failed.Store(m, err)
	c.pending.Add(1)
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
