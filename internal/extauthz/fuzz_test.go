package extauthz

import (
	"strings"
	"testing"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	"github.com/pdp-dev/pdp/internal/auth"
)

// FuzzPlan feeds arbitrary methods, paths, targets and bodies to the
// request mapping: it never panics, and a request it does not refuse has
// an action and at least one resource, each "*" or an ARN.
func FuzzPlan(f *testing.F) {
	f.Add("GET", "/v1/apps/a1/segments/s1?page-size=5", "", "")
	f.Add("POST", "/v1/tags/arn%3Aaws%3Amobiletargeting%3Aus-east-1%3A111122223333%3Aapps%2Fa1", "", `{"tags":{"team":"growth"}}`)
	f.Add("DELETE", "/v1/tags/arn:aws:x?tagKeys=a&tagKeys=b", "", "")
	f.Add("POST", "/", "PinpointSMSVoiceV2.SendTextMessage", `{"OriginationIdentity":"pool-1","ConfigurationSetName":"c"}`)
	f.Add("POST", "/", "PinpointSMSVoiceV2.TagResource", `{"ResourceArn":"arn:aws:sms-voice:us-east-1:1:pool/p","Tags":[{"Key":"k","Value":"v"}]}`)
	f.Add("POST", "/", "PinpointSMSVoiceV2.ReleaseSenderId", `{"SenderId":"S","IsoCountryCode":"US"}`)
	f.Add("PUT", "/v1/apps/%zz", "", "[")
	ids, err := auth.ParseIdentities("ids", []byte("peer arn:aws:iam::111122223333:user/alice\n"))
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(Config{PrincipalFrom: PrincipalFromPeer, Identities: ids}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, amzTarget, body string) {
		headers := map[string]string{}
		if amzTarget != "" {
			headers["x-amz-target"] = amzTarget
		}
		p, rf := s.plan(&authv3.CheckRequest{Attributes: &authv3.AttributeContext{
			Source: &authv3.AttributeContext_Peer{Principal: "peer"},
			Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
				Method: method, Path: path, Host: "pinpoint.us-east-1.amazonaws.com", Headers: headers, Body: body,
			}},
		}})
		if rf != nil {
			if rf.reason == "" || rf.msg == "" {
				t.Fatalf("refusal without a reason: %+v", rf)
			}
			return
		}
		if p.target.action == "" || len(p.target.resources) == 0 {
			t.Fatalf("routed without an action or resources: %+v", p.target)
		}
		for _, r := range p.target.resources {
			if r != "*" && !strings.HasPrefix(r, "arn:") {
				t.Fatalf("resource %q is neither * nor an ARN", r)
			}
		}
	})
}
