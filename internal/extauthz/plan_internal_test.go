package extauthz

import (
	"encoding/json"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/extauthz/routes"
)

// TestPlanEveryJSONRoute builds, for every SMS and voice v2 operation, the
// CheckRequest Envoy sends (lower-case headers, the peer's principal, a
// body with every identifier field) and checks the action and every
// resource the request is decided on, in the route's order.
func TestPlanEveryJSONRoute(t *testing.T) {
	ids, err := auth.ParseIdentities("ids", []byte(`{"spiffe://example.org/alice": "arn:aws:iam::111122223333:user/alice"}`))
	require.NoError(t, err)
	s, err := New(Config{PrincipalFrom: PrincipalFromPeer, Identities: ids}, nil, nil)
	require.NoError(t, err)
	where := strings.NewReplacer("${Partition}", "aws", "${Region}", "eu-west-1", "${Account}", "111122223333")
	for _, r := range routes.JSON() {
		t.Run(r.Operation, func(t *testing.T) {
			body := map[string]any{"IsoCountryCode": "DE"}
			var want []string
			for _, id := range r.Resources {
				if len(id.Kinds) == 0 {
					arn := "arn:aws:sms-voice:eu-west-1:111122223333:opt-out-list/o1"
					body[id.Field] = arn
					want = append(want, arn)
					continue
				}
				k := id.Kinds[len(id.Kinds)-1] // the fallback, or the last prefixed kind
				v := k.IDPrefix + "x-" + strings.ToLower(id.Field)
				body[id.Field] = v
				want = append(want, where.Replace(strings.NewReplacer("{"+id.Field+"}", v, "{IsoCountryCode}", "DE").Replace(k.ARN)))
			}
			if len(want) == 0 {
				want = []string{"*"}
			}
			data, err := json.Marshal(body)
			require.NoError(t, err)
			p, rf := s.plan(&authv3.CheckRequest{Attributes: &authv3.AttributeContext{
				Source: &authv3.AttributeContext_Peer{Principal: "spiffe://example.org/alice",
					Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: "::ffff:192.0.2.1"}}}},
				Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
					Method: "POST", Path: "/", Host: "sms-voice.eu-west-1.amazonaws.com", Scheme: "https",
					Headers: map[string]string{"x-amz-target": r.Target, "content-type": "application/x-amz-json-1.0"},
					RawBody: data,
				}},
			}})
			require.Nil(t, rf)
			assert.Equal(t, "arn:aws:iam::111122223333:user/alice", p.principal)
			assert.Equal(t, r.Action, p.target.action)
			assert.Equal(t, want, p.target.resources)
			assert.Equal(t, "192.0.2.1", p.context["aws:SourceIp"].GetStringValue())
			assert.Equal(t, "eu-west-1", p.context["aws:RequestedRegion"].GetStringValue())
		})
	}
}
