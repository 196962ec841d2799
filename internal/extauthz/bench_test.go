package extauthz_test

import (
	"slices"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/extauthz"
)

// BenchmarkDecide compares one ext_authz call with the gRPC Check it
// stands for (alice reads a segment of examples/model), on the same
// server and connection, without and with explanations (Config.Explain,
// CheckRequest.explain). The Interleaved runs alternate the two calls, so
// that both see the same load on a shared machine, and compare their
// medians, which a stall of the machine does not move: ratio is ext_authz
// calls/s over Check calls/s.
func BenchmarkDecide(b *testing.B) {
	check := &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: activeUsers,
		Context: map[string]*pdpv1.ContextValue{
			"aws:SourceIp":        {Kind: &pdpv1.ContextValue_StringValue{StringValue: "203.0.113.7"}},
			"aws:SecureTransport": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "true"}},
			"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}},
		}}
	checkExplain := &pdpv1.CheckRequest{Principal: check.Principal, Action: check.Action, Resource: check.Resource,
		Context: check.Context, Explain: true}
	authz := envoyRequest(b, httpReq{method: "GET", path: "/v1/apps/growth-app/segments/active-users?page-size=5",
		peer: "spiffe://example.org/alice", tls: true})
	for _, explain := range []bool{false, true} {
		e := newEnv(b, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromPeer, Explain: explain})
		c, suffix := check, ""
		if explain {
			c, suffix = checkExplain, "Explain"
		}
		b.Run("Check"+suffix, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				callCheck(b, e, c)
			}
		})
		b.Run("ExtAuthz"+suffix, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				callAuthz(b, e, authz)
			}
		})
		b.Run("Interleaved"+suffix, func(b *testing.B) {
			b.ReportAllocs()
			var inCheck, inAuthz []time.Duration
			for b.Loop() {
				t0 := time.Now()
				callCheck(b, e, c)
				t1 := time.Now()
				callAuthz(b, e, authz)
				inCheck, inAuthz = append(inCheck, t1.Sub(t0)), append(inAuthz, time.Since(t1))
			}
			mc, ma := median(inCheck), median(inAuthz)
			b.ReportMetric(float64(mc.Nanoseconds()), "check-median-ns")
			b.ReportMetric(float64(ma.Nanoseconds()), "extauthz-median-ns")
			b.ReportMetric(float64(mc)/float64(ma), "ratio")
		})
	}
}

func callCheck(b *testing.B, e *env, req *pdpv1.CheckRequest) {
	resp, err := e.check.Check(b.Context(), req)
	if err != nil || resp.GetDecision() != pdpv1.Decision_DECISION_ALLOW {
		b.Fatalf("Check: %v %v", resp.GetDecision(), err)
	}
	e.seen.take() // keep the recorder from growing
}

func callAuthz(b *testing.B, e *env, req *authv3.CheckRequest) {
	resp, err := e.authz.Check(b.Context(), req)
	if err != nil || resp.GetOkResponse() == nil {
		b.Fatalf("ext_authz: %v %v", resp.GetStatus(), err)
	}
	e.seen.take()
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
