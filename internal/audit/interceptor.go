package audit

import (
	"context"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/server"
)

// UnaryInterceptors returns guards (the interceptors that may refuse an
// admin call: authentication and authorization, rate limits) between the
// audit log's two: the recorder first, so that it records their refusals,
// and the gate last, so that a write's attempt is recorded only once the
// call is let through, right before the handler performs it. Chain the
// result in this order. A nil Logger returns guards as they are.
func (l *Logger) UnaryInterceptors(guards ...grpc.UnaryServerInterceptor) []grpc.UnaryServerInterceptor {
	if l == nil {
		return guards
	}
	out := make([]grpc.UnaryServerInterceptor, 0, len(guards)+2)
	out = append(out, l.recordUnary)
	out = append(out, guards...)
	return append(out, l.gateUnary)
}

// StreamInterceptors is UnaryInterceptors for streaming calls (Watch).
func (l *Logger) StreamInterceptors(guards ...grpc.StreamServerInterceptor) []grpc.StreamServerInterceptor {
	if l == nil {
		return guards
	}
	out := make([]grpc.StreamServerInterceptor, 0, len(guards)+2)
	out = append(out, l.recordStream)
	out = append(out, guards...)
	return append(out, l.gateStream)
}

// policyServicePrefix starts the full method of every admin API call.
var policyServicePrefix = "/" + pdpv1.PolicyService_ServiceDesc.ServiceName + "/"

// A call is what the recorder and the gate of one call share, through the
// call's context. Both run in the goroutine that runs the interceptor
// chain, the gate before the chain returns to the recorder, so its fields
// need no lock.
type call struct {
	// note learns the principal from the authentication interceptor:
	// the context the guards give the handler never comes back out to the
	// recorder, and a refusal carries no principal, so the recorder hands
	// them a holder instead (see auth.CallerNote).
	note *auth.CallerNote
	// passed: the gate ran, so every guard let the call through.
	passed bool
	// unrecorded: the gate refused the call because its attempt record
	// could not be written.
	unrecorded bool
	// panicked: the call ended in a panic, which the recovery outside
	// turns into INTERNAL.
	panicked bool
	// before is the store revision a write started from, read by the
	// gate; hasBefore says whether it was read.
	before    int64
	hasBefore bool
}

type callKey struct{}

func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

func beginCall(ctx context.Context) (context.Context, *call) {
	ctx, note := auth.WithCallerNote(ctx)
	c := &call{note: note}
	return context.WithValue(ctx, callKey{}, c), c
}

func (l *Logger) recordUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if !strings.HasPrefix(info.FullMethod, policyServicePrefix) {
		return handler(ctx, req)
	}
	ctx, c := beginCall(ctx)
	// A panic in the handler passes through here on its way to the panic
	// recovery outside: record it as the INTERNAL it becomes, without
	// recovering it, so that the stack logged is the handler's.
	returned := false
	defer func() {
		if !returned {
			c.panicked = true
			l.finish(ctx, c, info.FullMethod, req, nil, status.Error(codes.Internal, "internal error"))
		}
	}()
	resp, err := handler(ctx, req)
	returned = true
	l.finish(ctx, c, info.FullMethod, req, resp, err)
	return resp, err
}

func (l *Logger) gateUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	c := callOf(ctx)
	if c == nil {
		return handler(ctx, req)
	}
	c.passed = true
	if isWrite(req) {
		if err := l.attempt(ctx, c, info.FullMethod, req); err != nil {
			c.unrecorded = true
			return nil, errUnavailable()
		}
	}
	return handler(ctx, req)
}

func (l *Logger) recordStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if !strings.HasPrefix(info.FullMethod, policyServicePrefix) {
		return handler(srv, ss)
	}
	ctx, c := beginCall(ss.Context())
	as := &auditedStream{ServerStream: ss, ctx: ctx}
	returned := false
	defer func() {
		if !returned {
			c.panicked = true
			l.finish(ctx, c, info.FullMethod, as.req, as.lastSent, status.Error(codes.Internal, "internal error"))
		}
	}()
	err := handler(srv, as)
	returned = true
	l.finish(ctx, c, info.FullMethod, as.req, as.lastSent, err)
	return err
}

func (l *Logger) gateStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if c := callOf(ss.Context()); c != nil {
		c.passed = true // no streaming method writes
	}
	return handler(srv, ss)
}

// auditedStream carries the call in its context, and keeps the request and
// the last response for the record (Watch: the last revision sent is the
// revision the caller read up to). The handler's goroutine alone receives
// and sends.
type auditedStream struct {
	grpc.ServerStream
	ctx      context.Context
	req      any
	lastSent any
}

func (s *auditedStream) Context() context.Context { return s.ctx }

func (s *auditedStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil && s.req == nil {
		s.req = m
	}
	return err
}

func (s *auditedStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil {
		s.lastSent = m
	}
	return err
}

// errUnavailable refuses a write whose attempt could not be recorded.
func errUnavailable() error {
	st, err := status.New(codes.Unavailable, "audit log unavailable").WithDetails(
		&errdetails.ErrorInfo{Reason: "AUDIT_LOG_UNAVAILABLE", Domain: "pdp.dev"})
	if err != nil {
		return status.Error(codes.Unavailable, "audit log unavailable")
	}
	return st.Err()
}

// timeFormat is RFC 3339 with all nine digits of nanoseconds, so that
// records sort as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// base is a record of the call with who, where and what filled in.
func (l *Logger) base(ctx context.Context, c *call, method string) Record {
	r := Record{Time: l.cfg.Clock().UTC().Format(timeFormat), Principal: "anonymous", Method: method}
	if p, ok := c.note.Principal(); ok {
		r.Principal = p
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		r.Peer = p.Addr.String()
	}
	r.RequestID, r.RequestIDLen = truncate(rawRequestID(ctx))
	return r
}

// attempt writes and syncs the record of a write about to be performed,
// with the store revision it starts from (left out if the store cannot
// tell it: the write will then most likely fail, and say why). It is the
// revision the write is based on unless another write, of this server or
// another, commits in between; a write with expect_revision then fails
// with ABORTED, one without is based on the newer revision.
func (l *Logger) attempt(ctx context.Context, c *call, method string, req any) error {
	if l.cfg.Revision != nil {
		if rev, err := l.cfg.Revision(ctx); err == nil {
			c.before, c.hasBefore = rev, true
		}
	}
	f := describe(req, nil, l.cfg.MaxKeys)
	r := l.base(ctx, c, method)
	r.Keys, r.KeysTotal, r.DryRun = f.keys, f.keysTotal, f.dryRun
	if c.hasBefore {
		r.RevisionBefore = &c.before
	}
	r.Outcome = OutcomeAttempt
	if err := l.write(&r, true); err != nil {
		l.log.ErrorContext(ctx, "write refused: its audit record could not be written", "method", method,
			"principal", r.Principal, "err", err)
		return err
	}
	return nil
}

// finish writes the record of a call that ended with err, and logs a
// failure to write it.
func (l *Logger) finish(ctx context.Context, c *call, method string, req, resp any, err error) {
	f := describe(req, resp, l.cfg.MaxKeys)
	r := l.base(ctx, c, method)
	r.Keys, r.KeysTotal, r.DryRun = f.keys, f.keysTotal, f.dryRun
	st := status.Convert(err)
	r.Code = codeName(st.Code())
	switch {
	case err == nil:
		r.Outcome = OutcomeOK
	case (!c.passed || c.unrecorded) && !c.panicked:
		r.Outcome = OutcomeRefused
	default:
		r.Outcome = OutcomeError
	}
	if err != nil {
		r.Error, r.ErrorLen = truncate(st.Message())
	}
	// performed: the handler of a write ran (and may have failed); its
	// attempt record exists, and this one is synced too.
	performed := f.write && c.passed && !c.unrecorded
	switch {
	case performed:
		if c.hasBefore {
			r.RevisionBefore = &c.before
		}
		if err == nil && f.hasRevision {
			r.RevisionAfter = &f.revision
		}
	case f.hasRevision:
		r.Revision = &f.revision
	}
	if werr := l.write(&r, performed); werr != nil {
		msg := "audit record not written"
		if performed { // the write is done: its attempt record stands
			msg = "audit record of a write not written after its attempt record"
		}
		l.log.ErrorContext(ctx, msg, "method", method, "principal", r.Principal, "outcome", r.Outcome,
			"code", r.Code, "err", werr)
	}
}

// rawRequestID is the caller's x-request-id as sent: server.RequestID
// clips it for log lines with a note of its own, while the audit record
// cuts it itself and keeps the original length in request_id_len.
func rawRequestID(ctx context.Context) string {
	if v := metadata.ValueFromIncomingContext(ctx, server.RequestIDMetadata); len(v) > 0 {
		return v[0]
	}
	return ""
}
