package snapshot

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/modelgen"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// modelOf writes a Set as store documents.
func modelOf(tb testing.TB, set *entity.Set) Model {
	tb.Helper()
	changes, err := SetValues(set)
	require.NoError(tb, err)
	m := make(Model, len(changes))
	for _, c := range changes {
		m[c.Key] = c.Value
	}
	return m
}

// put returns the change that replaces the entity at k with what edit
// makes of it.
func put[E any](tb testing.TB, m Model, k store.Key, edit func(*E)) store.Change {
	tb.Helper()
	e, err := decodeOne(k, m[k])
	require.NoError(tb, err, "%s", k)
	typed, ok := any(e).(*E)
	require.True(tb, ok, "%s is a %T", k, e)
	edit(typed)
	return putEntity(tb, k, typed)
}

func putEntity(tb testing.TB, k store.Key, e any) store.Change {
	tb.Helper()
	doc, err := json.Marshal(e)
	require.NoError(tb, err)
	return store.Change{Op: store.OpPut, Key: k, Value: doc}
}

// snapshotStep is one change to the model, with what it must touch.
type snapshotStep struct {
	name    string
	changes func(tb testing.TB, m Model, set *entity.Set) []store.Change
	// principals and resources the change touches, by snapshot key and
	// ARN; every other entry must be the previous snapshot's own.
	touched func(set *entity.Set) (principals, resources []string)
	wantErr bool
	// reload hands the changed model over as a full read, without the
	// changes.
	reload bool
}

// TestSnapshotIncremental follows a synthetic model through a series of
// changes as the follower does, and checks after each that the snapshot
// decides as one compiled from scratch, that the entries the change does
// not touch are the previous snapshot's own (pointer-identical), and that
// the shards without a change are shared.
func TestSnapshotIncremental(t *testing.T) {
	cat := loadTestCatalog(t)
	set := modelgen.Generate(modelgen.Small)
	m := modelOf(t, set)
	s := NewFollower(FollowerConfig{}, cat, nil)
	require.NoError(t, s.activateModel(t.Context(), m, nil, 1))
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
			if step.reload {
				changes = nil
			}
			err := s.activateModel(t.Context(), m, changes, rev)
			if step.wantErr {
				require.Error(t, err, "activateModel")
				require.Same(t, prev, s.Current(), "snapshot after a failed activateModel")
				return
			}
			require.NoError(t, err)
			var principals, resources []string
			if step.touched != nil {
				principals, resources = step.touched(decodeModel(t, m))
			}
			checkSnapshot(t, s, cat, m, prev, principals, resources)
		})
	}
}

func loadTestCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Load()
	require.NoError(tb, err)
	return cat
}

func decodeModel(tb testing.TB, m Model) *entity.Set {
	tb.Helper()
	set, err := m.Set()
	require.NoError(tb, err)
	return set
}

// snapshotSteps are the changes TestSnapshotIncremental makes to set, the
// model of modelgen.Small.
func snapshotSteps(set *entity.Set) []snapshotStep {
	const (
		policy   = "Policy030"
		boundary = "Boundary1"
	)
	managedKey := func(name string) store.Key { return store.Key{Kind: store.KindManagedPolicy, ID: name} }
	user, removed := set.Users[2].ARN, set.Users[5].ARN
	role, retagged := set.Roles[3].ARN, set.Roles[6].ARN
	app := modelgen.App(modelgen.Account(0), 0) // has a resource policy
	plain := modelgen.App(modelgen.Account(1), 0)
	newCampaign := app + "/campaigns/new"
	return []snapshotStep{
		{
			name: "managed policy",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, managedKey(policy), func(p *entity.ManagedPolicy) {
					p.Document = extraStatement(p.Document, `{"Sid":"NoDeletes","Effect":"Deny","Action":"mobiletargeting:Delete*","Resource":"*"}`)
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return attaching(set, policy), nil },
		},
		{
			name: "permissions boundary",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, managedKey(boundary), func(p *entity.ManagedPolicy) {
					p.Document = extraStatement(p.Document, `{"Sid":"NoCreates","Effect":"Deny","Action":"mobiletargeting:Create*","Resource":"*"}`)
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return attaching(set, boundary), nil },
		},
		{
			name: "one user",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindUser, ID: user}, func(u *entity.User) {
					u.ManagedPolicies = []string{"Policy007", "Policy008"}
					u.Tags = map[string]string{"team": "search"}
				})}
			},
			touched: func(*entity.Set) ([]string, []string) { return []string{snapshotKey(user)}, nil },
		},
		{
			name: "one role's tags",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindRole, ID: role}, func(r *entity.Role) {
					r.Tags = map[string]string{"team": "payments"}
				})}
			},
			touched: func(*entity.Set) ([]string, []string) { return []string{snapshotKey(role)}, nil },
		},
		{
			name: "new resource under an app with a policy",
			changes: func(tb testing.TB, _ Model, _ *entity.Set) []store.Change {
				return []store.Change{putEntity(tb, store.Key{Kind: store.KindResource, ID: newCampaign},
					&entity.Resource{ARN: newCampaign, Tags: map[string]string{"team": "growth", "env": "prod"}})}
			},
			touched: func(*entity.Set) ([]string, []string) { return nil, []string{newCampaign} },
		},
		{
			name: "an app's resource policy",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindResource, ID: app}, func(r *entity.Resource) {
					r.Policy = extraStatement(r.Policy, `{"Sid":"Reads","Effect":"Allow","Principal":{"AWS":"`+modelgen.Account(5)+
						`"},"Action":"mobiletargeting:GetSegment","Resource":"*"}`)
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return nil, listedUnder(set, app) },
		},
		{
			name: "an app's policy removed",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindResource, ID: app}, func(r *entity.Resource) { r.Policy = nil })}
			},
			touched: func(set *entity.Set) ([]string, []string) { return nil, listedUnder(set, app) },
		},
		{
			name: "a policy on an app without one",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindResource, ID: plain}, func(r *entity.Resource) {
					r.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` +
						modelgen.Account(7) + `"},"Action":"mobiletargeting:GetCampaign","Resource":"*"}]}`)
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) { return nil, listedUnder(set, plain) },
		},
		{
			name: "a listed campaign removed",
			changes: func(_ testing.TB, _ Model, _ *entity.Set) []store.Change {
				return []store.Change{{Op: store.OpDelete, Key: store.Key{Kind: store.KindResource, ID: plain + "/campaigns/c0"}}}
			},
			touched: func(*entity.Set) ([]string, []string) { return nil, []string{plain + "/campaigns/c0"} },
		},
		{
			name: "group",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindGroup, ID: modelgen.Account(4) + "/group1"}, func(g *entity.Group) {
					g.ManagedPolicies = append(g.ManagedPolicies, "Policy009")
				})}
			},
			touched: func(set *entity.Set) ([]string, []string) {
				return groupMembers(set, modelgen.Account(4), "group1"), nil
			},
		},
		{
			name: "SCP",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, store.Key{Kind: store.KindSCP, ID: "Guardrails3"}, func(p *entity.SCP) {
					p.Document = extraStatement(p.Document, `{"Sid":"NoJourneys","Effect":"Deny","Action":"mobiletargeting:CreateJourney","Resource":"*"}`)
				})}
			},
		},
		{
			name: "user removed and role moved to another path",
			changes: func(tb testing.TB, m Model, set *entity.Set) []store.Change {
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
			changes: func(testing.TB, Model, *entity.Set) []store.Change { return nil },
			touched: func(*entity.Set) ([]string, []string) { return nil, nil },
			reload:  true,
		},
		{
			name: "reload after changes",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{
					{Op: store.OpDelete, Key: store.Key{Kind: store.KindResource, ID: plain + "/segments/s0"}},
					putEntity(tb, store.Key{Kind: store.KindResource, ID: plain + "/campaigns/reloaded"},
						&entity.Resource{ARN: plain + "/campaigns/reloaded", Tags: map[string]string{"team": "search"}}),
					put(tb, m, store.Key{Kind: store.KindResource, ID: plain + "/campaigns/c2"}, func(r *entity.Resource) {
						r.Tags = map[string]string{"team": "search", "env": "staging"}
					}),
					put(tb, m, store.Key{Kind: store.KindRole, ID: retagged}, func(r *entity.Role) { r.Tags = map[string]string{"team": "web"} }),
				}
			},
			touched: func(*entity.Set) ([]string, []string) {
				return []string{snapshotKey(retagged)}, []string{plain + "/segments/s0", plain + "/campaigns/reloaded", plain + "/campaigns/c2"}
			},
			reload: true,
		},
		{
			name: "document that does not parse",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
				return []store.Change{put(tb, m, managedKey("Policy010"), func(p *entity.ManagedPolicy) {
					p.Document = json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}`)
				})}
			},
			wantErr: true,
		},
		{
			name: "fixed again",
			changes: func(tb testing.TB, m Model, _ *entity.Set) []store.Change {
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
