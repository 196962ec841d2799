package main

import (
	"flag"
	"fmt"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/extauthz"
	"github.com/pdp-dev/pdp/internal/server"
)

// extAuthzOptions are the flags of the Envoy external authorization
// service (see internal/extauthz).
type extAuthzOptions struct {
	enabled       bool
	region        string
	account       string
	principalFrom string
	jwtClaim      string
	identities    string
	maxBodyBytes  int
	explain       bool
}

// register adds the service's flags to fs.
func (x *extAuthzOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&x.enabled, "ext-authz", false,
		"also serve Envoy's external authorization API (envoy.service.auth.v3.Authorization) for Amazon Pinpoint "+
			"and SMS and voice v2 requests (PDP_EXT_AUTHZ)")
	fs.StringVar(&x.region, "ext-authz-region", "",
		"AWS `region` of the resources; empty takes it from the host, pinpoint.REGION.amazonaws.com (PDP_EXT_AUTHZ_REGION)")
	fs.StringVar(&x.account, "ext-authz-account", "",
		"`account` of the resources; empty takes the principal's account (PDP_EXT_AUTHZ_ACCOUNT)")
	fs.StringVar(&x.principalFrom, "ext-authz-principal-from", extauthz.PrincipalFromPeer,
		"where the principal comes from: peer (the client certificate Envoy verified, mapped by the identities file) "+
			"or jwt (a claim of the JWT Envoy's jwt_authn filter verified) (PDP_EXT_AUTHZ_PRINCIPAL_FROM)")
	fs.StringVar(&x.jwtClaim, "ext-authz-jwt-claim", extauthz.DefaultJWTClaim,
		"dotted `path` of the principal's claim in the jwt_authn filter's metadata (PDP_EXT_AUTHZ_JWT_CLAIM)")
	fs.StringVar(&x.identities, "ext-authz-identities", "",
		"`file` mapping peer identities (and JWT claims) to principal ARNs, as -auth-mtls-identities; "+
			"empty uses -auth-mtls-identities (PDP_EXT_AUTHZ_IDENTITIES)")
	fs.IntVar(&x.maxBodyBytes, "ext-authz-max-body-bytes", extauthz.DefaultMaxBodyBytes,
		"largest request body read for identifiers and tags (PDP_EXT_AUTHZ_MAX_BODY_BYTES)")
	fs.BoolVar(&x.explain, "ext-authz-explain", false,
		"explain every decision: the matched statements go to the dynamic metadata and the decision log, "+
			"and an explicit deny names the policy type; a decision then costs about twice as much (PDP_EXT_AUTHZ_EXPLAIN)")
}

// registerService adds the service to gs when -ext-authz is set, deciding
// with srv; mtlsIdentities is -auth-mtls-identities.
func (x extAuthzOptions) registerService(gs *grpc.Server, srv *server.Server, mtlsIdentities string, log *slog.Logger) error {
	if !x.enabled {
		return nil
	}
	cfg := extauthz.Config{Region: x.region, Account: x.account, PrincipalFrom: x.principalFrom,
		JWTClaim: x.jwtClaim, MaxBodyBytes: x.maxBodyBytes, Explain: x.explain}
	path := x.identities
	if path == "" {
		path = mtlsIdentities
	}
	if path != "" {
		ids, err := auth.LoadIdentities(path)
		if err != nil {
			return fmt.Errorf("ext-authz: %w", err)
		}
		cfg.Identities = ids
	}
	svc, err := extauthz.New(cfg, srv, log)
	if err != nil {
		return fmt.Errorf("ext-authz: %w", err)
	}
	svc.Register(gs)
	log.Info("serving Envoy external authorization", "principal_from", x.principalFrom, "region", x.region, "account", x.account)
	return nil
}
