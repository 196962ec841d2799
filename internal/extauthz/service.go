package extauthz

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/extauthz/routes"
)

// Method names ext_authz decisions to the decision log and metrics.
const Method = "ExtAuthzCheck"

// A Decider decides one request on the current snapshot, as
// pdp.v1.AuthorizationService/Check does, at the time now, and reports it
// to the decision hooks under method. *server.Server is one.
type Decider interface {
	CheckAt(ctx context.Context, method string, req *pdpv1.CheckRequest, now time.Time) (*pdpv1.CheckResponse, error)
}

// Service implements envoy.service.auth.v3.Authorization.
type Service struct {
	authv3.UnimplementedAuthorizationServer

	cfg   Config
	dec   Decider
	table *routes.Table
	log   *slog.Logger
}

// New returns the service, or an error naming what in cfg is wrong.
func New(cfg Config, dec Decider, log *slog.Logger) (*Service, error) {
	cfg, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, dec: dec, table: routes.New(), log: log.With("component", "extauthz")}, nil
}

// Register adds the service to a gRPC server.
func (s *Service) Register(gs *grpc.Server) {
	authv3.RegisterAuthorizationServer(gs, s)
}

// Check decides one HTTP request that Envoy holds. It answers every
// request it cannot decide with a 403 (fail closed), and returns an error
// only when no decision could be made at all (no snapshot yet, the call
// cancelled), which Envoy turns into a denial too unless
// failure_mode_allow is set.
func (s *Service) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	p, rf := s.plan(req)
	if rf != nil {
		return refused(p.target != nil && p.target.json, rf), nil
	}
	t := p.target
	out := outcome{principal: p.principal, action: t.action, json: t.json}
	for _, res := range t.resources {
		resp, err := s.dec.CheckAt(ctx, Method, &pdpv1.CheckRequest{
			Principal: p.principal, Action: t.action, Resource: res, Context: p.context, Explain: s.cfg.Explain,
		}, p.now)
		if err != nil {
			return s.failed(ctx, t, err)
		}
		out.add(res, resp)
		if resp.GetDecision() != pdpv1.Decision_DECISION_ALLOW {
			break // every resource must be allowed: the first denial decides
		}
	}
	return out.response(), nil
}

// A plan is what a request asks, ready to decide.
type plan struct {
	principal string
	target    *target
	context   map[string]*pdpv1.ContextValue
	now       time.Time // zero: the server's clock
}

// plan works out who asks to do what on which resources, or why the
// request cannot be decided.
func (s *Service) plan(req *authv3.CheckRequest) (plan, *refusal) {
	var p plan
	attrs := req.GetAttributes()
	h := attrs.GetRequest().GetHttp()
	if h == nil {
		return p, refuse(reasonBadRequest, "no HTTP request in the attributes")
	}
	principal, rf := s.principalOf(attrs)
	if rf != nil {
		return p, rf
	}
	partition, account := principalParts(principal)
	if partition == "" {
		partition = "aws" // a malformed principal is refused by the decision path, with its reason
	}
	if s.cfg.Account != "" {
		account = s.cfg.Account
	}
	region := s.regionOf(h.GetHost())
	t, rf := s.route(h, routes.Where{Partition: partition, Region: region, Account: account})
	if rf != nil {
		return p, rf
	}
	p.principal, p.target = principal, t
	p.context = make(map[string]*pdpv1.ContextValue, 6)
	if rf := addTags(t, p.context); rf != nil {
		return p, rf
	}
	addRequestKeys(attrs, h, region, p.context)
	if ts := attrs.GetRequest().GetTime(); ts != nil && ts.IsValid() {
		p.now = ts.AsTime()
	}
	return p, nil
}

// failed answers a request the decision path refused: bad input is a
// 403 with the reason, anything else an error.
func (s *Service) failed(ctx context.Context, t *target, err error) (*authv3.CheckResponse, error) {
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument, codes.NotFound, codes.FailedPrecondition, codes.ResourceExhausted:
		return refused(t.json, refuse(reasonInvalid, "%s: %s", t.operation, st.Message())), nil
	}
	s.log.WarnContext(ctx, "ext_authz decision failed", "operation", t.operation, "err", err)
	return nil, err
}

// addRequestKeys sets the condition keys the request itself carries:
// aws:SourceIp (the downstream peer Envoy saw), aws:SecureTransport (TLS
// between the client and Envoy) and aws:RequestedRegion.
func addRequestKeys(attrs *authv3.AttributeContext, h *authv3.AttributeContext_HttpRequest, region string, ctx map[string]*pdpv1.ContextValue) {
	ip := attrs.GetSource().GetAddress().GetSocketAddress().GetAddress()
	if a, err := netip.ParseAddr(ip); err == nil {
		if a.Is4In6() || a.Zone() != "" {
			ip = a.Unmap().WithZone("").String()
		}
		ctx["aws:SourceIp"] = strValue(ip)
	}
	ctx["aws:SecureTransport"] = insecureTransport
	if attrs.GetTlsSession() != nil || h.GetScheme() == "https" {
		ctx["aws:SecureTransport"] = secureTransport
	}
	if region != "" {
		ctx["aws:RequestedRegion"] = strValue(region)
	}
}

// The two values of aws:SecureTransport. They are shared by every request
// and never changed: the decision path only reads them.
var (
	secureTransport   = strValue("true")
	insecureTransport = strValue("false")
)
