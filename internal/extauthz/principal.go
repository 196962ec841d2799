package extauthz

import (
	"strings"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pdp-dev/pdp/internal/rpcerr"
)

// principalOf returns the principal ARN of a request from what Envoy
// verified: the peer's certificate identity or a JWT claim. A header the
// client sent is never read.
func (s *Service) principalOf(attrs *authv3.AttributeContext) (string, *refusal) {
	if s.cfg.PrincipalFrom == PrincipalFromPeer {
		id := attrs.GetSource().GetPrincipal()
		if id == "" {
			return "", refuse(reasonNoPrincipal, "no verified peer: attributes.source.principal is empty (Envoy fills it from a verified client certificate)")
		}
		p, ok := s.cfg.Identities.Lookup(id)
		if !ok {
			return "", refuse(reasonUnknownPrincipal, "peer %s is not in the identities file", rpcerr.Quote(id))
		}
		return p, nil
	}
	claim, r := jwtClaim(attrs, s.cfg.JWTClaim)
	if r != nil {
		return "", r
	}
	if p, ok := s.cfg.Identities.Lookup(claim); ok {
		return p, nil
	}
	if !strings.HasPrefix(claim, "arn:") {
		return "", refuse(reasonUnknownPrincipal, "JWT claim %s %s is neither a principal ARN nor in the identities file", s.cfg.JWTClaim, rpcerr.Quote(claim))
	}
	return claim, nil
}

// jwtClaim reads the claim at path (dotted) in the jwt_authn filter's
// metadata, which the filter writes only for a token it verified.
func jwtClaim(attrs *authv3.AttributeContext, path string) (string, *refusal) {
	md := attrs.GetMetadataContext().GetFilterMetadata()[JWTFilter]
	if md == nil {
		return "", refuse(reasonNoPrincipal, "no verified JWT: metadata_context has no %s entry (set payload_in_metadata in the jwt_authn filter)", JWTFilter)
	}
	fields := md.GetFields()
	var v *structpb.Value
	for part := range strings.SplitSeq(path, ".") {
		if fields == nil {
			return "", refuse(reasonNoPrincipal, "verified JWT has no claim %s", path)
		}
		v = fields[part]
		fields = v.GetStructValue().GetFields()
	}
	s, ok := v.GetKind().(*structpb.Value_StringValue)
	if !ok || s.StringValue == "" {
		return "", refuse(reasonNoPrincipal, "verified JWT has no string claim %s", path)
	}
	return s.StringValue, nil
}

// principalParts returns the partition and account of a principal ARN
// (arn:PARTITION:iam::ACCOUNT:… or arn:PARTITION:sts::ACCOUNT:…).
func principalParts(arn string) (partition, account string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "", ""
	}
	return parts[1], parts[4]
}
