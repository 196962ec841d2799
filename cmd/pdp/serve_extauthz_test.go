package main

import (
	"bytes"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pdp-dev/pdp/internal/logbuf"
)

// jwtRequest is a GET of the growth app's segment by the subject of a JWT
// that Envoy verified, as the ext_authz filter sends it.
func jwtRequest(t *testing.T, sub string) *authv3.CheckRequest {
	t.Helper()
	md, err := structpb.NewStruct(map[string]any{"jwt_payload": map[string]any{"sub": sub}})
	require.NoError(t, err)
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source: &authv3.AttributeContext_Peer{Address: &corev3.Address{Address: &corev3.Address_SocketAddress{
			SocketAddress: &corev3.SocketAddress{Address: "203.0.113.7"}}}},
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Method: "GET", Path: "/v1/apps/growth-app/segments/active-users", Host: "pdp-gateway.internal", Scheme: "https",
		}},
		MetadataContext: &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{"envoy.filters.http.jwt_authn": md}},
	}}
}

// TestServeExtAuthz runs pdp serve with --ext-authz, its region from the
// environment, and decides a request as Envoy sends it, explained; the
// decision is counted with the others.
func TestServeExtAuthz(t *testing.T) {
	t.Parallel()
	s := startServeEnv(t, map[string]string{"PDP_EXT_AUTHZ_REGION": "us-east-1"}, "--policies", modelDir,
		"--ext-authz", "--ext-authz-principal-from", "jwt", "--ext-authz-explain", "--metrics-listen", "127.0.0.1:0")
	assert.Contains(t, s.log.String(), `msg="serving Envoy external authorization" principal_from=jwt region=us-east-1`)
	m := metricsLine.FindStringSubmatch(s.log.String())
	require.NotNil(t, m, "no metrics line; log:\n%s", s.log)
	client := authv3.NewAuthorizationClient(dialTest(t, s.addr))

	resp, err := client.Check(t.Context(), jwtRequest(t, alice))
	require.NoError(t, err)
	require.NotNil(t, resp.GetOkResponse(), "denied: %s", resp.GetDeniedResponse().GetBody())
	assert.Contains(t, resp.GetDynamicMetadata().GetFields()["matched_statements"].GetStringValue(), "SegmentReaders#ReadSegments")
	resp, err = client.Check(t.Context(), jwtRequest(t, "arn:aws:iam::111122223333:user/nobody"))
	require.NoError(t, err)
	assert.Equal(t, int32(codes.PermissionDenied), resp.GetStatus().GetCode())
	assert.Contains(t, resp.GetDeniedResponse().GetBody(), `"__type":"AccessDeniedException"`)

	body := get(t, "http://"+m[1]+"/metrics")
	for _, want := range []string{
		`pdp_decisions_total{decision="Allow",method="ExtAuthzCheck"} 1`,
		`pdp_decisions_total{decision="ImplicitDeny",method="ExtAuthzCheck"} 1`,
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Check",grpc_service="envoy.service.auth.v3.Authorization",grpc_type="unary"} 2`,
	} {
		assert.Contains(t, body, want)
	}
}

// TestServeWithoutExtAuthz: the Envoy service is off by default.
func TestServeWithoutExtAuthz(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--policies", modelDir)
	_, err := authv3.NewAuthorizationClient(dialTest(t, s.addr)).Check(t.Context(), jwtRequest(t, alice))
	assert.Equal(t, codes.Unimplemented, status.Code(err))
}

// TestServeExtAuthzNeedsIdentities: taking principals from the peer needs
// a file that maps peers to principals.
func TestServeExtAuthzNeedsIdentities(t *testing.T) {
	t.Parallel()
	log := &logbuf.Buffer{}
	code := runEnv(t.Context(), newEnv(strings.NewReader(""), &bytes.Buffer{}, log, mapEnv(nil)),
		[]string{"serve", "--listen", "127.0.0.1:0", "--policies", modelDir, "--ext-authz"})
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, log.String(), "ext-authz: principal from \\\"peer\\\" needs an identities file")
}
