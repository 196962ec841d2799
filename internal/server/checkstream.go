package server

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// streamReadAhead is how many requests of one CheckStream are read before
// the one being decided is answered. Reading ahead keeps the connection
// busy while a response is sent; bounding it keeps a client that stops
// reading responses from making the server hold its requests: once the
// transport's send window is full, Send blocks, the read-ahead fills, and
// the server stops reading, so flow control pushes back on the client.
const streamReadAhead = 16

// errStreamDrained ends the streams still open when the server drains.
var errStreamDrained = status.Error(codes.Unavailable, "the server is shutting down: reconnect to continue checking")

// CheckStream decides a stream of requests, one response per request, in
// request order. Each request is decided as Check decides it (snapshot,
// hooks, decision log), so a stream is a cheaper way to make many Checks,
// not a different one. A request that cannot be decided carries its error
// in its response and the stream goes on. A request with min_revision
// waits for that revision (bounded by the server's limit and the stream's
// deadline) and, since responses keep request order, the requests behind
// it wait too.
//
// The stream ends when the client closes its side (after every request
// read has been answered), when its context ends, and when the server
// drains: a draining server answers the request in hand (one waiting for
// its min_revision stops waiting) and ends the stream with UNAVAILABLE, so
// that GracefulStop does not wait on long-lived streams and clients
// reconnect to a server that is staying.
func (s *Server) CheckStream(stream grpc.BidiStreamingServer[pdpv1.CheckStreamRequest, pdpv1.CheckStreamResponse]) error {
	ctx := stream.Context()
	// Requests are decided under a context that draining also ends, so that
	// a request waiting for its min_revision does not hold a shutdown.
	decideCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-s.draining:
			stop()
		case <-decideCtx.Done():
		}
	}()
	reqs := make(chan *pdpv1.CheckStreamRequest, streamReadAhead)
	// The reader closes reqs after putting why it stopped in readErr.
	readErr := make(chan error, 1)
	go func() {
		defer close(reqs)
		for {
			req, err := stream.Recv()
			if err != nil {
				readErr <- err
				return
			}
			select {
			case reqs <- req:
			case <-ctx.Done():
				readErr <- ctx.Err()
				return
			}
		}
	}()
	for {
		// A drained server stops taking requests before anything else.
		select {
		case <-s.draining:
			return errStreamDrained
		default:
		}
		select {
		case <-ctx.Done():
			return s.toStatus(ctx, ctx.Err())
		case <-s.draining:
			return errStreamDrained
		case req, ok := <-reqs:
			if !ok {
				switch err := <-readErr; {
				case errors.Is(err, io.EOF):
					return nil // every request read has been answered
				case ctx.Err() != nil:
					return s.toStatus(ctx, ctx.Err())
				default:
					return err
				}
			}
			if err := stream.Send(s.checkStreamed(decideCtx, req)); err != nil {
				return err
			}
		}
	}
}

// checkStreamed decides one request of a stream; a request that cannot be
// decided gets its error in the response.
func (s *Server) checkStreamed(ctx context.Context, req *pdpv1.CheckStreamRequest) *pdpv1.CheckStreamResponse {
	out := &pdpv1.CheckStreamResponse{Id: req.GetId()}
	check := req.GetCheck()
	if check == nil {
		out.Error = &pdpv1.ItemError{Code: int32(codes.InvalidArgument), Message: "missing check: each request carries one", Field: "check"}
		return out
	}
	res, err := s.check(ctx, "CheckStream", check)
	if err != nil {
		out.Error = streamItemError(s.toStatus(ctx, err), err)
		return out
	}
	out.Result = res
	return out
}

// streamItemError describes why one request of a stream was not decided:
// the code and message Check would have answered, and the offending field
// under "check." when the request names one.
func streamItemError(st, err error) *pdpv1.ItemError {
	gs := status.Convert(st)
	out := &pdpv1.ItemError{Code: int32(gs.Code()), Message: gs.Message()}
	if f := itemError(err).GetField(); f != "" {
		out.Field = "check." + f
	}
	return out
}
