package extauthz_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/pdp-dev/pdp/internal/extauthz"
)

// maxAnswer bounds an answer whatever the request: each value it repeats
// is at most rpcerr.MaxEcho bytes, in the body, the status and the
// metadata.
const maxAnswer = 4096

// TestRefusalsAreBounded sends requests with values of 200 KB, and with
// control characters, where a refusal or a denial names them: the answer
// repeats the first bytes of each, noting its length, and quotes what is
// not printable.
func TestRefusalsAreBounded(t *testing.T) {
	peerEnv := newEnv(t, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromPeer, Explain: true})
	jwtEnv := newEnv(t, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromJWT, Region: "us-east-1", Account: "111122223333"})
	long := strings.Repeat("a", 200_000)
	const alicePeer = "spiffe://example.org/alice"
	tests := []struct {
		name        string
		jwt         bool
		req         httpReq
		wantMessage []string // parts of the body's message
	}{
		{name: "path", req: httpReq{method: "GET", path: "/v1/" + long, peer: alicePeer, tls: true},
			wantMessage: []string{"no Amazon Pinpoint operation is GET /v1/aaa", "… (200004 bytes)"}},
		{name: "method", req: httpReq{method: long, path: "/v1/apps", peer: alicePeer, tls: true},
			wantMessage: []string{"… (200000 bytes) /v1/apps"}},
		{name: "x-amz-target", req: httpReq{method: "POST", path: "/", host: smsHost, peer: "spiffe://example.org/sms", tls: true, body: "{}",
			headers: map[string]string{"x-amz-target": long, "content-type": smsContentType}},
			wantMessage: []string{`X-Amz-Target "aaa`, `…" (200000 bytes)`}},
		{name: "x-amz-target with a long path", req: httpReq{method: "GET", path: "/" + long, host: smsHost, peer: "spiffe://example.org/sms", tls: true,
			headers: map[string]string{"x-amz-target": "x" + long}},
			wantMessage: []string{`…" (200001 bytes) with GET /aaa`, "… (200001 bytes): the JSON protocol is POST /"}},
		{name: "peer principal", req: httpReq{method: "GET", path: "/v1/apps", peer: long, tls: true},
			wantMessage: []string{`peer "aaa`, `…" (200000 bytes) is not in the identities file`}},
		{name: "JWT claim", jwt: true, req: httpReq{method: "GET", path: "/v1/apps", jwt: jwtOf(map[string]any{"sub": long}), tls: true},
			wantMessage: []string{`JWT claim jwt_payload.sub "aaa`, `…" (200000 bytes) is neither`}},
		{name: "JWT principal ARN", jwt: true, req: httpReq{method: "GET", path: "/v1/apps", jwt: jwtOf(map[string]any{"sub": "arn:aws:iam::111122223333:user/" + long}), tls: true},
			wantMessage: []string{"(200031 bytes)"}},
		{name: "campaign id", req: httpReq{method: "GET", path: "/v1/apps/growth-app/campaigns/" + long, peer: alicePeer, tls: true},
			wantMessage: []string{"bytes)"}},
		{name: "OriginationIdentity", req: sms(alicePeer, "SendTextMessage",
			`{"DestinationPhoneNumber":"+12065550100","OriginationIdentity":"pool-`+long+`"}`),
			wantMessage: []string{"bytes)"}},
		{name: "OriginationIdentity of no kind", req: sms("spiffe://example.org/sms", "AssociateOriginationIdentity",
			`{"PoolId":"pool-marketing","IsoCountryCode":"US","OriginationIdentity":"`+long+`"}`),
			wantMessage: []string{"bytes)"}},
		{name: "tag key", req: httpReq{method: "POST", path: "/v1/tags/" + arnPath(springSale), peer: alicePeer, tls: true,
			body: `{"tags":{"` + long + `":1}}`},
			wantMessage: []string{`malformed tag "aaa`, `…" (200000 bytes)`}},
		{name: "control characters in the path", req: httpReq{method: "GET", path: "/v1/nothing\n\x1b[2J", peer: alicePeer, tls: true},
			wantMessage: []string{`no Amazon Pinpoint operation is GET "/v1/nothing\n\x1b[2J"`}},
		{name: "control characters in the peer", req: httpReq{method: "GET", path: "/v1/apps", peer: "mallory\r\n", tls: true},
			wantMessage: []string{`peer "mallory\r\n" is not`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := peerEnv
			if tc.jwt {
				e = jwtEnv
			}
			resp, err := e.authz.Check(t.Context(), envoyRequest(t, tc.req))
			require.NoError(t, err)
			e.seen.take()
			a := decode(t, resp)
			assert.Equal(t, 403, a.http)
			assert.LessOrEqual(t, proto.Size(resp), maxAnswer, "answer of %d bytes", proto.Size(resp))
			for _, want := range tc.wantMessage {
				assert.Contains(t, a.message, want)
			}
			texts := []string{a.message, resp.GetStatus().GetMessage()}
			if m, ok := a.metadata["message"].(string); ok {
				assert.Equal(t, a.message, m)
				texts = append(texts, m)
			}
			for _, s := range texts {
				assert.False(t, strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }), "control character in %q", s)
			}
		})
	}
}
