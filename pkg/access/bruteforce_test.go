package access

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/stretchr/testify/require"
)

// oracle decides questions by calling the engine on concrete requests,
// from the resolved model directly: every combination of values of the
// open keys the governing documents test.
type oracle struct {
	t    testing.TB
	cat  *catalog.Catalog
	res  *entity.Resolved
	sets map[string]*engine.PolicySet // by principal ARN, "boundary:"+ARN, "scp:"+account+level
}

func newOracle(t testing.TB, cat *catalog.Catalog, res *entity.Resolved) *oracle {
	return &oracle{t: t, cat: cat, res: res, sets: map[string]*engine.PolicySet{}}
}

func (o *oracle) set(key string, docs []*engine.Document) *engine.PolicySet {
	if ps, ok := o.sets[key]; ok {
		return ps
	}
	ps, err := engine.Compile(o.cat, docs...)
	require.NoError(o.t, err)
	o.sets[key] = ps
	return ps
}

// covers reports whether a statement's Action or NotAction covers action.
func (o *oracle) covers(st *engine.Statement, action string) bool {
	list, not := st.Actions()
	for _, pat := range list {
		for _, a := range o.cat.ActionsMatching(pat.Value) {
			if strings.EqualFold(a.FullName, action) {
				return !not
			}
		}
	}
	return not
}

// outcomes is what the engine said over every enumerated request.
type outcomes struct{ allow, explicit, implicit int }

func (o *oracle) decide(principal, action, resource string, fixed Context) outcomes {
	pp, ok := o.res.Principal(principal)
	require.True(o.t, ok)
	var docs []*engine.Document
	p := engine.Policies{Identity: o.set(principal, pp.Identity)}
	docs = append(docs, pp.Identity...)
	if pp.Boundary != nil {
		p.Boundary = o.set("boundary:"+principal, []*engine.Document{pp.Boundary})
		docs = append(docs, pp.Boundary)
	}
	chain, _ := o.res.SCPChain(pp.Account)
	for i, level := range chain {
		p.SCPs = append(p.SCPs, o.set(fmt.Sprintf("scp:%s:%d", pp.Account, i), level))
		docs = append(docs, level...)
	}
	policy, _, _ := o.res.Resource(resource)
	_, tags, listed := o.res.ListedResource(resource)
	if policy != nil {
		p.Resource = o.set("resource:"+policy.ID, []*engine.Document{policy})
		docs = append(docs, policy)
	}
	// The open keys the documents test.
	var keys []string
	for _, d := range docs {
		for _, st := range d.Statements {
			if !o.covers(st, action) {
				continue
			}
			for _, c := range st.Conditions {
				k := c.Key
				if _, open := genOpen[k]; !open || slices.Contains(keys, k) || (listed && strings.HasPrefix(k, "aws:ResourceTag/")) {
					continue
				}
				if _, isFixed := fixed[k]; isFixed {
					continue
				}
				keys = append(keys, k)
			}
		}
	}
	base := engine.NewContext(16)
	for k, v := range fixed {
		if v.Multi {
			base.SetMulti(k, v.Values)
		} else {
			base.Set(k, v.Values[0])
		}
	}
	base.Set("aws:PrincipalArn", pp.ARN)
	base.Set("aws:PrincipalAccount", pp.Account)
	if pp.Kind == entity.KindUser {
		base.Set("aws:PrincipalType", "User")
		base.Set("aws:username", pp.ARN[strings.LastIndexByte(pp.ARN, '/')+1:])
	} else {
		base.Set("aws:PrincipalType", "AssumedRole")
	}
	for k, v := range pp.Tags {
		base.Set("aws:PrincipalTag/"+k, v)
	}
	for k, v := range tags {
		base.Set("aws:ResourceTag/"+k, v)
	}
	var out outcomes
	idx := make([]int, len(keys))
	for {
		for i, k := range keys {
			v := genOpen[k][idx[i]]
			switch {
			case v == nil:
				base.Delete(k)
			case v.Multi:
				base.SetMulti(k, v.Values)
			default:
				base.Set(k, v.Values[0])
			}
		}
		switch engine.Evaluate(&p, &engine.Request{Principal: pp.ARN, Action: action, Resource: resource, Context: base}) {
		case engine.Allow:
			out.allow++
		case engine.ExplicitDeny:
			out.explicit++
		default:
			out.implicit++
		}
		i := 0
		for ; i < len(idx); i++ {
			idx[i]++
			if idx[i] < len(genOpen[keys[i]]) {
				break
			}
			idx[i] = 0
		}
		if i == len(idx) {
			return out
		}
	}
}

// agree checks an answer against the oracle's outcomes.
func agree(t testing.TB, what string, a Answer, o outcomes) {
	t.Helper()
	switch a.Verdict {
	case Allowed:
		require.Zerof(t, o.explicit+o.implicit, "%s: ALLOWED but the engine denies %d requests", what, o.explicit+o.implicit)
	case ExplicitDeny:
		require.Zerof(t, o.allow+o.implicit, "%s: EXPLICIT_DENY but %+v", what, o)
	case ImplicitDeny:
		require.Zerof(t, o.allow, "%s: IMPLICIT_DENY but the engine allows %d requests", what, o.allow)
	case Conditional:
		require.Truef(t, o.allow > 0 && o.explicit+o.implicit > 0, "%s: CONDITIONAL but %+v", what, o)
		require.NotEmptyf(t, a.Conditions, "%s: CONDITIONAL without conditions", what)
	}
}

// randomFixed fixes a few open keys, or none.
func randomFixed(r *rand.Rand) Context {
	c := Context{}
	keys := []string{"aws:SourceIp", "aws:MultiFactorAuthPresent", "aws:CurrentTime", "aws:RequestTag/env", "aws:TagKeys", "aws:RequestedRegion"}
	for range r.IntN(3) {
		k := pickOne(r, keys)
		if v := pickOne(r, genOpen[k][1:]); v != nil {
			c[k] = *v
		}
	}
	return c
}

// checkPerList is about how many entries of each long list the oracle
// checks, chosen at random.
const checkPerList = 60

// bruteForce asks n random questions of a model and checks every answer
// against the oracle.
func bruteForce(t *testing.T, cat *catalog.Catalog, s *entity.Set, n int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	res, m := resolve(t, cat, s, entity.NewDocCache(), 1)
	o := newOracle(t, cat, res)
	principals := res.Principals()
	resources := res.Resources()
	// Resources the model does not list: under a listed app, and of a
	// type with none listed.
	unlisted := []string{
		"arn:aws:mobiletargeting:us-east-1:111100000001:apps/a1/campaigns/unlisted",
		"arn:aws:mobiletargeting:us-east-1:111100000002:apps/a0/segments/unlisted",
		"arn:aws:mobiletargeting:us-east-1:111100000001:apps/zz",
	}
	actions := append(slices.Clone(genActions), "mobiletargeting:CreateJourney", "mobiletargeting:DeleteCampaign", "mobiletargeting:CreateSegment")
	counts := map[Verdict]int{}
	for q := range n {
		fixed := randomFixed(r)
		switch q % 3 {
		case 0:
			action := pickOne(r, actions)
			resource := pickOne(r, resources)
			if r.IntN(5) == 0 {
				resource = pickOne(r, unlisted)
			}
			list, _, err := m.WhoCan(action, resource, Options{Context: fixed, IncludeDenied: true})
			require.NoError(t, err)
			require.Len(t, list, len(principals))
			for i, pa := range list {
				require.Equal(t, principals[i], pa.Principal.ARN)
				if r.IntN(len(list)) >= checkPerList {
					continue
				}
				agree(t, fmt.Sprintf("WhoCan %s %s %s %v", pa.Principal.ARN, action, resource, fixed), pa.Answer,
					o.decide(pa.Principal.ARN, action, resource, fixed))
				counts[pa.Verdict]++
			}
		case 1:
			p := pickOne(r, principals)
			resource := pickOne(r, resources)
			list, err := m.WhatCan(p, resource, Options{Context: fixed, IncludeDenied: true})
			require.NoError(t, err)
			require.NotEmpty(t, list)
			for _, aa := range list {
				agree(t, fmt.Sprintf("WhatCan %s %s %s %v", p, aa.Action, resource, fixed), aa.Answer, o.decide(p, aa.Action, resource, fixed))
				counts[aa.Verdict]++
			}
		default:
			p := pickOne(r, principals)
			action := pickOne(r, actions)
			out, err := m.WhichResources(p, action, Options{Context: fixed, IncludeDenied: true})
			require.NoError(t, err)
			a, _ := cat.Action(action)
			for _, ra := range out.Listed {
				_, ok := a.ResourceFor(ra.Resource)
				require.True(t, ok, ra.Resource)
				if r.IntN(len(out.Listed)) >= checkPerList {
					continue
				}
				agree(t, fmt.Sprintf("WhichResources %s %s %s %v", p, action, ra.Resource, fixed), ra.Answer, o.decide(p, action, ra.Resource, fixed))
				counts[ra.Verdict]++
			}
		}
	}
	t.Logf("%d questions, answers by verdict: %v", n, counts)
	for _, v := range []Verdict{Allowed, ImplicitDeny, Conditional} {
		require.Positivef(t, counts[v], "no %s answer: the model exercises too little", v)
	}
}

func TestBruteForceGenerated(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	s := genSet(rand.New(rand.NewPCG(11, 12)), genSize{accounts: 3, managed: 30, users: 300, roles: 250, apps: 8, children: 90})
	require.GreaterOrEqual(t, len(s.Users)+len(s.Roles), 500)
	require.GreaterOrEqual(t, len(s.Resources), 2000)
	bruteForce(t, cat, s, 1000, 1)
}

func TestBruteForceExamples(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	s, err := entity.LoadDir(os.DirFS("../../examples/model"), ".")
	require.NoError(t, err)
	bruteForce(t, cat, s, 300, 2)
}
