package server

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// modelOf writes a Set as store documents.
func modelOf(tb testing.TB, set *entity.Set) model {
	tb.Helper()
	changes, err := setValues(set)
	if err != nil {
		tb.Fatal(err)
	}
	m := make(model, len(changes))
	for _, c := range changes {
		m[c.Key] = c.Value
	}
	return m
}

// put returns the change that replaces the entity at k with what edit
// makes of it.
func put[E any](tb testing.TB, m model, k store.Key, edit func(*E)) store.Change {
	tb.Helper()
	e, err := decodeOne(k, m[k])
	if err != nil {
		tb.Fatalf("%s: %v", k, err)
	}
	typed, ok := any(e).(*E)
	if !ok {
		tb.Fatalf("%s is a %T", k, e)
	}
	edit(typed)
	return putEntity(tb, k, typed)
}

func putEntity(tb testing.TB, k store.Key, e any) store.Change {
	tb.Helper()
	doc, err := json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	return store.Change{Op: store.OpPut, Key: k, Value: doc}
}

// snapshotStep is one change to the model, with what it must touch.
type snapshotStep struct {
	name    string
	changes func(tb testing.TB, m model, set *entity.Set) []store.Change
	// principals and resources the change touches, by snapshot key and
	// ARN; every other entry must be the previous snapshot's own.
	touched func(set *entity.Set) (principals, resources []string)
	wantErr bool
}

// TestSnapshotIncremental follows a synthetic model through a series of
// changes as the follower does, and checks after each that the snapshot
// decides as one compiled from scratch, that the entries the change does
// not touch are the previous snapshot's own (pointer-identical), and that
// the shards without a change are shared.
func TestSnapshotIncremental(t *testing.T) {
	cat := loadTestCatalog(t)
	set := genModel(genSmall)
	m := modelOf(t, set)
	s := New(Config{Clock: func() time.Time { return fixedTestTime }}, cat, nil)
	if err := s.activateModel(t.Context(), m, nil, 1); err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, s, cat, m, nil, nil, nil)
	for i, step := range snapshotSteps(set) {
		t.Run(step.name, func(t *testing.T) {
			prev := s.Current()
			set := decodeModel(t, m)
			changes := step.changes(t, m, set)
			for _, c := range changes {
				if c.Op == store.OpDelete {
					delete(m, c.Key)
				} else {
					m[c.Key] = c.Value
				}
			}
			rev := int64(i + 2)
			if step.name == "reload" {
				changes = nil
			}
			err := s.activateModel(t.Context(), m, changes, rev)
			if step.wantErr {
				if err == nil || s.Current() != prev {
					t.Fatalf("activateModel = %v, snapshot replaced: want an error and the previous snapshot", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var principals, resources []string
			if step.touched != nil {
				principals, resources = step.touched(decodeModel(t, m))
			}
			checkSnapshot(t, s, cat, m, prev, principals, resources)
		})
	}
}

// fixedTestTime is the clock of TestSnapshotIncremental.
var fixedTestTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func loadTestCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

func decodeModel(tb testing.TB, m model) *entity.Set {
	tb.Helper()
	set, err := m.set()
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// snapshotSteps are the changes TestSnapshotIncremental makes to set, the
// model of genSmall.
func snapshotSteps(set *entity.Set) []snapshotStep {
	const (
		policy   = "Policy030"
		boundary = "Boundary1"
	)
	managedKey := func(name string) store.Key { return store.Key{Kind: store.KindManagedPolicy, ID: name} }
	user, removed := set.Users[2].ARN, set.Users[5].ARN
	role := set.Roles[3].ARN
	app := genApp(genAccount(0), 0) // has a resource policy
	plain := genApp(genAccount(1), 0)
	newCampaign := app + "/campaigns/new"
	return []snapshotStep{
		{
			name: "managed policy",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, managedKey(policy), func(p *entity.ManagedPolicy) {
					p.Document = extraStatement(p.Document, `{"Sid":"NoDeletes","Effect":"Deny","Action":"mobiletargeting:Delete*","Resource":"*"}`)
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return attaching(set, policy), nil },
		},
		{
			name: "permissions boundary",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, managedKey(boundary), func(p *entity.ManagedPolicy) {
					p.Document = extraStatement(p.Document, `{"Sid":"NoCreates","Effect":"Deny","Action":"mobiletargeting:Create*","Resource":"*"}`)
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return attaching(set, boundary), nil },
		},
		{
			name: "one user",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindUser, ID: user}, func(u *entity.User) {
					u.ManagedPolicies = []string{"Policy007", "Policy008"}
					u.Tags = map[string]string{"team": "search"}
				})}
			},
			touched: func(*entity.Set) ([]string, []string) { return []string{snapshotKey(user)}, nil },
		},
		{
			name: "one role's tags",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindRole, ID: role}, func(r *entity.Role) {
					r.Tags = map[string]string{"team": "payments"}
				})}
			},
			touched: func(*entity.Set) ([]string, []string) { return []string{snapshotKey(role)}, nil },
		},
		{
			name: "new resource under an app with a policy",
			changes: func(tb testing.TB, _ model, _ *entity.Set) []store.Change {
				return []store.Change{putEntity(tb, store.Key{Kind: store.KindResource, ID: newCampaign},
					&entity.Resource{ARN: newCampaign, Tags: map[string]string{"team": "growth", "env": "prod"}})}
			},
			touched: func(*entity.Set) ([]string, []string) { return nil, []string{newCampaign} },
		},
		{
			name: "an app's resource policy",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindResource, ID: app}, func(r *entity.Resource) {
					r.Policy = extraStatement(r.Policy, `{"Sid":"Reads","Effect":"Allow","Principal":{"AWS":"`+genAccount(5)+
						`"},"Action":"mobiletargeting:GetSegment","Resource":"*"}`)
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return nil, listedUnder(set, app) },
		},
		{
			name: "an app's policy removed",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindResource, ID: app}, func(r *entity.Resource) { r.Policy = nil })}
			},
			touched: func(set *entity.Set) ([]string, []string) { return nil, listedUnder(set, app) },
		},
		{
			name: "a policy on an app without one",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindResource, ID: plain}, func(r *entity.Resource) {
					r.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` +
						genAccount(7) + `"},"Action":"mobiletargeting:GetCampaign","Resource":"*"}]}`)
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return nil, listedUnder(set, plain) },
		},
		{
			name: "a listed campaign removed",
			changes: func(_ testing.TB, _ model, _ *entity.Set) []store.Change {
				return []store.Change{{Op: store.OpDelete, Key: store.Key{Kind: store.KindResource, ID: plain + "/campaigns/c0"}}}
			},
			touched: func(*entity.Set) ([]string, []string) { return nil, []string{plain + "/campaigns/c0"} },
		},
		{
			name: "group",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindGroup, ID: genAccount(4) + "/group1"}, func(g *entity.Group) {
					g.ManagedPolicies = append(g.ManagedPolicies, "Policy009")
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return groupMembers(set, genAccount(4), "group1"), nil },
		},
		{
			name: "SCP",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindSCP, ID: "Guardrails3"}, func(p *entity.SCP) {
					p.Document = extraStatement(p.Document, `{"Sid":"NoJourneys","Effect":"Deny","Action":"mobiletargeting:CreateJourney","Resource":"*"}`)
				})}
			},
		},
		{
			name: "user removed and role moved to another path",
			changes: func(tb testing.TB, m model, set *entity.Set) []store.Change {
				moved := strings.Replace(role, "/service/", "/moved/", 1)
				out := []store.Change{
					{Op: store.OpDelete, Key: store.Key{Kind: store.KindUser, ID: removed}},
					{Op: store.OpDelete, Key: store.Key{Kind: store.KindRole, ID: role}},
				}
				return append(out, rekey(put(tb, m, store.Key{Kind: store.KindRole, ID: role}, func(r *entity.Role) { r.ARN = moved }), moved))
			},
			touched: func(*entity.Set) ([]string, []string) { return []string{snapshotKey(removed), snapshotKey(role)}, nil },
		},
		{
			name:    "reload",
			changes: func(testing.TB, model, *entity.Set) []store.Change { return nil },
			touched: func(*entity.Set) ([]string, []string) { return nil, nil },
		},
		{
			name: "document that does not parse",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, managedKey("Policy010"), func(p *entity.ManagedPolicy) {
					p.Document = json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}`)
				})}
			},
			wantErr: true,
		},
		{
			name: "fixed again",
			changes: func(tb testing.TB, m model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, managedKey("Policy010"), func(p *entity.ManagedPolicy) {
					p.Document = json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*"}}`)
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return attaching(set, "Policy010"), nil },
		},
	}
}

// rekey moves a put to the key of a renamed entity.
func rekey(c store.Change, id string) store.Change {
	c.Key.ID = id
	return c
}

// extraStatement adds a statement at the end of a compact document.
func extraStatement(doc json.RawMessage, statement string) json.RawMessage {
	s := string(doc)
	i := strings.LastIndex(s, "]}")
	return json.RawMessage(s[:i] + "," + statement + s[i:])
}

func snapshotKey(arn string) string {
	pa, err := engine.ParsePrincipalARN(arn)
	if err != nil {
		panic(err)
	}
	return principalKey(pa)
}

// attaching returns the snapshot keys of the principals that use a managed
// policy: attached, as their boundary, or through a group.
func attaching(set *entity.Set, name string) []string {
	groups := map[string]bool{}
	for _, g := range set.Groups {
		if slices.Contains(g.ManagedPolicies, name) {
			groups[g.Account+"/"+g.Name] = true
		}
	}
	var out []string
	for _, u := range set.Users {
		account := strings.Split(u.ARN, ":")[4]
		if slices.Contains(u.ManagedPolicies, name) || u.PermissionsBoundary == name ||
			slices.ContainsFunc(u.Groups, func(g string) bool { return groups[account+"/"+g] }) {
			out = append(out, snapshotKey(u.ARN))
		}
	}
	for _, r := range set.Roles {
		if slices.Contains(r.ManagedPolicies, name) || r.PermissionsBoundary == name {
			out = append(out, snapshotKey(r.ARN))
		}
	}
	return out
}

func groupMembers(set *entity.Set, account, group string) []string {
	var out []string
	for _, u := range set.Users {
		if strings.Split(u.ARN, ":")[4] == account && slices.Contains(u.Groups, group) {
			out = append(out, snapshotKey(u.ARN))
		}
	}
	return out
}

// listedUnder returns arn and the listed resources under it.
func listedUnder(set *entity.Set, arn string) []string {
	out := []string{arn}
	for _, r := range set.Resources {
		if strings.HasPrefix(r.ARN, arn+"/") {
			out = append(out, r.ARN)
		}
	}
	return out
}

// checkSnapshot checks the current snapshot of s against one compiled
// from scratch from m (after validating m), and against prev: every
// entry but the touched ones is prev's own, and only shards holding a
// touched one were copied.
func checkSnapshot(t *testing.T, s *Server, cat *catalog.Catalog, m model, prev *Snapshot, principals, resources []string) {
	t.Helper()
	cur := s.Current()
	set := decodeModel(t, m)
	res, err := set.Resolve(cat)
	if err != nil {
		t.Fatalf("the model is not valid: %v", err)
	}
	full, err := CompileSnapshot(cat, res, cur.revision, nil)
	if err != nil {
		t.Fatal(err)
	}
	compareSnapshots(t, cur, full)
	compareDecisions(t, s, cur, full, set, principals, resources)
	if prev == nil {
		return
	}
	checkShared(t, "principal", &cur.principals, &prev.principals, principals)
	checkShared(t, "resource", &cur.resources, &prev.resources, resources)
	checkSetsKept(t, cur, prev)
}

// checkSetsKept checks that a policy set compiled from the same documents
// as one of prev is prev's own.
func checkSetsKept(t *testing.T, cur, prev *Snapshot) {
	t.Helper()
	for _, shard := range cur.principals.shards {
		for k, e := range shard {
			p, ok := prev.principals.get(k)
			if !ok {
				continue
			}
			if sameDocs(e.identityDocs, p.identityDocs) && e.identity != p.identity {
				t.Errorf("principal %s: identity policies compiled again from the same documents", k)
			}
			if e.boundaryDoc == p.boundaryDoc && e.boundary != p.boundary {
				t.Errorf("principal %s: boundary compiled again from the same document", k)
			}
		}
	}
	for _, shard := range cur.resources.shards {
		for k, e := range shard {
			if p, ok := prev.resources.get(k); ok && e.doc == p.doc && e.own != p.own {
				t.Errorf("resource %s: policy compiled again from the same document", k)
			}
		}
	}
	for account, docs := range cur.scpDocs {
		for i, level := range docs {
			if old := prev.scpDocs[account]; i < len(old) && sameDocs(old[i], level) && cur.scps[account][i] != prev.scps[account][i] {
				t.Errorf("account %s: SCP level %d compiled again from the same documents", account, i)
			}
		}
	}
}

// TestSnapshotLookupsDoNotAllocate: finding a principal and what governs
// a resource, listed or not, allocates nothing.
func TestSnapshotLookupsDoNotAllocate(t *testing.T) {
	cat := loadTestCatalog(t)
	set := genModel(genSmall)
	res, err := set.Link(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := CompileSnapshot(cat, res, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	user, _ := engine.ParsePrincipalARN(set.Users[0].ARN)
	app := genApp(genAccount(0), 0) // has a resource policy
	listed, unlisted := app+"/campaigns/c0", app+"/campaigns/zz"
	lookups := map[string]func() bool{
		"principal":               func() bool { _, ok := snap.principal(user); return ok },
		"listed resource":         func() bool { e, ok := snap.resource(listed); return ok && e.policy != nil },
		"unlisted under a policy": func() bool { e, known := snap.resource(unlisted); return !known && e.policy != nil },
		"unlisted, nothing above": func() bool {
			e, _ := snap.resource("arn:aws:mobiletargeting:us-east-1:999999999999:apps/x/y")
			return e == nil
		},
		"wildcard resource": func() bool { e, _ := snap.resource("*"); return e == nil },
	}
	for name, lookup := range lookups {
		if !lookup() {
			t.Errorf("%s: not found as expected", name)
		}
		if n := testing.AllocsPerRun(1000, func() { lookup() }); n != 0 {
			t.Errorf("%s: %v allocations per lookup", name, n)
		}
	}
}

// checkShared checks that every entry of prev but the touched ones is in
// cur, the same pointer, that touched ones are not, and that the shards
// without a touched key are prev's own.
func checkShared[V comparable](t *testing.T, what string, cur, prev *entryMap[V], touched []string) {
	t.Helper()
	changed := map[string]bool{}
	shards := map[int]bool{}
	for _, k := range touched {
		changed[k] = true
		shards[prev.shardOf(k)] = true
	}
	var zero V
	for _, shard := range prev.shards {
		for k, pe := range shard {
			ce, ok := cur.get(k)
			switch {
			case !changed[k] && ce != pe:
				t.Errorf("%s %s: untouched, but its entry was replaced", what, k)
			case changed[k] && ok && ce == pe:
				t.Errorf("%s %s: touched, but its entry was kept", what, k)
			case changed[k] && !ok && ce != zero:
				t.Errorf("%s %s: removed, but found", what, k)
			}
		}
	}
	for i := range cur.shards {
		if reflect.ValueOf(cur.shards[i]).UnsafePointer() != reflect.ValueOf(prev.shards[i]).UnsafePointer() && !shards[i] {
			t.Errorf("%s shard %d was copied, but holds no touched entry", what, i)
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
	if got.principals.n != want.principals.n || got.resources.n != want.resources.n {
		t.Errorf("%d principals and %d resources, want %d and %d", got.principals.n, got.resources.n, want.principals.n, want.resources.n)
	}
	for _, shard := range want.principals.shards {
		for k, w := range shard {
			g, ok := got.principals.get(k)
			switch {
			case !ok:
				t.Errorf("principal %s missing", k)
			case g.arn != w.arn || g.kind != w.kind || g.account != w.account || g.name != w.name || !reflect.DeepEqual(g.tags, w.tags):
				t.Errorf("principal %s: %s %v %v, want %s %v %v", k, g.arn, g.kind, g.tags, w.arn, w.kind, w.tags)
			case !slices.Equal(ids(g.identity), ids(w.identity)) || !slices.Equal(ids(g.boundary), ids(w.boundary)):
				t.Errorf("principal %s: policies %q %q, want %q %q", k, ids(g.identity), ids(g.boundary), ids(w.identity), ids(w.boundary))
			}
		}
	}
	for _, shard := range want.resources.shards {
		for k, w := range shard {
			g, ok := got.resources.get(k)
			switch {
			case !ok:
				t.Errorf("resource %s missing", k)
			case !slices.Equal(ids(g.policy), ids(w.policy)) || !reflect.DeepEqual(g.tags, w.tags) || (g.passed == nil) != (g.policy == nil):
				t.Errorf("resource %s: %q %v, want %q %v", k, ids(g.policy), g.tags, ids(w.policy), w.tags)
			}
		}
	}
	if len(got.scps) != len(want.scps) {
		t.Errorf("%d SCP chains, want %d", len(got.scps), len(want.scps))
	}
	for account, w := range want.scps {
		g := got.scps[account]
		if !slices.EqualFunc(g, w, func(a, b *engine.PolicySet) bool { return slices.Equal(ids(a), ids(b)) }) {
			t.Errorf("account %s: SCP chain differs", account)
		}
	}
}

// compareDecisions decides a sample of requests, and every touched
// principal and resource, on both snapshots: decisions and explanations
// must be the same.
func compareDecisions(t *testing.T, s *Server, got, want *Snapshot, set *entity.Set, principals, resources []string) {
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
		if e, ok := got.principals.get(k); ok {
			who = append(who, e.arn)
		}
	}
	what := append(sample(listed, 60), resources...)
	for _, arn := range what[:20] {
		what = append(what, arn+"/campaigns/unlisted")
	}
	actions := []string{"mobiletargeting:GetCampaign", "mobiletargeting:UpdateCampaign", "mobiletargeting:DeleteCampaign",
		"mobiletargeting:GetSegment", "mobiletargeting:CreateJourney", "mobiletargeting:DeleteApp", "mobiletargeting:CreateCampaign"}
	ctx := map[string]*pdpv1.ContextValue{
		"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}},
		"aws:SecureTransport": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "true"}},
	}
	n := 0
	for _, p := range who {
		for range 3 {
			it := &item{principal: p, action: actions[r.IntN(len(actions))], resource: what[r.IntN(len(what))], context: ctx}
			gd, gx, gerr := decideOn(s, got, it)
			wd, wx, werr := decideOn(s, want, it)
			if gd != wd || !proto.Equal(gx, wx) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Errorf("%s %s on %s: %v %v (%v), want %v %v (%v)", p, it.action, it.resource, gd, gx, gerr, wd, wx, werr)
			}
			n++
		}
	}
	if n < 300 {
		t.Errorf("only %d decisions compared", n)
	}
}

func decideOn(s *Server, snap *Snapshot, it *item) (pdpv1.Decision, *pdpv1.Explanation, error) {
	in, err := s.prepare(snap, it, fixedTestTime)
	if err != nil {
		return 0, nil, err
	}
	d, ex := decide(in, true)
	return d, ex, nil
}
