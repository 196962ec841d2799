package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// A flatShape is one form of statement a large set may be made of: its
// Action element and its Resource (or NotResource) element for app ID id.
type flatShape struct {
	name     string
	action   string // the JSON of the Action or NotAction member
	resource func(id string) string
}

// flatShapes covers the resource-pattern forms IAM allows (a literal; '*'
// or '?' in the partition, service, region, account or resource part; a
// trailing '*' that crosses colons; policy variables; NotResource) and the
// action forms (one action, a prefix wildcard, '*', NotAction).
var flatShapes = []flatShape{
	{"literal", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/` + id + `/campaigns/growth-q3"`
	}},
	{"trailing-star", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/` + id + `/*"`
	}},
	{"star-partition", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:*:mobiletargeting:us-east-1:111122223333:apps/` + id + `/campaigns/*"`
	}},
	{"star-service", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:*:us-east-1:111122223333:apps/` + id + `/campaigns/*"`
	}},
	{"star-region", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/` + id + `/campaigns/*"`
	}},
	{"star-account", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:us-east-1:*:apps/` + id + `/campaigns/*"`
	}},
	{"question-region", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:us-????-1:111122223333:apps/` + id + `/campaigns/*"`
	}},
	{"star-resource-part", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/` + id + `/*/growth-q?"`
	}},
	{"variable-region", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:${aws:RequestedRegion}:111122223333:apps/` + id + `/campaigns/*"`
	}},
	{"variable-account", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:*:${aws:PrincipalAccount}:apps/` + id + `/campaigns/*"`
	}},
	{"variable-resource-part", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/` + id + `/campaigns/${aws:PrincipalTag/team}-*"`
	}},
	{"not-resource", `"Action":"mobiletargeting:GetCampaign"`, func(id string) string {
		return `"NotResource":"arn:aws:mobiletargeting:*:111122223333:apps/` + id + `/*"`
	}},
	{"action-prefix-star", `"Action":"mobiletargeting:Get*"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/` + id + `/campaigns/*"`
	}},
	{"action-star", `"Action":"*"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/` + id + `/campaigns/*"`
	}},
	{"not-action", `"NotAction":"mobiletargeting:Delete*"`, func(id string) string {
		return `"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/` + id + `/campaigns/*"`
	}},
}

// flatApp is the ID of app i, 32 hex digits like a Pinpoint project ID.
func flatApp(i int) string {
	return fmt.Sprintf("%016x%016x", uint64(i+1)*0x9e3779b97f4a7c15, uint64(i+7)*0xbf58476d1ce4e5b9)
}

// flatPolicies writes n one-statement identity policies of a shape, each
// on its own app, and compiles them into one set.
func flatPolicies(tb testing.TB, cat *catalog.Catalog, sh flatShape, n int) *engine.Policies {
	tb.Helper()
	docs := make([]*engine.Document, n)
	for i := range docs {
		src := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + sh.action + `,` + sh.resource(flatApp(i)) +
			`,"Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`
		d, err := engine.Parse([]byte(src), engine.ParseOptions{ID: fmt.Sprint("p", i), Type: engine.IdentityPolicy})
		if err != nil {
			tb.Fatal(err)
		}
		docs[i] = d
	}
	set, err := engine.Compile(cat, docs...)
	if err != nil {
		tb.Fatal(err)
	}
	return &engine.Policies{Identity: set}
}

// flatCalls are requests on campaigns of apps of the set, each allowed by
// one statement (for NotResource, by all but one).
func flatCalls(n int) []exampleCall {
	calls := make([]exampleCall, 16)
	for j := range calls {
		app := flatApp(j * 7919 % n)
		calls[j] = exampleCall{
			principal: "arn:aws:iam::111122223333:user/alice", action: "mobiletargeting:GetCampaign",
			resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/" + app + "/campaigns/growth-q3",
			sourceIP: "203.0.113.7", principalTags: []engine.Tag{{Key: "team", Value: "growth"}},
			resourceTags: []engine.Tag{{Key: "team", Value: "growth"}},
		}
	}
	return calls
}

// BenchmarkFlat decides requests against one identity set of N statements
// of each shape, the request built the documented way (the package
// example's decision code, with the context keys the shapes' variables
// read): the cost must not grow with N. As the machine it runs on may be
// shared, each N>10 case also reports x-vs-N=10: the cost of its decisions
// divided by that of the same shape's N=10 decisions, timed in alternating
// batches after the loop so that both see the same load.
func BenchmarkFlat(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	ctx := engine.NewContext(8)
	req := &engine.Request{Context: ctx}
	decide := func(policies *engine.Policies, call *exampleCall) engine.Decision {
		ctx.Reset()
		ctx.SetKey(engine.KeyPrincipalArn, call.principal)
		ctx.SetKey(engine.KeySourceIP, call.sourceIP)
		ctx.SetKey(engine.KeyRequestedRegion, "us-east-1")
		ctx.SetKey(engine.KeyPrincipalAccount, "111122223333")
		ctx.SetTags(engine.PrincipalTag, call.principalTags)
		ctx.SetTags(engine.ResourceTag, call.resourceTags)
		req.Principal, req.Action, req.Resource = call.principal, call.action, call.resource
		return engine.Evaluate(policies, req)
	}
	// batch decides calls over and over, n decisions, and returns the time.
	batch := func(policies *engine.Policies, calls []exampleCall, n int) time.Duration {
		start := time.Now()
		for k := range n {
			_ = decide(policies, &calls[k%len(calls)])
		}
		return time.Since(start)
	}
	for _, sh := range flatShapes {
		var small *engine.Policies
		var smallCalls []exampleCall
		for _, n := range []int{10, 1000, 10000} {
			policies := flatPolicies(b, cat, sh, n)
			calls := flatCalls(n)
			for j := range calls {
				if got := decide(policies, &calls[j]); got != engine.Allow {
					b.Fatalf("%s N=%d request %d (%s): %s, want Allow", sh.name, n, j, calls[j].resource, got)
				}
			}
			if n == 10 {
				small, smallCalls = policies, calls
			}
			b.Run(fmt.Sprintf("%s/N=%d", sh.name, n), func(b *testing.B) {
				b.ReportAllocs()
				j := 0
				for b.Loop() {
					_ = decide(policies, &calls[j])
					if j++; j == len(calls) {
						j = 0
					}
				}
				if n == 10 {
					return
				}
				bestBig, bestSmall := time.Duration(1<<62), time.Duration(1<<62)
				for range 40 {
					bestSmall = min(bestSmall, batch(small, smallCalls, 512))
					bestBig = min(bestBig, batch(policies, calls, 512))
				}
				b.ReportMetric(float64(bestBig)/float64(bestSmall), "x-vs-N=10")
			})
		}
	}
}
