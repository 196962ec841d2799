package extauthz_test

import (
	"encoding/json"
	"strings"
	"testing"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/pdp-dev/pdp/internal/extauthz"
)

// answer is what a test checks of a CheckResponse.
type answer struct {
	code     codes.Code // the response's status
	http     int        // 0 for OK, else the denied response's status
	headers  map[string]string
	errType  string // the body's __type
	message  string // the body's message
	metadata map[string]any
}

func decode(t *testing.T, resp *authv3.CheckResponse) answer {
	t.Helper()
	a := answer{code: codes.Code(resp.GetStatus().GetCode()), headers: map[string]string{}, metadata: resp.GetDynamicMetadata().AsMap()}
	if ok := resp.GetOkResponse(); ok != nil {
		for _, h := range ok.GetHeaders() {
			a.headers[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
		}
		return a
	}
	d := resp.GetDeniedResponse()
	require.NotNil(t, d, "neither OK nor denied")
	a.http = int(d.GetStatus().GetCode())
	for _, h := range d.GetHeaders() {
		a.headers[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
	}
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	require.NoError(t, json.Unmarshal([]byte(d.GetBody()), &body), "body %q", d.GetBody())
	a.errType, a.message = body.Type, body.Message
	return a
}

const (
	growthApp      = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app"
	springSale     = growthApp + "/campaigns/spring-sale"
	winBack        = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/retention-app/campaigns/win-back"
	activeUsers    = growthApp + "/segments/active-users"
	marketingPool  = "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing"
	marketingSet   = "arn:aws:sms-voice:us-east-1:111122223333:configuration-set/marketing-default"
	defaultOptOut  = "arn:aws:sms-voice:us-east-1:111122223333:opt-out-list/Default"
	smsHost        = "sms-voice.us-east-1.amazonaws.com"
	smsContentType = "application/x-amz-json-1.0"
)

// sms is an SMS and voice v2 request of operation op with body.
func sms(peer, op, body string) httpReq {
	return httpReq{method: "POST", path: "/", host: smsHost, peer: peer, tls: true, body: body,
		headers: map[string]string{"x-amz-target": "PinpointSMSVoiceV2." + op, "content-type": smsContentType}}
}

func jwtOf(claims map[string]any) map[string]any { return map[string]any{"jwt_payload": claims} }

// TestEndToEnd decides requests on examples/model over gRPC, as Envoy
// sends them.
func TestEndToEnd(t *testing.T) {
	peerEnv := newEnv(t, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromPeer, Explain: true})
	jwtEnv := newEnv(t, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromJWT, Region: "us-east-1", Account: "111122223333", MaxBodyBytes: 4096})
	tests := []struct {
		name         string
		jwt          bool // decided by the JWT service (fixed region and account)
		req          httpReq
		wantDecision string // x-pdp-decision
		wantAction   string
		wantResource []string // resources decided, in order
		wantReason   string   // the reason of a refusal
		wantMessage  string   // part of the error message
		wantContext  map[string][]string
		wantMatched  string // matched_statements
	}{
		{name: "allow own team's campaign", req: httpReq{method: "GET", path: "/v1/apps/growth-app/campaigns/spring-sale", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "Allow", wantAction: "mobiletargeting:GetCampaign", wantResource: []string{springSale}},
		{name: "implicit deny without TLS", req: httpReq{method: "GET", path: "/v1/apps/growth-app/campaigns/spring-sale", peer: "spiffe://example.org/alice"},
			wantDecision: "ImplicitDeny", wantAction: "mobiletargeting:GetCampaign", wantResource: []string{springSale},
			wantMessage: "User: " + alice + " is not authorized to perform: mobiletargeting:GetCampaign on resource: " + springSale + " because no identity-based policy allows",
			wantContext: map[string][]string{"aws:SecureTransport": {"false"}}},
		{name: "implicit deny other team's campaign", req: httpReq{method: "GET", path: "/v1/apps/retention-app/campaigns/win-back", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "ImplicitDeny", wantAction: "mobiletargeting:GetCampaign", wantResource: []string{winBack}},
		{name: "allow bob's team campaign", req: httpReq{method: "GET", path: "/v1/apps/retention-app/campaigns/win-back", peer: "spiffe://example.org/bob", tls: true},
			wantDecision: "Allow", wantResource: []string{winBack}},
		{name: "explicit deny deleting production", req: httpReq{method: "DELETE", path: "/v1/apps/growth-app/campaigns/spring-sale", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "ExplicitDeny", wantAction: "mobiletargeting:DeleteCampaign", wantResource: []string{springSale},
			wantMessage: "User: " + alice + " is not authorized to perform: mobiletargeting:DeleteCampaign on resource: " + springSale + " with an explicit deny in an identity-based policy"},
		{name: "allow segment with query string", req: httpReq{method: "GET", path: "/v1/apps/growth-app/segments/active-users?page-size=5&token=x", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "Allow", wantAction: "mobiletargeting:GetSegment", wantResource: []string{activeUsers},
			wantMatched: "scp:FullAWSAccess#0 group:marketing:managed:SegmentReaders#ReadSegments boundary:MarketingBoundary#PinpointOnly"},
		{name: "allow listing apps", req: httpReq{method: "GET", path: "/v1/apps", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "Allow", wantAction: "mobiletargeting:GetApps", wantResource: []string{"arn:aws:mobiletargeting:us-east-1:111122223333:apps/*"}},
		{name: "explicit deny outside approved regions", req: httpReq{method: "GET", host: "pinpoint.ap-south-1.amazonaws.com", path: "/v1/apps/growth-app/segments/active-users", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "ExplicitDeny", wantResource: []string{"arn:aws:mobiletargeting:ap-south-1:111122223333:apps/growth-app/segments/active-users"},
			wantMessage: "with an explicit deny in a service control policy", wantContext: map[string][]string{"aws:RequestedRegion": {"ap-south-1"}}},
		{name: "region from host with port", req: httpReq{method: "GET", host: "pinpoint.eu-west-1.amazonaws.com:443", path: "/v1/apps/a1", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "ImplicitDeny", wantAction: "mobiletargeting:GetApp", wantResource: []string{"arn:aws:mobiletargeting:eu-west-1:111122223333:apps/a1"}},
		{name: "analyst reads KPIs", req: httpReq{method: "GET", path: "/v1/apps/growth-app/kpis/daterange/unique-deliveries", peer: "spiffe://example.org/analyst", tls: true},
			wantDecision: "Allow", wantAction: "mobiletargeting:GetApplicationDateRangeKpi", wantResource: []string{growthApp + "/kpis/daterange/unique-deliveries"}},
		{name: "analyst may not write", req: httpReq{method: "PUT", path: "/v1/apps/growth-app/campaigns/spring-sale", peer: "spiffe://example.org/analyst", tls: true, body: `{}`},
			wantDecision: "ImplicitDeny", wantAction: "mobiletargeting:UpdateCampaign"},
		{name: "unknown peer", req: httpReq{method: "GET", path: "/v1/apps", peer: "spiffe://example.org/mallory", tls: true},
			wantDecision: "Refused", wantReason: "UNKNOWN_PRINCIPAL", wantMessage: `peer "spiffe://example.org/mallory" is not in the identities file`},
		{name: "no verified peer", req: httpReq{method: "GET", path: "/v1/apps", tls: true, headers: map[string]string{"x-forwarded-client-cert": "URI=spiffe://example.org/alice"}},
			wantDecision: "Refused", wantReason: "NO_PRINCIPAL"},
		{name: "principal not in the model", req: httpReq{method: "GET", path: "/v1/apps", peer: "spiffe://example.org/ghost", tls: true},
			wantDecision: "ImplicitDeny", wantMessage: "User: arn:aws:iam::111122223333:user/ghost is not authorized to perform: mobiletargeting:GetApps"},
		{name: "malformed principal refused by the decision path", jwt: true, req: httpReq{method: "GET", path: "/v1/apps", jwt: jwtOf(map[string]any{"sub": "arn:aws:iam::bad"}), tls: true},
			wantDecision: "Refused", wantReason: "INVALID_REQUEST", wantMessage: "GetApps: "},
		{name: "unroutable path", req: httpReq{method: "GET", path: "/v1/nothing/here", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "Refused", wantReason: "NO_ROUTE", wantMessage: "no Amazon Pinpoint operation is GET /v1/nothing/here"},
		{name: "unroutable method", req: httpReq{method: "PATCH", path: "/v1/apps/growth-app", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "Refused", wantReason: "NO_ROUTE"},
		{name: "slash in a path ID", req: httpReq{method: "GET", path: "/v1/apps/growth-app%2Fsegments%2Factive-users", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: `GetApp: resource ARN: malformed ID: application-id "growth-app/segments/active-users"`},
		{name: "dot-dot in a body ID", req: sms("spiffe://example.org/sms", "DeletePool", `{"PoolId":".."}`),
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: `malformed ID: PoolId ".."`},
		{name: "no region", req: httpReq{method: "GET", host: "proxy.internal", path: "/v1/apps/growth-app", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "Refused", wantReason: "NO_ROUTE", wantMessage: "no region for the resource ARN"},
		{name: "unknown target", req: sms("spiffe://example.org/sms", "LaunchRockets", `{}`),
			wantDecision: "Refused", wantReason: "NO_ROUTE", wantMessage: `no SMS and voice v2 operation is X-Amz-Target "PinpointSMSVoiceV2.LaunchRockets"`},
		{name: "target with GET", req: httpReq{method: "GET", path: "/", host: smsHost, peer: "spiffe://example.org/sms", headers: map[string]string{"x-amz-target": "PinpointSMSVoiceV2.DescribePools"}},
			wantDecision: "Refused", wantReason: "NO_ROUTE"},
		{name: "send text from the office", req: sms("spiffe://example.org/sms", "SendTextMessage", `{"DestinationPhoneNumber":"+15555550100","OriginationIdentity":"pool-marketing","MessageBody":"hi"}`),
			wantDecision: "Allow", wantAction: "sms-voice:SendTextMessage", wantResource: []string{marketingPool},
			wantContext: map[string][]string{"aws:SourceIp": {"203.0.113.7"}, "aws:SecureTransport": {"true"}}},
		{name: "send text from elsewhere", req: func() httpReq {
			r := sms("spiffe://example.org/sms", "SendTextMessage", `{"DestinationPhoneNumber":"+15555550100","OriginationIdentity":"pool-marketing"}`)
			r.sourceIP = "198.51.100.1"
			return r
		}(), wantDecision: "ImplicitDeny", wantResource: []string{marketingPool}},
		{name: "send text: every resource decided", req: sms("spiffe://example.org/sms", "SendTextMessage",
			`{"DestinationPhoneNumber":"+15555550100","OriginationIdentity":"`+marketingPool+`","ConfigurationSetName":"marketing-default"}`),
			wantDecision: "Allow", wantResource: []string{marketingSet, marketingPool}},
		{name: "sender ID without country", req: sms("spiffe://example.org/sms", "SendTextMessage", `{"DestinationPhoneNumber":"+15555550100","OriginationIdentity":"MySender"}`),
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: "missing IsoCountryCode"},
		{name: "required identifier missing", req: sms("spiffe://example.org/sms", "ReleasePhoneNumber", ``),
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: "ReleasePhoneNumber: the body has no PhoneNumberId"},
		{name: "body not JSON", req: sms("spiffe://example.org/sms", "ReleasePhoneNumber", `PhoneNumberId=phone-1`),
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: "not a JSON object"},
		// The service reads the body too, and may keep the first of two
		// members where encoding/json keeps the last: the sender may send
		// from its pool, not from a sender ID.
		{name: "identifier given twice", req: sms("spiffe://example.org/sms", "SendTextMessage", `{"DestinationPhoneNumber":"+15555550100",`+
			`"OriginationIdentity":"arn:aws:sms-voice:us-east-1:111122223333:sender-id/Bank/US","OriginationIdentity":"pool-marketing"}`),
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: `SendTextMessage: the body is not a JSON object: line 1, column 125: duplicate key "OriginationIdentity" (first at line 1, column 42)`},
		{name: "tag given twice", req: httpReq{method: "POST", path: "/v1/tags/" + arnPath(springSale), peer: "spiffe://example.org/alice", tls: true,
			body: `{"tags":{"team":"growth","team":"retention"}}`},
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: `duplicate key "team"`},
		{name: "body of invalid UTF-8", req: func() httpReq {
			r := sms("spiffe://example.org/sms", "TagResource", "{\"ResourceArn\":\""+marketingPool+"\",\"Tags\":[{\"Key\":\"te\xffam\",\"Value\":\"x\"}]}")
			r.rawBody = true
			return r
		}(), wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: "UTF-8"},
		{name: "SCP protects opt-out lists", req: sms("spiffe://example.org/alice", "DeleteOptOutList", `{"OptOutListName":"Default"}`),
			wantDecision: "ExplicitDeny", wantAction: "sms-voice:DeleteOptOutList", wantResource: []string{defaultOptOut},
			wantMessage: "with an explicit deny in a service control policy"},
		{name: "describe pools on *", req: sms("spiffe://example.org/sms", "DescribePools", `{"PoolIds":["pool-marketing"]}`),
			wantDecision: "Allow", wantAction: "sms-voice:DescribePools", wantResource: []string{"*"}},
		{name: "phone number by prefix", req: sms("spiffe://example.org/sms", "DeleteKeyword", `{"OriginationIdentity":"phone-0123456789abcdef","Keyword":"STOP"}`),
			wantDecision: "ImplicitDeny", wantAction: "sms-voice:DeleteKeyword", wantResource: []string{"arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-0123456789abcdef"}},
		{name: "tags from a Pinpoint body", req: httpReq{method: "POST", path: "/v1/tags/" + arnPath(springSale), peer: "spiffe://example.org/alice", tls: true,
			body: `{"tags":{"team":"growth","env":"prod"}}`},
			wantDecision: "ImplicitDeny", wantAction: "mobiletargeting:TagResource", wantResource: []string{springSale},
			wantContext: map[string][]string{"aws:RequestTag/team": {"growth"}, "aws:RequestTag/env": {"prod"}, "aws:TagKeys": {"env", "team"}}},
		{name: "tags of a create", req: httpReq{method: "POST", path: "/v1/apps/growth-app/campaigns", peer: "spiffe://example.org/alice", tls: true,
			body: `{"Name":"summer","tags":{"team":"growth"}}`},
			wantDecision: "Allow", wantAction: "mobiletargeting:CreateCampaign", wantResource: []string{growthApp},
			wantContext: map[string][]string{"aws:RequestTag/team": {"growth"}, "aws:TagKeys": {"team"}}},
		{name: "tags from an SMS body", req: sms("spiffe://example.org/sms", "TagResource", `{"ResourceArn":"`+marketingPool+`","Tags":[{"Key":"team","Value":"growth"}]}`),
			wantDecision: "ImplicitDeny", wantAction: "sms-voice:TagResource", wantResource: []string{marketingPool},
			wantContext: map[string][]string{"aws:RequestTag/team": {"growth"}, "aws:TagKeys": {"team"}}},
		{name: "untag keys from the query", req: httpReq{method: "DELETE", path: "/v1/tags/" + arnPath(springSale) + "?tagKeys=env&tagKeys=team", peer: "spiffe://example.org/alice", tls: true},
			wantDecision: "ImplicitDeny", wantAction: "mobiletargeting:UntagResource", wantContext: map[string][]string{"aws:TagKeys": {"env", "team"}}},
		{name: "malformed tags", req: httpReq{method: "POST", path: "/v1/tags/" + arnPath(springSale), peer: "spiffe://example.org/alice", tls: true, body: `{"tags":{"team":7}}`},
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: `malformed tag "team"`},
		{name: "body announced but not sent", req: httpReq{method: "POST", path: "/v1/tags/" + arnPath(springSale), peer: "spiffe://example.org/alice", tls: true,
			headers: map[string]string{"content-length": "42"}},
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: "TagResource: Envoy did not send the body"},
		{name: "partial body", req: func() httpReq {
			r := sms("spiffe://example.org/sms", "SendTextMessage", `{"DestinationPhoneNumber":"+15555550100","OriginationIdentity":"pool-marketing"}`)
			r.headers["x-envoy-auth-partial-body"] = "true"
			return r
		}(), wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: "Envoy sent part of the body"},
		{name: "REST body not JSON", req: httpReq{method: "POST", path: "/v1/apps/growth-app/campaigns", peer: "spiffe://example.org/alice", tls: true, body: `Name=summer`},
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: "CreateCampaign: the body is not a JSON object"},
		{name: "body over the bound", jwt: true, req: httpReq{method: "POST", path: "/v1/apps/growth-app/campaigns", tls: true,
			jwt: jwtOf(map[string]any{"sub": alice}), body: `{"Name":"` + strings.Repeat("x", 5000) + `"}`},
			wantDecision: "Refused", wantReason: "BAD_REQUEST", wantMessage: "CreateCampaign: the body exceeds 4096 bytes"},
		{name: "explicit deny, not explained", jwt: true, req: httpReq{method: "DELETE", path: "/v1/apps/growth-app/campaigns/spring-sale",
			jwt: jwtOf(map[string]any{"sub": alice}), tls: true},
			wantDecision: "ExplicitDeny", wantResource: []string{springSale},
			wantMessage: "on resource: " + springSale + " with an explicit deny"},
		{name: "JWT principal", jwt: true, req: httpReq{method: "GET", host: "pdp-gateway.internal", path: "/v1/apps/growth-app/segments/active-users",
			jwt: jwtOf(map[string]any{"sub": alice, "iss": "https://idp.example.org"}), tls: true},
			wantDecision: "Allow", wantAction: "mobiletargeting:GetSegment", wantResource: []string{activeUsers}},
		{name: "JWT claim mapped by the identities file", jwt: true, req: httpReq{method: "GET", path: "/v1/apps/growth-app/campaigns/spring-sale",
			jwt: jwtOf(map[string]any{"sub": "alice@example.org"}), tls: true},
			wantDecision: "Allow", wantResource: []string{springSale}},
		{name: "JWT cross-account with a fixed account", jwt: true, req: httpReq{method: "GET", path: "/v1/apps/growth-app/campaigns/spring-sale",
			jwt: jwtOf(map[string]any{"sub": partner}), tls: true},
			wantDecision: "Allow", wantResource: []string{springSale}},
		{name: "JWT cross-account not shared", jwt: true, req: httpReq{method: "GET", path: "/v1/apps/retention-app/campaigns/win-back",
			jwt: jwtOf(map[string]any{"sub": partner}), tls: true},
			wantDecision: "ImplicitDeny", wantResource: []string{winBack}},
		{name: "JWT without the claim", jwt: true, req: httpReq{method: "GET", path: "/v1/apps", jwt: jwtOf(map[string]any{"email": "alice@example.org"}), tls: true},
			wantDecision: "Refused", wantReason: "NO_PRINCIPAL", wantMessage: "verified JWT has no string claim jwt_payload.sub"},
		{name: "JWT never from a header", jwt: true, req: httpReq{method: "GET", path: "/v1/apps", tls: true, peer: "spiffe://example.org/alice",
			headers: map[string]string{"authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", "x-jwt-sub": alice}},
			wantDecision: "Refused", wantReason: "NO_PRINCIPAL"},
		{name: "JWT claim neither ARN nor mapped", jwt: true, req: httpReq{method: "GET", path: "/v1/apps", jwt: jwtOf(map[string]any{"sub": "mallory"}), tls: true},
			wantDecision: "Refused", wantReason: "UNKNOWN_PRINCIPAL"},
	}
	require.GreaterOrEqual(t, len(tests), 30)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := peerEnv
			if tc.jwt {
				e = jwtEnv
			}
			resp, err := e.authz.Check(t.Context(), envoyRequest(t, tc.req))
			require.NoError(t, err)
			a := decode(t, resp)
			records := e.seen.take()
			assert.Equal(t, tc.wantDecision, a.headers[extauthz.HeaderDecision])
			assert.Equal(t, tc.wantDecision, a.metadata["decision"])
			switch tc.wantDecision {
			case "Allow":
				assert.Equal(t, codes.OK, a.code)
				assert.Zero(t, a.http)
				assert.Equal(t, "1", a.headers[extauthz.HeaderRevision])
				if !tc.jwt { // the JWT service does not explain
					assert.NotEmpty(t, a.metadata["matched_statements"])
				} else {
					assert.NotContains(t, a.metadata, "matched_statements")
				}
			case "Refused":
				assert.Equal(t, codes.PermissionDenied, a.code)
				assert.Equal(t, 403, a.http)
				assert.Equal(t, tc.wantReason, a.metadata["reason"])
				assert.Equal(t, "AccessDeniedException", a.errType)
				assert.Empty(t, records, "a refused request is not decided")
			default:
				assert.Equal(t, codes.PermissionDenied, a.code)
				assert.Equal(t, 403, a.http)
				assert.Equal(t, "AccessDeniedException", a.errType)
				assert.Equal(t, "AccessDeniedException", a.headers["x-amzn-errortype"])
				assert.Equal(t, "1", a.headers[extauthz.HeaderRevision])
			}
			if tc.wantMatched != "" {
				assert.Equal(t, tc.wantMatched, a.metadata["matched_statements"])
			}
			if tc.jwt && tc.wantDecision == "ExplicitDeny" {
				assert.True(t, strings.HasSuffix(a.message, " with an explicit deny"), a.message)
			}
			if tc.wantMessage != "" {
				assert.Contains(t, a.message, tc.wantMessage)
			}
			if tc.wantAction != "" {
				require.NotEmpty(t, records)
				assert.Equal(t, tc.wantAction, records[0].Action)
			}
			if tc.wantResource != nil {
				var got []string
				for _, r := range records {
					got = append(got, r.Resource)
					assert.Equal(t, extauthz.Method, r.Method)
				}
				assert.Equal(t, tc.wantResource, got)
			}
			if tc.wantContext != nil {
				require.NotEmpty(t, records)
				ctx := contextOf(records[0])
				for k, v := range tc.wantContext {
					assert.Equal(t, v, ctx[k], k)
				}
			}
		})
	}
}
