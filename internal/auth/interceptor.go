package auth

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// UnaryInterceptor guards unary calls: see Config for which. It sees the
// request message, so that ApplyChanges is authorized change by change.
// Chain it after logging and panic recovery, so that refusals are logged
// with their code.
func (a *Authorizer) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := a.guard(ctx, info.FullMethod, req)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor guards streaming calls (Watch) before the handler runs;
// streaming admin methods act store-wide, so no message is needed.
func (a *Authorizer) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := a.guard(ss.Context(), info.FullMethod, nil)
		if err != nil {
			return err
		}
		if ctx != ss.Context() {
			ss = &callerStream{ServerStream: ss, ctx: ctx}
		}
		return handler(srv, ss)
	}
}

// callerStream gives a stream's handler the context that holds the caller.
// Keeping the context in a struct is how a stream carries it: it lives
// exactly as long as the call.
type callerStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *callerStream) Context() context.Context { return s.ctx }

// guard decides whether a call may proceed and returns the context its
// handler runs with, or the status error to answer with.
func (a *Authorizer) guard(ctx context.Context, fullMethod string, req any) (context.Context, error) {
	class, method := classify(fullMethod)
	switch class {
	case classOpen:
		return ctx, nil
	case classDecision:
		if !a.cfg.RequireForDecisions {
			return ctx, nil
		}
		principal, err := a.authenticate(ctx, a.state.Load())
		if err != nil {
			return nil, a.refuse(ctx, fullMethod, err)
		}
		noteCaller(ctx, principal)
		return WithCaller(ctx, principal), nil
	case classAdmin:
		if !a.cfg.RequireAuth {
			return ctx, nil
		}
		st := a.state.Load()
		principal, err := a.authenticate(ctx, st)
		if err != nil {
			return nil, a.refuse(ctx, fullMethod, err)
		}
		noteCaller(ctx, principal) // before authorization: a denied call has a known caller too
		call, ok := adminCallOf(method, req)
		if !ok {
			return nil, a.refuse(ctx, fullMethod, &uncoveredError{method: fullMethod, badRequest: true})
		}
		if err := a.authorize(ctx, st, principal, call); err != nil {
			return nil, a.refuse(ctx, fullMethod, err)
		}
		return WithCaller(ctx, principal), nil
	}
	if !a.cfg.RequireAuth {
		return ctx, nil
	}
	return nil, a.refuse(ctx, fullMethod, &uncoveredError{method: fullMethod})
}

// authorize decides an admin call with the caller's admin policies: every
// target must be allowed. The first one that is not ends the call.
func (a *Authorizer) authorize(ctx context.Context, st *state, principal string, call adminCall) error {
	pol := st.admin.policies(principal)
	req := engine.Request{Principal: principal, Action: call.action, Context: a.requestContext(ctx, principal, call)}
	lastOp := ""
	for _, t := range call.targets {
		req.Resource = t.resource
		if t.op != lastOp { // Set allocates: only when the op changes
			req.Context.Set(KeyChangeOp, t.op)
			lastOp = t.op
		}
		if engine.Evaluate(&pol, &req) != engine.Allow {
			return denial(&pol, &req)
		}
	}
	return nil
}

// denial explains a refused request for the log: the first Deny statement
// that applied, if any did.
func denial(pol *engine.Policies, req *engine.Request) *deniedError {
	d, ex := engine.EvaluateExplain(pol, req)
	de := &deniedError{principal: req.Principal, action: req.Action, resource: req.Resource, decision: d, statement: -1}
	for _, m := range ex.Matched {
		if m.Effect == engine.EffectDeny {
			de.policyID, de.sid, de.statement = m.PolicyID, m.Sid, m.Index
			break
		}
	}
	return de
}

// requestContext builds the condition keys of an admin call.
func (a *Authorizer) requestContext(ctx context.Context, principal string, call adminCall) *engine.Context {
	ec := engine.NewContext(8)
	ec.Set(keyPrincipalArn, principal)
	if p, err := engine.ParsePrincipalARN(principal); err == nil {
		ec.Set(keyPrincipalAccount, p.Account)
	}
	now := a.cfg.Clock()
	ec.Set(keyCurrentTime, now.UTC().Format(time.RFC3339))
	ec.Set(keyEpochTime, strconv.FormatInt(now.Unix(), 10))
	secure, ip := peerFacts(ctx)
	ec.Set(keySecureTransport, boolText(secure))
	if ip.IsValid() {
		ec.Set(keySourceIP, ip.String())
	}
	if call.dryRun != "" {
		ec.Set(KeyDryRun, call.dryRun)
	}
	return ec
}

// peerFacts tells whether the call came over TLS and from which IP
// address; the address is invalid when the peer has none (a Unix socket,
// an in-process connection).
func peerFacts(ctx context.Context) (secure bool, ip netip.Addr) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return false, netip.Addr{}
	}
	secure = p.AuthInfo != nil && p.AuthInfo.AuthType() == "tls"
	switch addr := p.Addr.(type) {
	case nil:
	case *net.TCPAddr:
		ip = addr.AddrPort().Addr()
	default:
		if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
			ip = ap.Addr()
		}
	}
	return secure, ip.Unmap().WithZone("")
}

// refuse logs why a call is refused and returns its status error. The
// denying statement is logged here and never put in the reply.
func (a *Authorizer) refuse(ctx context.Context, method string, err error) error {
	var (
		an *authnError
		de *deniedError
		ue *uncoveredError
	)
	peerAddr := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		peerAddr = p.Addr.String()
	}
	switch {
	case errors.Is(err, errNoCredentials):
		a.log.InfoContext(ctx, "call not authenticated", "method", method, "peer", peerAddr, "reason", "no credentials")
	case errors.As(err, &an):
		attrs := []any{"method", method, "peer", peerAddr, "reason", an.reason}
		if an.identity != "" {
			attrs = append(attrs, "identity", an.identity)
		}
		a.log.InfoContext(ctx, "call not authenticated", attrs...)
	case errors.As(err, &de):
		attrs := []any{"method", method, "peer", peerAddr, "principal", de.principal, "action", de.action,
			"resource", de.resource, "decision", de.decision.String()}
		if de.statement >= 0 {
			attrs = append(attrs, slog.Group("denied_by", "policy_id", de.policyID, "statement", de.statement, "sid", de.sid))
		}
		a.log.WarnContext(ctx, "admin call denied", attrs...)
	case errors.As(err, &ue):
		a.log.ErrorContext(ctx, "call refused: the method is not covered by authorization", "method", method,
			"peer", peerAddr, "unexpected_request", ue.badRequest)
	}
	return toStatus(err)
}
