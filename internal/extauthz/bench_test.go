package extauthz_test

import (
	"testing"
	"time"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/extauthz"
)

// BenchmarkDecide compares one ext_authz call with the gRPC Check it
// stands for (alice reads a segment of examples/model), on the same
// server and connection: the ratio of their ns/op is what the Envoy door
// costs over Check.
func BenchmarkDecide(b *testing.B) {
	e := newEnv(b, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromPeer})
	check := &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: activeUsers,
		Context: map[string]*pdpv1.ContextValue{
			"aws:SourceIp":        {Kind: &pdpv1.ContextValue_StringValue{StringValue: "203.0.113.7"}},
			"aws:SecureTransport": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "true"}},
			"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}},
		}}
	authz := envoyRequest(b, httpReq{method: "GET", path: "/v1/apps/growth-app/segments/active-users?page-size=5",
		peer: "spiffe://example.org/alice", tls: true})
	b.Run("Check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := e.check.Check(b.Context(), check)
			if err != nil || resp.GetDecision() != pdpv1.Decision_DECISION_ALLOW {
				b.Fatalf("Check: %v %v", resp.GetDecision(), err)
			}
			e.seen.take() // keep the recorder from growing
		}
	})
	b.Run("ExtAuthz", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := e.authz.Check(b.Context(), authz)
			if err != nil || resp.GetOkResponse() == nil {
				b.Fatalf("ext_authz: %v %v", resp.GetStatus(), err)
			}
			e.seen.take()
		}
	})
	// Interleaved, so that both see the same load on a shared machine:
	// ratio is ext_authz calls/s over Check calls/s.
	b.Run("Interleaved", func(b *testing.B) {
		b.ReportAllocs()
		var inCheck, inAuthz time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, err := e.check.Check(b.Context(), check); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := e.authz.Check(b.Context(), authz); err != nil {
				b.Fatal(err)
			}
			inCheck, inAuthz = inCheck+t1.Sub(t0), inAuthz+time.Since(t1)
			e.seen.take() // keep the recorder from growing
		}
		n := float64(b.N)
		b.ReportMetric(float64(inCheck.Nanoseconds())/n, "check-ns/op")
		b.ReportMetric(float64(inAuthz.Nanoseconds())/n, "extauthz-ns/op")
		b.ReportMetric(float64(inCheck)/float64(inAuthz), "ratio")
	})
}
