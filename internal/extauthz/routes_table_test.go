package extauthz_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/extauthz"
	"github.com/pdp-dev/pdp/internal/extauthz/routes"
)

// where are the ARN parts of the requests below: alice's partition and
// account, the host's Region.
var where = strings.NewReplacer("${Partition}", "aws", "${Region}", "us-east-1", "${Account}", "111122223333")

// taggedApp is the resource-arn of the tagging routes.
const taggedApp = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/app-1"

// TestEveryRESTRoute sends every Pinpoint operation as Envoy does, with a
// value for each path parameter and a query string, and checks that the
// decision was asked for the route's action on the resource its path
// names.
func TestEveryRESTRoute(t *testing.T) {
	e := newEnv(t, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromPeer})
	for _, r := range routes.REST() {
		t.Run(r.Operation, func(t *testing.T) {
			path, want := r.Path, where.Replace(r.Resource)
			for _, seg := range strings.Split(r.Path, "/") {
				if !strings.HasPrefix(seg, "{") {
					continue
				}
				v := "v-" + strings.Trim(seg, "{}")
				if seg == routes.ARNParam {
					path = strings.Replace(path, seg, arnPath(taggedApp), 1)
					want = strings.Replace(want, seg, taggedApp, 1)
					continue
				}
				path = strings.Replace(path, seg, v, 1)
				want = strings.Replace(want, seg, v, 1)
			}
			resp, err := e.authz.Check(t.Context(), envoyRequest(t, httpReq{
				method: r.Method, path: path + "?page-size=5", peer: "spiffe://example.org/alice", tls: true, body: "{}",
			}))
			require.NoError(t, err)
			a := decode(t, resp)
			require.NotEqual(t, "Refused", a.headers[extauthz.HeaderDecision], a.message)
			records := e.seen.take()
			require.Len(t, records, 1)
			assert.Equal(t, r.Action, records[0].Action)
			assert.Equal(t, want, records[0].Resource)
			assert.NotContains(t, records[0].Resource, "{")
			assert.NotContains(t, records[0].Resource, "$")
		})
	}
}

// TestRESTRouteExamples pins a few routes to ARNs written out by hand, as
// AWS documents them.
func TestRESTRouteExamples(t *testing.T) {
	e := newEnv(t, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromPeer})
	tests := []struct {
		name, method, path string
		wantAction         string
		wantResource       string
	}{
		{"segment", "GET", "/v1/apps/a1/segments/s1", "mobiletargeting:GetSegment", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/segments/s1"},
		{"email template", "PUT", "/v1/templates/welcome/email", "mobiletargeting:UpdateEmailTemplate", "arn:aws:mobiletargeting:us-east-1:111122223333:templates/welcome/EMAIL"},
		{"channel", "DELETE", "/v1/apps/a1/channels/apns_voip_sandbox", "mobiletargeting:DeleteApnsVoipSandboxChannel", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/channels/APNS_VOIP_SANDBOX"},
		{"journey activity", "GET", "/v1/apps/a1/journeys/j1/activities/x1/execution-metrics", "mobiletargeting:GetJourneyExecutionActivityMetrics",
			"arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/journeys/j1/activities/x1/execution-metrics"},
		{"users messages", "POST", "/v1/apps/a1/users-messages", "mobiletargeting:SendUsersMessages", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/messages"},
		{"recommenders", "POST", "/v1/recommenders", "mobiletargeting:CreateRecommenderConfiguration", "arn:aws:mobiletargeting:us-east-1:111122223333:recommenders/*"},
		{"escaped ID", "GET", "/v1/apps/a1/endpoints/e%201", "mobiletargeting:GetEndpoint", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/endpoints/e 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.authz.Check(t.Context(), envoyRequest(t, httpReq{method: tc.method, path: tc.path, peer: "spiffe://example.org/alice", tls: true}))
			require.NoError(t, err)
			require.NotEqual(t, "Refused", decode(t, resp).headers[extauthz.HeaderDecision])
			records := e.seen.take()
			require.Len(t, records, 1)
			assert.Equal(t, tc.wantAction, records[0].Action)
			assert.Equal(t, tc.wantResource, records[0].Resource)
		})
	}
}

// TestEveryJSONRoute sends every SMS and voice v2 operation as Envoy does,
// with a value for each identifier field, and checks the action and every
// resource decided.
func TestEveryJSONRoute(t *testing.T) {
	e := newEnv(t, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromPeer})
	for _, r := range routes.JSON() {
		t.Run(r.Operation, func(t *testing.T) {
			body := map[string]any{"IsoCountryCode": "US"}
			var want []string
			for _, id := range r.Resources {
				if len(id.Kinds) == 0 { // an ARN field
					arn := "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-1"
					body[id.Field] = arn
					want = append(want, arn)
					continue
				}
				k := id.Kinds[0]
				v := k.IDPrefix + "id-" + strings.ToLower(id.Field)
				body[id.Field] = v
				want = append(want, where.Replace(strings.NewReplacer("{"+id.Field+"}", v, "{IsoCountryCode}", "US").Replace(k.ARN)))
			}
			if len(want) == 0 {
				want = []string{"*"}
			}
			data, err := json.Marshal(body)
			require.NoError(t, err)
			resp, err := e.authz.Check(t.Context(), envoyRequest(t, sms("spiffe://example.org/alice", r.Operation, string(data))))
			require.NoError(t, err)
			a := decode(t, resp)
			require.NotEqual(t, "Refused", a.headers[extauthz.HeaderDecision], a.message)
			records := e.seen.take()
			require.NotEmpty(t, records)
			var got []string
			for _, rec := range records {
				assert.Equal(t, r.Action, rec.Action)
				got = append(got, rec.Resource)
			}
			if a.headers[extauthz.HeaderDecision] == "Allow" {
				assert.Equal(t, want, got)
			} else { // the first denial ends the request
				assert.Equal(t, want[:len(got)], got)
			}
		})
	}
}
