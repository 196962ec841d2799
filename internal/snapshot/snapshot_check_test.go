package snapshot

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/shardmap"
)

// checkSnapshot checks the current snapshot of f against one compiled
// from scratch from m (after validating m), and against prev: every
// entry but the touched ones is prev's own, and only shards holding a
// touched one were copied.
func checkSnapshot(t *testing.T, f *Follower, cat *catalog.Catalog, m Model, prev *Snapshot, principals, resources []string) {
	t.Helper()
	cur := f.Current()
	set := decodeModel(t, m)
	res, err := set.Resolve(cat)
	require.NoError(t, err, "the model is not valid")
	full, err := Compile(cat, res, cur.revision, nil)
	require.NoError(t, err)
	compareSnapshots(t, cur, full)
	compareDecisions(t, cur, full, set, principals, resources)
	if prev == nil {
		return
	}
	checkShared(t, "principal", &cur.principals, &prev.principals, principals)
	checkResourcesKept(t, cur, prev, resources)
	checkSetsKept(t, cur, prev)
}

// checkResourcesKept checks that every resource prev lists but the
// touched ones has its entry of prev in cur, the same pointer, and that
// the touched ones do not; and that the governors of the resources whose
// own policy and tags did not change are prev's own.
func checkResourcesKept(t *testing.T, cur, prev *Snapshot, touched []string) {
	t.Helper()
	changed := map[string]bool{}
	for _, k := range touched {
		changed[k] = true
	}
	prev.resolved.EachResource(func(k string, _ *engine.Document, _ map[string]string) bool {
		pe, _ := prev.Resource(k)
		ce, listed := cur.Resource(k)
		switch {
		case !changed[k]:
			assert.True(t, ce == pe, "resource %s: untouched, but its entry was replaced", k)
		case listed:
			assert.False(t, ce == pe, "resource %s: touched, but its entry was kept", k)
		default:
			_, _, found := cur.resolved.ListedResource(k)
			assert.False(t, found, "resource %s: removed, but listed", k)
		}
		return true
	})
	prev.governors.byARN.All(func(k string, pg *governor) bool {
		if changed[k] {
			return true
		}
		cg, ok := cur.governors.byARN.Get(k)
		if assert.True(t, ok, "resource %s: untouched, but its governor is gone", k) {
			assert.Same(t, pg.own, cg.own, "resource %s: untouched, but its own entry was replaced", k)
		}
		return true
	})
}

// checkSetsKept checks that a policy set compiled from the same documents
// as one of prev is prev's own.
func checkSetsKept(t *testing.T, cur, prev *Snapshot) {
	t.Helper()
	cur.principals.All(func(k string, e *Principal) bool {
		p, ok := prev.principals.Get(k)
		if !ok {
			return true
		}
		if sameDocs(e.identityDocs, p.identityDocs) {
			assert.Same(t, p.identity, e.identity, "principal %s: identity policies compiled again from the same documents", k)
		}
		if e.boundaryDoc == p.boundaryDoc {
			assert.Same(t, p.boundary, e.boundary, "principal %s: boundary compiled again from the same document", k)
		}
		return true
	})
	cur.governors.byARN.All(func(k string, g *governor) bool {
		if p, ok := prev.governors.byARN.Get(k); ok && g.own.doc == p.own.doc {
			assert.Same(t, p.own.own, g.own.own, "resource %s: policy compiled again from the same document", k)
		}
		return true
	})
	for account, docs := range cur.scpDocs {
		for i, level := range docs {
			if old := prev.scpDocs[account]; i < len(old) && sameDocs(old[i], level) {
				assert.Same(t, prev.scps[account][i], cur.scps[account][i], "account %s: SCP level %d compiled again from the same documents", account, i)
			}
		}
	}
}

// checkShared checks that every entry of prev but the touched ones is in
// cur, the same pointer, that touched ones are not, and that the shards
// without a touched key are prev's own.
func checkShared[V comparable](t *testing.T, what string, cur, prev *shardmap.Map[string, V], touched []string) {
	t.Helper()
	changed := map[string]bool{}
	shards := map[int]bool{}
	for _, k := range touched {
		changed[k] = true
		shards[prev.ShardOf(k)] = true
	}
	var zero V
	prev.All(func(k string, pe V) bool {
		ce, ok := cur.Get(k)
		switch {
		case !changed[k]:
			assert.True(t, ce == pe, "%s %s: untouched, but its entry was replaced", what, k)
		case ok:
			assert.False(t, ce == pe, "%s %s: touched, but its entry was kept", what, k)
		default:
			assert.True(t, ce == zero, "%s %s: removed, but found", what, k)
		}
		return true
	})
	require.Equal(t, prev.NumShards(), cur.NumShards(), "%s: shards", what)
	for i := range cur.NumShards() {
		if !shards[i] {
			assert.True(t, cur.SharesShard(prev, i), "%s shard %d was copied, but holds no touched entry", what, i)
		}
	}
}

// compareSnapshots checks that got holds the entries of want: the same
// principals, resources and SCP chains, with the same policies and tags.
func compareSnapshots(t *testing.T, got, want *Snapshot) {
	t.Helper()
	ids := func(ps *engine.PolicySet) []string {
		if ps == nil {
			return nil
		}
		return ps.Policies()
	}
	assert.Equal(t, want.principals.Len(), got.principals.Len(), "principals")
	assert.Equal(t, want.resolved.NumResources(), got.resolved.NumResources(), "resources")
	assert.Equal(t, want.governors.byARN.Len(), got.governors.byARN.Len(), "resources with a policy of their own")
	// Policy lists are compared with slices.Equal, for which no policies
	// and an empty list are the same; the diff is printed when they differ.
	want.principals.All(func(k string, w *Principal) bool {
		g, ok := got.principals.Get(k)
		if !assert.True(t, ok, "principal %s missing", k) {
			return true
		}
		assert.Equal(t, []any{w.arn, w.kind, w.account, w.name, w.tags}, []any{g.arn, g.kind, g.account, g.name, g.tags},
			"principal %s: ARN, kind, account, name and tags", k)
		if !slices.Equal(ids(g.identity), ids(w.identity)) || !slices.Equal(ids(g.boundary), ids(w.boundary)) {
			assert.Equal(t, [][]string{ids(w.identity), ids(w.boundary)}, [][]string{ids(g.identity), ids(g.boundary)},
				"principal %s: identity and boundary policies", k)
		}
		return true
	})
	want.resolved.EachResource(func(k string, _ *engine.Document, _ map[string]string) bool {
		w, _ := want.Resource(k)
		g, ok := got.Resource(k)
		if !assert.True(t, ok, "resource %s missing", k) {
			return true
		}
		if !slices.Equal(ids(g.policy), ids(w.policy)) {
			assert.Equal(t, ids(w.policy), ids(g.policy), "resource %s: policies", k)
		}
		assert.Equal(t, w.tags, g.tags, "resource %s: tags", k)
		assert.Equal(t, g.policy == nil, g.passed == nil, "resource %s: whether it has a policy and whether it is passed", k)
		return true
	})
	assert.Equal(t, len(want.scps), len(got.scps), "SCP chains")
	chainIDs := func(chain []*engine.PolicySet) [][]string {
		out := make([][]string, len(chain))
		for i, ps := range chain {
			out[i] = ids(ps)
		}
		return out
	}
	for account, w := range want.scps {
		g := got.scps[account]
		if !slices.EqualFunc(g, w, func(a, b *engine.PolicySet) bool { return slices.Equal(ids(a), ids(b)) }) {
			assert.Equal(t, chainIDs(w), chainIDs(g), "account %s: SCP chain", account)
		}
	}
}

// compareDecisions decides a sample of requests, and every touched
// principal and resource, on both snapshots: decisions and explanations
// must be the same.
func compareDecisions(t *testing.T, got, want *Snapshot, set *entity.Set, principals, resources []string) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(got.revision), 9))
	var callers []string
	for _, u := range set.Users {
		callers = append(callers, u.ARN)
	}
	for _, ro := range set.Roles {
		f := strings.Split(ro.ARN, ":")
		callers = append(callers, "arn:aws:sts::"+f[4]+":assumed-role/"+ro.ARN[strings.LastIndexByte(ro.ARN, '/')+1:]+"/session")
	}
	sample := func(list []string, n int) []string {
		out := make([]string, 0, n)
		for range n {
			out = append(out, list[r.IntN(len(list))])
		}
		return out
	}
	var listed []string
	for _, res := range set.Resources {
		listed = append(listed, res.ARN)
	}
	who := sample(callers, 120)
	for _, k := range principals[:min(len(principals), 30)] {
		if e, ok := got.principals.Get(k); ok {
			who = append(who, e.arn)
		}
	}
	what := append(sample(listed, 60), resources...)
	for _, arn := range what[:20] {
		what = append(what, arn+"/campaigns/unlisted")
	}
	actions := []string{"mobiletargeting:GetCampaign", "mobiletargeting:UpdateCampaign", "mobiletargeting:DeleteCampaign",
		"mobiletargeting:GetSegment", "mobiletargeting:CreateJourney", "mobiletargeting:DeleteApp", "mobiletargeting:CreateCampaign"}
	n := 0
	for _, p := range who {
		for range 3 {
			req := engine.Request{Principal: p, Action: actions[r.IntN(len(actions))], Resource: what[r.IntN(len(what))]}
			gd, gx, gerr := decideOn(got, req)
			wd, wx, werr := decideOn(want, req)
			assert.Equal(t, []any{wd, wx, fmt.Sprint(werr)}, []any{gd, gx, fmt.Sprint(gerr)},
				"%s %s on %s: decision, explanation and error", p, req.Action, req.Resource)
			n++
		}
	}
	assert.GreaterOrEqual(t, n, 300, "decisions compared")
}

// decideOn decides req on snap with the policies and tags the snapshot
// holds for its principal and resource, and a fixed request context.
func decideOn(snap *Snapshot, req engine.Request) (engine.Decision, *engine.Explanation, error) {
	pa, err := engine.ParsePrincipalARN(req.Principal)
	if err != nil {
		return 0, nil, err
	}
	c := engine.NewContext(8)
	c.Set("aws:RequestedRegion", "us-east-1")
	c.Set("aws:SecureTransport", "true")
	var p engine.Policies
	if e, ok := snap.Principal(pa); ok {
		p.Identity, p.Boundary = e.Identity(), e.Boundary()
		c.Set("aws:PrincipalArn", e.ARN())
		for k, v := range e.Tags() {
			c.Set("aws:PrincipalTag/"+k, v)
		}
	}
	p.SCPs = snap.SCPs(pa.Account)
	if e, known := snap.Resource(req.Resource); e != nil {
		p.Resource = e.Policy()
		if known {
			for k, v := range e.Tags() {
				c.Set("aws:ResourceTag/"+k, v)
			}
		}
	}
	req.Context = c
	d, ex := engine.EvaluateExplain(&p, &req)
	return d, ex, nil
}
