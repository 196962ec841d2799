package engine_test

import (
	"os"
	"strings"
	"testing"

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
	b.Run("prepared", func(b *testing.B) {
		call := &calls[0]
		ctx := engine.NewContext(8)
		ctx.Set("aws:PrincipalArn", call.principal)
		ctx.Set("aws:SourceIp", call.sourceIP)
		ctx.Set("aws:PrincipalTag/team", "growth")
		ctx.Set("aws:ResourceTag/team", "growth")
		req := &engine.Request{Principal: call.principal, Action: call.action, Resource: call.resource, Context: ctx}
		if got := engine.Evaluate(policies, req); got != engine.Allow {
			b.Fatalf("decision %s, want Allow", got)
		}
		b.ReportAllocs()
		for b.Loop() {
			_ = engine.Evaluate(policies, req)
		}
	})
	b.Run("example", func(b *testing.B) {
		ctx := engine.NewContext(8)
		req := &engine.Request{Context: ctx}
		call := &calls[0]
		b.ReportAllocs()
		for b.Loop() {
			// decide: begin
			ctx.Reset()
			ctx.SetKey(engine.KeyPrincipalArn, call.principal)
			ctx.SetKey(engine.KeySourceIP, call.sourceIP)
			ctx.SetTags(engine.PrincipalTag, call.principalTags)
			ctx.SetTags(engine.ResourceTag, call.resourceTags)
			req.Principal, req.Action, req.Resource = call.principal, call.action, call.resource
			decision := engine.Evaluate(policies, req)
			// decide: end
			if decision != engine.Allow {
				b.Fatalf("decision %s, want Allow", decision)
			}
		}
	})
	b.Run("new-context-per-request", func(b *testing.B) {
		call := &calls[0]
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
