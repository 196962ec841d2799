package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// resourceTemplates are Resource forms with an app ID slot, covering
// wildcards and variables in every ARN field.
var resourceTemplates = []string{
	"arn:aws:mobiletargeting:us-east-1:111122223333:apps/%s/*",
	"arn:aws:mobiletargeting:*:111122223333:apps/%s/campaigns/*",
	"arn:*:mobiletargeting:us-east-1:111122223333:apps/%s/*",
	"arn:aws:*:*:*:apps/%s/segments/*",
	"arn:aws:mobiletargeting:us-east-?:111122223333:apps/%s",
	"arn:aws:mobiletargeting:us-east-1:111122223333:apps/*/campaigns/%s",
	"arn:aws:mobiletargeting:${aws:RequestedRegion}:111122223333:apps/%s/*",
	"arn:aws:mobiletargeting:*:*:apps/%s/campaigns/${aws:username}",
	"arn:aws:mobiletargeting:*:111122223333:apps/%s*",
	"*:apps/%s/*",
	"arn:aws:mobiletargeting:us-east-1:111122223333:apps/%s/campaigns/c1",
	"*",
}

// TestResourceIndexAgrees decides random requests against large random
// sets with Evaluate, which finds statements through the resource index,
// and with EvaluateExplain, which scans every statement of the action: the
// decisions must be the same.
func TestResourceIndexAgrees(t *testing.T) {
	t.Parallel()
	cat := benchCatalog(t)
	seed := uint64(1)
	next := func(n int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int(seed>>33) % n
	}
	apps := []string{"a1", "a2", "b3", "c4", "abc123", "campaigns", "us-east-1"}
	actions := []string{`"Action":"mobiletargeting:GetCampaign"`, `"Action":"mobiletargeting:Get*"`, `"Action":"*"`,
		`"NotAction":"mobiletargeting:Delete*"`, `"Action":"mobiletargeting:DeleteCampaign"`}
	for round := range 20 {
		var docs []string
		for i := range 40 + next(80) {
			effect := "Allow"
			if next(6) == 0 {
				effect = "Deny"
			}
			elem := "Resource"
			if next(8) == 0 {
				elem = "NotResource"
			}
			var res []string
			for range 1 + next(2) {
				res = append(res, fmt.Sprintf("%q", strings.ReplaceAll(resourceTemplates[next(len(resourceTemplates))], "%s", apps[next(len(apps))])))
			}
			cond := ""
			if next(3) == 0 {
				cond = `,"Condition":{"StringEquals":{"aws:ResourceTag/team":"growth"}}`
			}
			docs = append(docs, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"S%d","Effect":%q,%s,%q:[%s]%s}]}`,
				i, effect, actions[next(len(actions))], elem, strings.Join(res, ","), cond))
		}
		for _, typ := range []PolicyType{IdentityPolicy, ResourcePolicy} {
			srcs := docs
			if typ == ResourcePolicy {
				srcs = nil
				for _, d := range docs {
					srcs = append(srcs, strings.Replace(d, `"Effect"`, `"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Effect"`, 1))
				}
			}
			ps := mustCompile(t, cat, typ, srcs...)
			require.NotNil(t, ps.res, "a set of %d statements has a resource index", ps.Len())
			p := &Policies{Identity: ps}
			if typ == ResourcePolicy {
				p = &Policies{Resource: ps}
			}
			for j := range 200 {
				ctx := NewContext(4)
				ctx.Set("aws:RequestedRegion", []string{"us-east-1", "eu-west-1"}[next(2)])
				ctx.Set("aws:username", []string{"c1", "alice"}[next(2)])
				if next(2) == 0 {
					ctx.Set("aws:ResourceTag/team", "growth")
				}
				region := []string{"us-east-1", "us-east-2", "eu-west-1"}[next(3)]
				kind := []string{"campaigns", "segments", "journeys"}[next(3)]
				resource := fmt.Sprintf("arn:aws:mobiletargeting:%s:111122223333:apps/%s/%s/%s", region, apps[next(len(apps))], kind,
					[]string{"c1", "alice", "x", apps[next(len(apps))]}[next(4)])
				if next(10) == 0 {
					resource = fmt.Sprintf("arn:aws:mobiletargeting:%s:111122223333:apps/%s", region, apps[next(len(apps))])
				}
				r := &Request{Principal: "arn:aws:iam::111122223333:user/alice",
					Action:   []string{"mobiletargeting:GetCampaign", "mobiletargeting:DeleteCampaign", "mobiletargeting:GetSegment"}[next(3)],
					Resource: resource, Context: ctx}
				got := Evaluate(p, r)
				want, _ := EvaluateExplain(p, r)
				require.Equal(t, want, got, "round %d %s request %d: %s %s", round, typ, j, r.Action, r.Resource)
			}
		}
	}
}

// FuzzResourceIndex decides a request against a set large enough to be
// indexed, holding a fuzzed Resource pattern among others, with and
// without the index.
func FuzzResourceIndex(f *testing.F) {
	f.Add("arn:aws:mobiletargeting:*:111122223333:apps/abc/*", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc/x", false, false)
	f.Add("arn:*:mobiletargeting:us-east-1:*:apps/abc/campaigns/${aws:username}", "arn:aws:mobiletargeting:us-east-1:1:apps/abc/campaigns/alice", true, false)
	f.Add("arn:aws:mobiletargeting:us-east-1:111122223333:apps/a?c:x/*", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc:x/y", false, true)
	cat := benchCatalog(f)
	f.Fuzz(func(t *testing.T, pattern, resource string, deny, notResource bool) {
		effect, elem := "Allow", "Resource"
		if deny {
			effect = "Deny"
		}
		if notResource {
			elem = "NotResource"
		}
		pj, err := json.Marshal(pattern)
		if err != nil {
			return
		}
		docs := []string{fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":%q,"Action":"mobiletargeting:GetCampaign",%q:%s}]}`, effect, elem, string(pj))}
		for i := range resourceIndexMin {
			docs = append(docs, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetCampaign",
				"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/f%d/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, i))
		}
		var parsed []*Document
		for _, src := range docs {
			d, err := Parse([]byte(src), ParseOptions{ID: "p", Type: IdentityPolicy})
			if err != nil {
				return
			}
			parsed = append(parsed, d)
		}
		ps, err := Compile(cat, parsed...)
		if err != nil {
			return
		}
		ctx := NewContext(2)
		ctx.Set("aws:username", "alice")
		r := &Request{Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetCampaign", Resource: resource, Context: ctx}
		p := &Policies{Identity: ps}
		got := Evaluate(p, r)
		want, _ := EvaluateExplain(p, r)
		require.Equal(t, want, got, "%s %q on %q: indexed decision, want the scanned one", elem, pattern, resource)
	})
}
