package engine

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// benchCatalog loads the catalog for a benchmark.
func benchCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

func mustCompile(tb testing.TB, cat *catalog.Catalog, typ PolicyType, srcs ...string) *PolicySet {
	tb.Helper()
	docs := make([]*Document, len(srcs))
	for i, src := range srcs {
		d, err := Parse([]byte(src), ParseOptions{ID: fmt.Sprintf("%s-%d", typ, i), Type: typ})
		if err != nil {
			tb.Fatalf("parse %s policy %d: %v", typ, i, err)
		}
		docs[i] = d
	}
	ps, err := Compile(cat, docs...)
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

// identityPolicy writes the i-th of the typical workload's identity
// policies: ten statements over campaign, segment and journey actions with
// tag, IP and MFA conditions, one of them using ${aws:username}.
func identityPolicy(i int) string {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	actions := []string{"GetCampaign", "UpdateCampaign", "GetSegment*", "CreateJourney", "GetJourney",
		"DeleteCampaign", "Get*Template", "ListTagsForResource", "GetApp", "UpdateSegment"}
	for s, a := range actions {
		if s > 0 {
			b.WriteByte(',')
		}
		effect := "Allow"
		if s == 5 {
			effect = "Deny"
		}
		fmt.Fprintf(&b, `{"Sid":"P%dS%d","Effect":%q,"Action":"mobiletargeting:%s",`, i, s, effect, a)
		switch s % 3 {
		case 0:
			fmt.Fprintf(&b, `"Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/app%d/*"`, i)
		case 1:
			b.WriteString(`"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/${aws:username}/*"`)
		default:
			b.WriteString(`"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"growth"}}`)
		}
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	return b.String()
}

// typicalPolicies is the workload of the engine's headline benchmark: five
// identity policies of ten statements, a boundary, a three-level SCP chain
// and a resource policy; the request carries three conditions' keys and the
// matching statement uses a policy variable.
func typicalPolicies(tb testing.TB, cat *catalog.Catalog, extra ...string) *Policies {
	ids := []string{}
	for i := range 5 {
		ids = append(ids, identityPolicy(i))
	}
	ids = append(ids, `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow",
		"Action":["mobiletargeting:GetSegment","mobiletargeting:GetSegmentVersion"],
		"Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/${aws:PrincipalTag/app}/segments/*",
		"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},
		             "StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"},
		             "Bool":{"aws:SecureTransport":"true"}}}]}`)
	ids = append(ids, extra...)
	return &Policies{
		Identity: mustCompile(tb, cat, IdentityPolicy, ids...),
		Boundary: mustCompile(tb, cat, BoundaryPolicy, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["mobiletargeting:*","sms-voice:*"],"Resource":"*"}]}`),
		Resource: mustCompile(tb, cat, ResourcePolicy, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Deny","Principal":"*","Action":"mobiletargeting:Delete*","Resource":"*",
			 "Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}]}`),
		SCPs: []*PolicySet{
			mustCompile(tb, cat, SCPPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
			mustCompile(tb, cat, SCPPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
				{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}`),
			mustCompile(tb, cat, SCPPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`),
		},
	}
}

func typicalRequest() *Request {
	ctx := NewContext(8)
	ctx.Set("aws:SourceIp", "203.0.113.7")
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:RequestedRegion", "us-east-1")
	ctx.Set("aws:PrincipalAccount", "111122223333")
	ctx.Set("aws:username", "alice")
	ctx.Set("aws:PrincipalTag/app", "abc123")
	ctx.Set("aws:PrincipalTag/team", "growth")
	ctx.Set("aws:ResourceTag/team", "growth")
	return &Request{
		Principal: "arn:aws:iam::111122223333:user/alice",
		Action:    "mobiletargeting:GetSegment",
		Resource:  "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123/segments/seg1",
		Context:   ctx,
	}
}

func BenchmarkEvaluate(b *testing.B) {
	cat := benchCatalog(b)
	p, req := typicalPolicies(b, cat), typicalRequest()
	if got := Evaluate(p, req); got != Allow {
		b.Fatalf("typical request: %s, want Allow", got)
	}
	b.Run("typical", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Evaluate(p, req)
		}
	})
	b.Run("typical-explain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = EvaluateExplain(p, req)
		}
	})
	// Unrelated statements on other actions and resources must cost
	// (nearly) nothing: the action index skips them.
	for _, n := range []int{1000, 10000} {
		big := typicalPolicies(b, cat, unrelatedPolicies(n)...)
		if got := Evaluate(big, req); got != Allow {
			b.Fatalf("%d extra statements: %s, want Allow", n, got)
		}
		b.Run(fmt.Sprintf("unrelated-statements-%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Evaluate(big, req)
			}
		})
	}
}

// unrelatedPolicies writes policies holding n statements in all on actions
// other than the benchmark request's and on other apps.
func unrelatedPolicies(n int) []string {
	others := []string{"sms-voice:SendTextMessage", "sms-voice:DescribePools", "mobiletargeting:UpdateEndpoint",
		"mobiletargeting:CreateCampaign", "mobiletargeting:DeleteJourney", "mobiletargeting:PutEvents",
		"mobiletargeting:GetEmailChannel", "sms-voice:CreatePool", "mobiletargeting:SendMessages",
		"mobiletargeting:UpdateJourneyState"}
	var out []string
	for start := 0; start < n; start += 10 {
		var b strings.Builder
		b.WriteString(`{"Version":"2012-10-17","Statement":[`)
		for s := 0; s < 10 && start+s < n; s++ {
			if s > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"Effect":"Allow","Action":%q,"Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/other%d/*",
				"Condition":{"StringEquals":{"aws:ResourceTag/team":"t%d"}}}`, others[(start+s)%len(others)], start+s, s)
		}
		b.WriteString(`]}`)
		out = append(out, b.String())
	}
	return out
}

// BenchmarkCompile measures parsing and compiling 10,000 policies.
func BenchmarkCompile(b *testing.B) {
	cat := benchCatalog(b)
	srcs := make([][]byte, 10000)
	for i := range srcs {
		srcs[i] = []byte(identityPolicy(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		docs := make([]*Document, len(srcs))
		for i, src := range srcs {
			d, err := Parse(src, ParseOptions{ID: "p", Type: IdentityPolicy})
			if err != nil {
				b.Fatal(err)
			}
			docs[i] = d
		}
		if _, err := Compile(cat, docs...); err != nil {
			b.Fatal(err)
		}
	}
}

// principalPolicy writes policy k (0–9) of principal p in the style of
// bench/peers: Allow policies grant campaign and segment actions on one app
// when the resource's team tag equals the principal's and the source IP is
// in the policy's /24; policies 8 and 9 deny deletes of prod resources in
// the apps of policies 0 and 1.
func principalPolicy(p, k int) string {
	app := func(k int) string { return fmt.Sprintf("%016x", uint64(p*10+k+1)*0x9e3779b97f4a7c15) }
	arn := "arn:aws:mobiletargeting:us-east-1:111122223333:apps/"
	if k >= 8 {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny",
			"Action":["mobiletargeting:DeleteCampaign","mobiletargeting:DeleteSegment"],"Resource":"%s%s/*",
			"Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}}]}`, arn, app(k-8))
	}
	actions := `"mobiletargeting:GetCampaign","mobiletargeting:GetSegment"`
	if k < 5 {
		actions += `,"mobiletargeting:UpdateCampaign"`
	}
	if k < 2 {
		actions += `,"mobiletargeting:UpdateSegment","mobiletargeting:DeleteCampaign","mobiletargeting:DeleteSegment"`
	}
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[%s],
		"Resource":["%s%s/campaigns/*","%s%s/segments/*"],
		"Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"},
		             "IpAddress":{"aws:SourceIp":"10.%d.%d.0/24"}}}]}`,
		actions, arn, app(k), arn, app(k), (p*10+k)/256%256, (p*10+k)%256)
}

// BenchmarkEvaluatePrincipals decides requests of many principals, each
// with its own identity set of ten one-statement policies, as the server
// holds them: the cost of a decision should not depend on how many
// principals there are. The requests cycle through allowed, denied and
// implicitly denied ones, every condition being evaluated.
func BenchmarkEvaluatePrincipals(b *testing.B) {
	cat := benchCatalog(b)
	for _, n := range []int{10, 1000, 10000} {
		sets := make([]*Policies, n/10)
		for p := range sets {
			docs := make([]string, 10)
			for k := range docs {
				docs[k] = principalPolicy(p, k)
			}
			sets[p] = &Policies{Identity: mustCompile(b, cat, IdentityPolicy, docs...)}
		}
		type request struct {
			p    int
			r    *Request
			want Decision
		}
		var reqs []request
		for j := range 120 {
			p := j * 7919 % len(sets)
			k := j % 8
			app := fmt.Sprintf("%016x", uint64(p*10+k+1)*0x9e3779b97f4a7c15)
			ctx := NewContext(5)
			ctx.Set("aws:PrincipalArn", fmt.Sprintf("arn:aws:iam::111122223333:user/u%05d", p))
			ctx.Set("aws:SourceIp", fmt.Sprintf("10.%d.%d.%d", (p*10+k)/256%256, (p*10+k)%256, 1+j))
			ctx.Set("aws:PrincipalTag/team", "growth")
			ctx.Set("aws:ResourceTag/team", "growth")
			ctx.Set("aws:ResourceTag/env", "prod")
			r := &Request{Principal: fmt.Sprintf("arn:aws:iam::111122223333:user/u%05d", p),
				Action:   "mobiletargeting:GetCampaign",
				Resource: fmt.Sprintf("arn:aws:mobiletargeting:us-east-1:111122223333:apps/%s/campaigns/r%03d", app, j),
				Context:  ctx}
			want := Allow
			switch j % 3 {
			case 1:
				ctx.Set("aws:SourceIp", fmt.Sprintf("192.0.2.%d", 1+j))
				want = ImplicitDeny
			case 2:
				r.Action, want = "mobiletargeting:DeleteCampaign", ExplicitDeny
				if k >= 2 {
					want = ImplicitDeny
				}
			}
			if got := Evaluate(sets[p], r); got != want {
				b.Fatalf("request %d: %s, want %s", j, got, want)
			}
			reqs = append(reqs, request{p: p, r: r, want: want})
		}
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			j := 0
			for b.Loop() {
				q := &reqs[j]
				_ = Evaluate(sets[q.p], q.r)
				if j++; j == len(reqs) {
					j = 0
				}
			}
		})
	}
}

// BenchmarkContext builds the request context the server builds for a
// typical Check: the clock, the principal's identity and tags, the
// resource's tags and the caller's source IP. Set parses values of the
// shapes conditions compare, so this is where that cost shows.
func BenchmarkContext(b *testing.B) {
	const now = "2026-11-23T21:00:00Z"
	b.ReportAllocs()
	for b.Loop() {
		ctx := NewContext(12)
		ctx.Set("aws:CurrentTime", now)
		ctx.Set("aws:EpochTime", "1795467600")
		ctx.Set("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice")
		ctx.Set("aws:PrincipalAccount", "111122223333")
		ctx.Set("aws:PrincipalType", "User")
		ctx.Set("aws:username", "alice")
		ctx.Set("aws:PrincipalTag/team", "growth")
		ctx.Set("aws:PrincipalTag/app", "abc123")
		ctx.Set("aws:ResourceTag/team", "growth")
		ctx.Set("aws:SourceIp", "203.0.113.7")
		ctx.Set("aws:SecureTransport", "true")
		ctx.Set("aws:RequestedRegion", "us-east-1")
		if ctx.Len() != 12 {
			b.Fatalf("context holds %d keys, want 12", ctx.Len())
		}
	}
}

// benchSources writes the 10,000 identity policies of BenchmarkCompile.
func benchSources() [][]byte {
	srcs := make([][]byte, 10000)
	for i := range srcs {
		srcs[i] = []byte(identityPolicy(i))
	}
	return srcs
}

func parseAll(tb testing.TB, srcs [][]byte) []*Document {
	tb.Helper()
	docs := make([]*Document, len(srcs))
	for i, src := range srcs {
		d, err := Parse(src, ParseOptions{ID: "p", Type: IdentityPolicy})
		if err != nil {
			tb.Fatal(err)
		}
		docs[i] = d
	}
	return docs
}

// BenchmarkParse measures parsing the 10,000 policies of BenchmarkCompile
// alone, and reports the heap the parsed documents retain after a
// collection (a server keeps one Document per policy).
func BenchmarkParse(b *testing.B) {
	srcs := benchSources()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	docs := parseAll(b, srcs)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(docs)
	b.ReportAllocs()
	for b.Loop() {
		parseAll(b, srcs)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-retained")
}

// BenchmarkValidate measures validating the 10,000 parsed policies of
// BenchmarkCompile against the catalog with the managed-policy quota, as
// the server does on every write.
func BenchmarkValidate(b *testing.B) {
	cat := benchCatalog(b)
	docs := parseAll(b, benchSources())
	for _, d := range docs[:10] {
		if err := Validate(cat, d, ValidateOptions{Quota: QuotaManaged}).Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			_ = Validate(cat, d, ValidateOptions{Quota: QuotaManaged})
		}
	}
}
