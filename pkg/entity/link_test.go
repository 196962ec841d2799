package entity

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// TestLinkMatchesResolve links the examples without validation: the
// result is the one Resolve gives, without warnings.
func TestLinkMatchesResolve(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	want, err := loadExamples(t).Resolve(cat)
	require.NoError(t, err)
	got, err := loadExamples(t).Link(cat, nil)
	require.NoError(t, err)
	assert.Empty(t, resolvedDiff(got, want, false), "Link and Resolve differ")
	assert.Empty(t, got.Warnings(), "Link warnings")
}

// TestLinkDoesNotValidate: Link takes documents that parse, valid or not.
func TestLinkDoesNotValidate(t *testing.T) {
	t.Parallel()
	s := &Set{ManagedPolicies: []ManagedPolicy{{Name: "Typo", Document: json.RawMessage(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetCampaignz","Resource":"*"}]}`)}},
		Users: []User{{ARN: "arn:aws:iam::111122223333:user/alice", ManagedPolicies: []string{"Typo"}}}}
	_, err := s.Resolve(loadCatalog(t))
	require.Error(t, err, "Resolve accepted an unknown action")
	res, err := s.Link(loadCatalog(t), nil)
	require.NoError(t, err, "Link")
	pp, ok := res.Principal("arn:aws:iam::111122223333:user/alice")
	if assert.True(t, ok, "Principal not found") {
		assert.Len(t, pp.Identity, 1, "identity policies of the principal")
	}
}

func TestLinkErrors(t *testing.T) {
	t.Parallel()
	const alice = "arn:aws:iam::111122223333:user/alice"
	doc := json.RawMessage(readDoc)
	base := func() *Set {
		return &Set{
			Accounts:        []Account{{ID: "111122223333", SCPs: [][]string{{"Root"}}}},
			SCPs:            []SCP{{Name: "Root", Document: doc}},
			ManagedPolicies: []ManagedPolicy{{Name: "Read", Document: doc}},
			Groups:          []Group{{Name: "team", Account: "111122223333", ManagedPolicies: []string{"Read"}}},
			Users:           []User{{ARN: alice, Groups: []string{"team"}, ManagedPolicies: []string{"Read"}}},
		}
	}
	tests := []struct {
		name   string
		change func(s *Set)
		want   string
	}{
		{"unknown managed policy", func(s *Set) { s.Users[0].ManagedPolicies = []string{"Write"} }, `managed_policies[0]: unknown managed policy "Write"`},
		{"unknown boundary", func(s *Set) { s.Users[0].PermissionsBoundary = "Edge" }, `permissions_boundary: unknown managed policy "Edge"`},
		{"unknown group", func(s *Set) { s.Users[0].Groups = []string{"other"} }, `groups[0]: unknown group "other"`},
		{"unknown group policy", func(s *Set) { s.Groups[0].ManagedPolicies = []string{"Gone"} }, `unknown managed policy "Gone"`},
		{"unknown SCP", func(s *Set) { s.Accounts[0].SCPs = [][]string{{"Root"}, {"Guard"}} }, `scps[1][0]: unknown SCP "Guard"`},
		{"document that does not parse", func(s *Set) { s.ManagedPolicies[0].Document = json.RawMessage(`{"Statement": [`) }, "invalid JSON"},
		{"missing document", func(s *Set) { s.SCPs[0].Document = nil }, "missing policy document"},
		{"inline policy that does not parse", func(s *Set) {
			s.Users[0].InlinePolicies = map[string]json.RawMessage{"Mine": json.RawMessage(`{"Effect": 1}`)}
		}, `inline_policies["Mine"]`},
		{"resource policy that does not parse", func(s *Set) {
			s.Resources = []Resource{{ARN: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a", Policy: json.RawMessage(`[]`)}}
		}, `resource "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a": policy`},
		{"malformed user ARN", func(s *Set) { s.Users[0].ARN = "alice" }, "not an ARN"},
		{"duplicate user", func(s *Set) { s.Users = append(s.Users, s.Users[0]) }, "duplicate entity"},
		{"one name, two paths", func(s *Set) {
			u := s.Users[0]
			u.ARN = "arn:aws:iam::111122223333:user/other/alice"
			s.Users = append(s.Users, u)
		}, "duplicate user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := base()
			_, err := s.Link(nil, nil)
			require.NoError(t, err, "base set")
			tc.change(s)
			res, err := s.Link(nil, nil)
			require.Nil(t, res, "Link of a broken set")
			checkContains(t, problems(t, err), []string{tc.want})
		})
	}
}

// TestLinkerRecovers: a Link that fails keeps the changes, and links them
// once the model is fixed.
func TestLinkerRecovers(t *testing.T) {
	t.Parallel()
	const alice = "arn:aws:iam::111122223333:user/alice"
	l := NewLinker(nil)
	read := &ManagedPolicy{Name: "Read", Document: json.RawMessage(readDoc)}
	user := &User{ARN: alice, ManagedPolicies: []string{"Read"}, Groups: []string{"team"}}
	mustPut(t, l, read, user)
	_, err := l.Link()
	require.Error(t, err, "Link of a user in an unknown group succeeded")
	_, err = l.Link()
	require.Error(t, err, "Link again succeeded without a change")
	assert.ErrorIs(t, l.Put(user), ErrDuplicate, "Put of a user held")
	mustPut(t, l, &Group{Name: "team", Account: "111122223333"})
	res, err := l.Link()
	require.NoError(t, err, "Link after the group was added")
	pp, ok := res.Principal(alice)
	require.True(t, ok, "Principal not found")
	require.Len(t, pp.Identity, 1, "identity policies of the principal")
	l.Remove(read)
	_, err = l.Link()
	require.Error(t, err, "Link after the user's policy was removed succeeded")
	l.Remove(user)
	res2, err := l.Link()
	require.NoError(t, err, "Link after the user was removed too")
	_, ok = res2.Principal(alice)
	assert.False(t, ok, "the removed user is still linked")
	_, ok = res.Principal(alice)
	assert.True(t, ok, "a later Link changed an earlier Resolved")
}

func mustPut(tb testing.TB, l *Linker, es ...Entity) {
	tb.Helper()
	for _, e := range es {
		require.NoError(tb, l.Put(e))
	}
}

// TestLinkerIncremental changes a synthetic model at random, a few
// entities at a time, and checks after each Link that the incremental
// resolution is the one a full Link gives, to the document pointer, that
// the changes it reports cover every difference from the previous one,
// and that the cache stays bounded.
func TestLinkerIncremental(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	m := newSynthModel(r)
	cache := NewDocCache()
	l := NewLinker(cache)
	for _, e := range m.entities {
		mustPut(t, l, e)
	}
	prev, err := l.Link()
	require.NoError(t, err)
	for step := range 300 {
		changes := 1 + r.IntN(3)
		for range changes {
			m.mutate(r, l)
		}
		got, err := l.Link()
		require.NoError(t, err, "step %d: Link", step)
		want, err := m.set().Link(nil, cache)
		require.NoError(t, err, "step %d: full Link", step)
		require.Empty(t, resolvedDiff(got, want, true), "step %d (%s): incremental and full links differ", step, strings.Join(m.log, "; "))
		checkChanges(t, step, got, prev)
		require.LessOrEqual(t, cache.Len(), 2*l.kept+256, "step %d: documents in the cache, %d live", step, l.kept)
		prev = got
		m.log = m.log[:0]
	}
}

// checkChanges checks that ChangedPrincipals and ChangedResources report
// every principal and resource that differs between prev and got.
func checkChanges(t *testing.T, step int, got, prev *Resolved) {
	t.Helper()
	// A principal is a name in an account, whatever its path.
	key := func(arn string) principalRef {
		ref, _ := parsePrincipalRef(arn)
		return ref
	}
	principals := map[principalRef]bool{}
	for arn, pp := range got.ChangedPrincipals(prev) {
		principals[key(arn)] = true
		q, ok := got.Principal(arn)
		require.Equal(t, pp != nil, ok, "step %d: ChangedPrincipals yields %q with %p, Principal finds it", step, arn, pp)
		if ok {
			require.Same(t, pp, q, "step %d: ChangedPrincipals yields %q, Principal gives another", step, arn)
		}
	}
	all := append(got.Principals(), prev.Principals()...)
	for _, arn := range all {
		a, _ := got.Principal(arn)
		b, _ := prev.Principal(arn)
		if !samePolicies(a, b) {
			require.True(t, principals[key(arn)], "step %d: principal %q changed but was not reported: %+v -> %+v", step, arn, b, a)
		}
	}
	resources := map[string]bool{}
	for arn := range got.ChangedResources(prev) {
		resources[arn] = true
	}
	for _, arn := range append(got.Resources(), prev.Resources()...) {
		pa, ta, oka := got.ListedResource(arn)
		pb, tb, okb := prev.ListedResource(arn)
		if pa != pb || oka != okb || !maps.Equal(ta, tb) {
			require.True(t, resources[arn], "step %d: resource %q changed but was not reported", step, arn)
		}
	}
}

func samePolicies(a, b *PrincipalPolicies) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ARN == b.ARN && slices.Equal(a.Identity, b.Identity) && a.Boundary == b.Boundary && maps.Equal(a.Tags, b.Tags)
}

// resolvedDiff describes how got differs from want; with pointers, the
// documents must be the same pointers, otherwise the same IDs.
func resolvedDiff(got, want *Resolved, pointers bool) string {
	var b strings.Builder
	sameDoc := func(x, y *engine.Document) bool {
		if pointers || x == nil || y == nil {
			return x == y
		}
		return x.ID == y.ID && x.Type == y.Type
	}
	sameDocs := func(x, y []*engine.Document) bool { return slices.EqualFunc(x, y, sameDoc) }
	if g, w := got.Principals(), want.Principals(); !slices.Equal(g, w) {
		fmt.Fprintf(&b, "principals %q, want %q\n", g, w)
	}
	for _, arn := range want.Principals() {
		pw, _ := want.Principal(arn)
		pg, ok := got.Principal(arn)
		switch {
		case !ok:
			fmt.Fprintf(&b, "principal %q missing\n", arn)
		case pg.ARN != pw.ARN || pg.Kind != pw.Kind || pg.Account != pw.Account || !maps.Equal(pg.Tags, pw.Tags):
			fmt.Fprintf(&b, "principal %q: %+v, want %+v\n", arn, pg, pw)
		case !sameDocs(pg.Identity, pw.Identity) || !sameDoc(pg.Boundary, pw.Boundary):
			fmt.Fprintf(&b, "principal %q: documents %v %v, want %v %v\n", arn, docIDs(pg.Identity), pg.Boundary, docIDs(pw.Identity), pw.Boundary)
		}
	}
	if g, w := got.Resources(), want.Resources(); !slices.Equal(g, w) {
		fmt.Fprintf(&b, "resources %q, want %q\n", g, w)
	}
	for _, arn := range want.Resources() {
		dw, tw, _ := want.ListedResource(arn)
		dg, tg, _ := got.ListedResource(arn)
		ew, _, _ := want.Resource(arn + "/child")
		eg, _, _ := got.Resource(arn + "/child")
		if !sameDoc(dg, dw) || !maps.Equal(tg, tw) || !sameDoc(eg, ew) {
			fmt.Fprintf(&b, "resource %q: %v %v, want %v %v\n", arn, dg, tg, dw, tw)
		}
	}
	if g, w := got.Accounts(), want.Accounts(); !slices.Equal(g, w) {
		fmt.Fprintf(&b, "accounts %q, want %q\n", g, w)
	}
	for _, acct := range want.Accounts() {
		cw, _ := want.SCPChain(acct)
		cg, _ := got.SCPChain(acct)
		if !slices.EqualFunc(cg, cw, sameDocs) {
			fmt.Fprintf(&b, "account %s: SCP chain differs\n", acct)
		}
	}
	return b.String()
}

func docIDs(docs []*engine.Document) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = fmt.Sprintf("%s@%p", d.ID, d)
	}
	return out
}

// TestLinkerResources: a resource is found as soon as it is put (a second
// put of its ARN is a duplicate), one whose policy does not parse fails
// the Link and stays until removed, and EachResource lists what
// ListedResource finds.
func TestLinkerResources(t *testing.T) {
	t.Parallel()
	const app = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a"
	tags := map[string]string{"team": "growth"}
	l := NewLinker(nil)
	plain := &Resource{ARN: app + "/campaigns/c1", Tags: tags}
	same := &Resource{ARN: app + "/campaigns/c2", Tags: tags}
	broken := &Resource{ARN: app, Policy: json.RawMessage(`{"Statement":`)}
	mustPut(t, l, plain, same, broken)
	assert.ErrorIs(t, l.Put(&Resource{ARN: plain.ARN}), ErrDuplicate, "Put of a resource put before")
	_, err := l.Link()
	require.Error(t, err, "Link of a resource whose policy does not parse succeeded")
	assert.ErrorIs(t, l.Put(&Resource{ARN: app}), ErrDuplicate, "Put of a resource held after a failed Link")
	l.Remove(broken)
	fixed := &Resource{ARN: app, Policy: synthResourceDoc(1), Tags: map[string]string{"env": "prod"}}
	mustPut(t, l, fixed)
	res, err := l.Link()
	require.NoError(t, err, "Link after the policy was fixed")
	listed := map[string]bool{}
	res.EachResource(func(arn string, policy *engine.Document, tags map[string]string) bool {
		listed[arn] = true
		p, tg, ok := res.ListedResource(arn)
		if assert.True(t, ok, "%s: EachResource lists it, ListedResource does not", arn) {
			assert.Same(t, policy, p, "%s: policy of EachResource and of ListedResource", arn)
			// maps.Equal: no tags and an empty map alike.
			assert.True(t, maps.Equal(tg, tags), "%s: tags of EachResource %v, of ListedResource %v", arn, tags, tg)
		}
		return true
	})
	assert.Len(t, listed, 3, "resources EachResource lists")
	assert.Equal(t, 3, res.NumResources(), "NumResources")
	p, tg, _ := res.ListedResource(app)
	assert.NotNil(t, p, "policy of the fixed app")
	assert.Equal(t, "prod", tg["env"], "tags of the fixed app")
	_, tg, _ = res.ListedResource(plain.ARN)
	assert.Equal(t, "growth", tg["team"], "%s: tags", plain.ARN)
	l.Remove(same)
	res2, err := l.Link()
	require.NoError(t, err)
	_, _, ok := res2.ListedResource(same.ARN)
	assert.False(t, ok, "the removed resource is still listed")
	_, _, ok = res.ListedResource(same.ARN)
	assert.True(t, ok, "a later Link changed an earlier Resolved")
	var changed []string
	for arn := range res2.ChangedResources(res) {
		changed = append(changed, arn)
	}
	assert.Equal(t, []string{same.ARN}, changed, "ChangedResources, want only the removed one")
}

// TestLinkerHoldsResource: HoldsResource is true only for a resource with
// the ARN, policy text and tags of one held (tags compared by content),
// before and after a Link, and no longer once it is removed;
// NumResources and ResourceARNs count and list what is held.
func TestLinkerHoldsResource(t *testing.T) {
	t.Parallel()
	const app = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a"
	l := NewLinker(nil)
	plain := &Resource{ARN: app + "/campaigns/c1", Tags: map[string]string{"team": "growth"}}
	owned := &Resource{ARN: app, Policy: synthResourceDoc(1)}
	mustPut(t, l, plain, owned)
	check := func(when string) {
		t.Helper()
		for _, tc := range []struct {
			name string
			r    *Resource
			want bool
		}{
			{"the same", plain, true},
			{"equal tags in another map", &Resource{ARN: plain.ARN, Tags: map[string]string{"team": "growth"}}, true},
			{"other tags", &Resource{ARN: plain.ARN, Tags: map[string]string{"team": "search"}}, false},
			{"no tags", &Resource{ARN: plain.ARN}, false},
			{"a policy now", &Resource{ARN: plain.ARN, Policy: synthResourceDoc(1), Tags: plain.Tags}, false},
			{"the same policy", &Resource{ARN: app, Policy: slices.Clone(owned.Policy)}, true},
			{"another policy", &Resource{ARN: app, Policy: synthResourceDoc(2)}, false},
			{"no policy", &Resource{ARN: app, Policy: json.RawMessage("null")}, false},
			{"not held", &Resource{ARN: app + "/campaigns/c2", Tags: plain.Tags}, false},
		} {
			assert.Equal(t, tc.want, l.HoldsResource(tc.r), "%s: HoldsResource of %s", when, tc.name)
		}
		assert.Equal(t, 2, l.NumResources(), "%s: NumResources", when)
		assert.ElementsMatch(t, []string{app, plain.ARN}, slices.Collect(l.ResourceARNs()), "%s: ResourceARNs", when)
	}
	check("before Link")
	_, err := l.Link()
	require.NoError(t, err)
	check("after Link")
	l.Remove(owned)
	assert.False(t, l.HoldsResource(owned), "HoldsResource of a removed resource")
	assert.Equal(t, 1, l.NumResources(), "NumResources after a removal")
}

// TestResourceRoot: an ARN is cut at its second '/', or kept whole.
func TestResourceRoot(t *testing.T) {
	t.Parallel()
	const app = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a"
	tests := []struct{ arn, want string }{
		{app, app},
		{app + "/campaigns", app},
		{app + "/campaigns/c1", app},
		{"arn:aws:mobiletargeting:us-east-1:111122223333:reports", "arn:aws:mobiletargeting:us-east-1:111122223333:reports"},
		{"*", "*"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ResourceRoot(tc.arn), "ResourceRoot(%q)", tc.arn)
	}
}

// TestEachResourceUnder lists the resources under an app, under a
// prefix without a '/', and under a resource with nothing under it.
func TestEachResourceUnder(t *testing.T) {
	t.Parallel()
	const acct = "arn:aws:mobiletargeting:us-east-1:111122223333:"
	l := NewLinker(nil)
	for _, arn := range []string{"apps/a", "apps/a/campaigns/c1", "apps/a/segments/s1", "apps/ab/campaigns/c2", "apps/b", "reports"} {
		mustPut(t, l, &Resource{ARN: acct + arn})
	}
	res, err := l.Link()
	require.NoError(t, err)
	under := func(prefix string) []string {
		var out []string
		res.EachResourceUnder(acct+prefix, func(arn string, _ *engine.Document, _ map[string]string) bool {
			out = append(out, strings.TrimPrefix(arn, acct))
			return true
		})
		return out
	}
	assert.ElementsMatch(t, []string{"apps/a/campaigns/c1", "apps/a/segments/s1"}, under("apps/a"), "under apps/a")
	assert.ElementsMatch(t, []string{"apps/a/campaigns/c1"}, under("apps/a/campaigns"), "under apps/a/campaigns")
	assert.ElementsMatch(t, []string{"apps/a", "apps/a/campaigns/c1", "apps/a/segments/s1", "apps/ab/campaigns/c2", "apps/b"},
		under("apps"), "under apps")
	assert.Empty(t, under("apps/b"), "under apps/b")
}
