package access

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cloneSet copies a Set deeply enough that changing the copy's entities,
// their lists and maps leaves the original alone.
func cloneSet(s *entity.Set) *entity.Set {
	c := &entity.Set{
		Accounts: slices.Clone(s.Accounts), ManagedPolicies: slices.Clone(s.ManagedPolicies), SCPs: slices.Clone(s.SCPs),
		Users: slices.Clone(s.Users), Groups: slices.Clone(s.Groups), Roles: slices.Clone(s.Roles), Resources: slices.Clone(s.Resources),
	}
	for i := range c.Users {
		c.Users[i].ManagedPolicies = slices.Clone(c.Users[i].ManagedPolicies)
		c.Users[i].Tags = maps.Clone(c.Users[i].Tags)
	}
	for i := range c.Roles {
		c.Roles[i].ManagedPolicies = slices.Clone(c.Roles[i].ManagedPolicies)
		c.Roles[i].Tags = maps.Clone(c.Roles[i].Tags)
	}
	for i := range c.Groups {
		c.Groups[i].InlinePolicies = maps.Clone(c.Groups[i].InlinePolicies)
	}
	for i := range c.Resources {
		c.Resources[i].Tags = maps.Clone(c.Resources[i].Tags)
	}
	return c
}

// change makes one random change to s and says what it did.
func change(r *rand.Rand, s *entity.Set) string {
	acct := genAccounts[0]
	switch r.IntN(10) {
	case 0, 1: // a managed policy gains or loses statements
		i := r.IntN(len(s.ManagedPolicies))
		s.ManagedPolicies[i].Document = genDoc(r, acct, false, 1+r.IntN(3))
		return "rewrite managed policy " + s.ManagedPolicies[i].Name
	case 2: // attach
		i := r.IntN(len(s.Users))
		m := fmt.Sprintf("M%d", r.IntN(12))
		if !slices.Contains(s.Users[i].ManagedPolicies, m) {
			s.Users[i].ManagedPolicies = append(s.Users[i].ManagedPolicies, m)
		}
		return "attach " + m + " to " + s.Users[i].ARN
	case 3: // detach
		i := r.IntN(len(s.Roles))
		if n := len(s.Roles[i].ManagedPolicies); n > 0 {
			s.Roles[i].ManagedPolicies = slices.Delete(s.Roles[i].ManagedPolicies, 0, 1)
		}
		return "detach from " + s.Roles[i].ARN
	case 4: // principal tag
		i := r.IntN(len(s.Users))
		s.Users[i].Tags["team"] = pickOne(r, genTeams)
		return "retag " + s.Users[i].ARN
	case 5: // resource tag
		i := r.IntN(len(s.Resources))
		s.Resources[i].Tags = genTags(r)
		return "retag " + s.Resources[i].ARN
	case 6: // SCP
		i := 1 + r.IntN(len(s.SCPs)-1)
		s.SCPs[i].Document = genDoc(r, acct, false, 1+r.IntN(2))
		return "rewrite SCP " + s.SCPs[i].Name
	case 7: // boundary set, changed or removed
		i := r.IntN(len(s.Roles))
		if s.Roles[i].PermissionsBoundary == "" {
			s.Roles[i].PermissionsBoundary = fmt.Sprintf("B%d", r.IntN(3))
		} else {
			s.Roles[i].PermissionsBoundary = ""
		}
		return "boundary of " + s.Roles[i].ARN
	case 8: // resource policy
		i := r.IntN(len(s.Resources))
		if s.Resources[i].Policy == nil {
			s.Resources[i].Policy = genDoc(r, acct, true, 1)
		} else {
			s.Resources[i].Policy = nil
		}
		return "resource policy of " + s.Resources[i].ARN
	default: // a group's inline policy
		i := r.IntN(len(s.Groups))
		s.Groups[i].InlinePolicies["inline"] = json.RawMessage(genDoc(r, s.Groups[i].Account, false, 1))
		return "group inline " + s.Groups[i].Name
	}
}

// triple is one question.
type triple struct{ principal, action, resource string }

// allAnswers answers every question of a model: every principal, every
// catalog action, every listed resource it acts on ("*" without a type).
func allAnswers(m *Model) map[triple]Verdict {
	out := map[triple]Verdict{}
	for _, p := range m.principals {
		for _, a := range m.cat.Actions() {
			resources := []string{"*"}
			if len(a.ResourceTypes) > 0 {
				resources = resources[:0]
				for _, r := range m.resourcesFor(a) {
					resources = append(resources, r.ARN)
				}
			}
			for _, r := range resources {
				out[triple{p.ARN, a.FullName, r}] = m.Ask(p, a.FullName, r, nil).Verdict
			}
		}
	}
	return out
}

func TestCompareMatchesEveryAnswer(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(21, 22))
	base := genSet(r, genSize{accounts: 3, managed: 12, users: 15, roles: 10, apps: 2, children: 6})
	cache := entity.NewDocCache()
	_, from := resolve(t, cat, base, cache, 1)
	before := allAnswers(from)
	changed := 0
	for i := range 200 {
		next := cloneSet(base)
		var did []string
		for range 1 + r.IntN(3) {
			did = append(did, change(r, next))
		}
		c := cache
		if i%2 == 1 {
			c = nil // documents compared by content, not by pointer
		}
		_, to := resolve(t, cat, next, c, 2)
		im, err := Compare(from, to)
		require.NoError(t, err)
		after := allAnswers(to)
		var want []Change
		for k, v := range after {
			if b := before[k]; b != v {
				want = append(want, Change{Principal: k.principal, Action: k.action, Resource: k.resource, Before: b, After: v})
			}
		}
		for k, b := range before {
			if _, ok := after[k]; !ok && b != ImplicitDeny {
				want = append(want, Change{Principal: k.principal, Action: k.action, Resource: k.resource, Before: b, After: ImplicitDeny})
			}
		}
		slices.SortFunc(want, func(a, b Change) int {
			return cmpTriple(triple{a.Principal, a.Action, a.Resource}, triple{b.Principal, b.Action, b.Resource})
		})
		require.Equalf(t, want, im.Changes, "change set %d: %v", i, did)
		require.Equal(t, len(want), im.Total)
		sum := 0
		for _, g := range im.ByPrincipal {
			sum += g.Changed
		}
		require.Equal(t, im.Total, sum)
		if len(want) > 0 {
			changed++
		}
	}
	t.Logf("200 change sets, %d changed some answer", changed)
	assert.Greater(t, changed, 50)
}

func cmpTriple(a, b triple) int {
	switch {
	case a.principal != b.principal:
		return cmpStr(a.principal, b.principal)
	case a.action != b.action:
		return cmpStr(a.action, b.action)
	}
	return cmpStr(a.resource, b.resource)
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
