package engine_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// exampleSetup compiles the package example's policy and returns its calls.
func exampleSetup(tb testing.TB, extra ...string) (*engine.Policies, []exampleCall) {
	tb.Helper()
	cat, err := catalog.Load()
	if err != nil {
		tb.Fatal(err)
	}
	var docs []*engine.Document
	for i, src := range append([]string{examplePolicy}, extra...) {
		doc, err := engine.Parse([]byte(src), engine.ParseOptions{ID: "p" + string(rune('a'+i%26)), Type: engine.IdentityPolicy})
		if err != nil {
			tb.Fatal(err)
		}
		docs = append(docs, doc)
	}
	set, err := engine.Compile(cat, docs...)
	if err != nil {
		tb.Fatal(err)
	}
	calls := []exampleCall{{
		principal: "arn:aws:iam::111122223333:user/alice", action: "mobiletargeting:GetCampaign",
		resource: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/abc123/campaigns/spring",
		sourceIP: "203.0.113.7", principalTags: []engine.Tag{{Key: "team", Value: "growth"}},
		resourceTags: []engine.Tag{{Key: "team", Value: "growth"}},
	}}
	return &engine.Policies{Identity: set}, calls
}

// BenchmarkExample decides the package example's request three ways in
// one run: on a context built beforehand (Evaluate alone), with the
// example's own decision code (the lines between "decide: begin" and
// "decide: end", which TestExampleBodyIsBenchmarked keeps identical), and
// with a new context per request built by Set with the keys' names.
func BenchmarkExample(b *testing.B) {
	policies, calls := exampleSetup(b)
	call := &calls[0]
	// The context of "prepared", built once.
	prepCtx := engine.NewContext(8)
	prepCtx.Set("aws:PrincipalArn", call.principal)
	prepCtx.Set("aws:SourceIp", call.sourceIP)
	prepCtx.Set("aws:PrincipalTag/team", "growth")
	prepCtx.Set("aws:ResourceTag/team", "growth")
	prepReq := &engine.Request{Principal: call.principal, Action: call.action, Resource: call.resource, Context: prepCtx}
	if got := engine.Evaluate(policies, prepReq); got != engine.Allow {
		b.Fatalf("decision %s, want Allow", got)
	}
	// The example's worker state and decision code.
	ctx := engine.NewContext(8)
	req := &engine.Request{Context: ctx}
	decide := func(call *exampleCall) engine.Decision {
		// decide: begin
		ctx.Reset()
		ctx.SetKey(engine.KeyPrincipalArn, call.principal)
		ctx.SetKey(engine.KeySourceIP, call.sourceIP)
		ctx.SetTags(engine.PrincipalTag, call.principalTags)
		ctx.SetTags(engine.ResourceTag, call.resourceTags)
		req.Principal, req.Action, req.Resource = call.principal, call.action, call.resource
		decision := engine.Evaluate(policies, req)
		// decide: end
		return decision
	}
	if got := decide(call); got != engine.Allow {
		b.Fatalf("decision %s, want Allow", got)
	}
	b.Run("prepared", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = engine.Evaluate(policies, prepReq)
		}
	})
	b.Run("example", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = decide(call)
		}
		// The ratio to "prepared", timed in alternating batches after the
		// loop so that both see the same load of a shared machine.
		best := [2]time.Duration{1 << 62, 1 << 62}
		for range 40 {
			start := time.Now()
			for range 512 {
				_ = engine.Evaluate(policies, prepReq)
			}
			mid := time.Now()
			for range 512 {
				_ = decide(call)
			}
			best[0], best[1] = min(best[0], mid.Sub(start)), min(best[1], time.Since(mid))
		}
		b.ReportMetric(float64(best[1])/float64(best[0]), "x-vs-prepared")
		// The best batches per decision, which a loaded machine disturbs
		// less than ns/op: they compare one build with another.
		b.ReportMetric(float64(best[0].Nanoseconds())/512, "ns-best-prepared")
		b.ReportMetric(float64(best[1].Nanoseconds())/512, "ns-best-example")
	})
	b.Run("new-context-per-request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ctx := engine.NewContext(4)
			ctx.Set("aws:PrincipalArn", call.principal)
			ctx.Set("aws:SourceIp", call.sourceIP)
			for _, t := range call.principalTags {
				ctx.Set("aws:PrincipalTag/"+t.Key, t.Value)
			}
			for _, t := range call.resourceTags {
				ctx.Set("aws:ResourceTag/"+t.Key, t.Value)
			}
			req := &engine.Request{Principal: call.principal, Action: call.action, Resource: call.resource, Context: ctx}
			_ = engine.Evaluate(policies, req)
		}
	})
}

// decideBody returns the lines of file between "// decide: begin" and
// "// decide: end", each without its indentation.
func decideBody(t *testing.T, file string) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	text := string(src)
	begin := strings.Index(text, "// decide: begin")
	end := strings.Index(text, "// decide: end")
	require.True(t, begin >= 0 && end > begin, "%s has no decide: begin/end markers", file)
	var lines []string
	for _, l := range strings.Split(text[begin:end], "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	return lines
}

// TestExampleBodyIsBenchmarked checks that BenchmarkExample times exactly
// the decision code the package example shows.
func TestExampleBodyIsBenchmarked(t *testing.T) {
	t.Parallel()
	example, bench := decideBody(t, "example_test.go"), decideBody(t, "example_bench_test.go")
	require.Equal(t, example, bench, "the example's decision code and the benchmark's differ")
}
