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
	attrs := req.GetAttributes()
	h := attrs.GetRequest().GetHttp()
	if h == nil {
		return refused(false, refuse(reasonBadRequest, "no HTTP request in the attributes")), nil
	}
	principal, rf := s.principalOf(attrs)
	if rf != nil {
		return refused(false, rf), nil
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
		return refused(false, rf), nil
	}
	reqCtx := make(map[string]*pdpv1.ContextValue, 6)
	if rf := addTags(t, reqCtx); rf != nil {
		return refused(t.json, rf), nil
	}
	addRequestKeys(attrs, h, region, reqCtx)
	var now time.Time
	if ts := attrs.GetRequest().GetTime(); ts != nil && ts.IsValid() {
		now = ts.AsTime()
	}
	out := outcome{principal: principal, action: t.action, json: t.json}
	for _, res := range t.resources {
		resp, err := s.dec.CheckAt(ctx, Method, &pdpv1.CheckRequest{
			Principal: principal, Action: t.action, Resource: res, Context: reqCtx, Explain: true,
		}, now)
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
	if a, err := netip.ParseAddr(attrs.GetSource().GetAddress().GetSocketAddress().GetAddress()); err == nil {
		ctx["aws:SourceIp"] = strValue(a.Unmap().String())
	}
	secure := "false"
	if attrs.GetTlsSession() != nil || h.GetScheme() == "https" {
		secure = "true"
	}
	ctx["aws:SecureTransport"] = strValue(secure)
	if region != "" {
		ctx["aws:RequestedRegion"] = strValue(region)
	}
}
