package access

import (
	"math/rand/v2"
	"testing"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every answer WhoCan shares between principals through the verdict cache
// is the answer Ask gives each of them alone: verdict, statements in
// order, conditions and example requests.
func TestSharedAnswersEqualAsk(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(31, 32))
	s := genSet(r, genSize{accounts: 3, managed: 12, users: 150, roles: 90, apps: 4, children: 12})
	_, m := resolve(t, cat, s, entity.NewDocCache(), 1)
	resources := []string{
		"arn:aws:mobiletargeting:us-east-1:111100000001:apps/a1/campaigns/unlisted",
		"arn:aws:mobiletargeting:us-east-1:111100000001:apps/zz",
	}
	for _, res := range m.Resources() {
		if r.IntN(8) == 0 {
			resources = append(resources, res.ARN)
		}
	}
	actions := append(genActions, "mobiletargeting:CreateSegment")
	shared, asked := 0, 0
	for q := range 60 {
		action, resource, fixed := pickOne(r, actions), pickOne(r, resources), randomFixed(r)
		list, _, err := m.WhoCan(action, resource, Options{Context: fixed, IncludeDenied: true})
		require.NoError(t, err)
		require.Len(t, list, len(m.Principals()))
		policy, _, _, _ := m.governing(resource)
		for _, pa := range list {
			p := pa.Principal
			if !p.policies.Identity.Covers(action) && !policy.Covers(action) {
				assert.Equal(t, Answer{}, pa.Answer, "%d: %s %s %s: not covered", q, p.ARN, action, resource)
				continue
			}
			want := m.Ask(p, action, resource, fixed)
			require.Equalf(t, want, pa.Answer, "%d: %s %s %s %v", q, p.ARN, action, resource, fixed)
			asked++
		}
		// The same questions through one cache take fewer evaluations
		// than principals.
		ask := m.newAsker(fixed)
		sc := ask.scope(action, []string{resource})
		for _, p := range m.Principals() {
			ask.sharedKeep(sc, &Options{IncludeDenied: true}, p, 0)
		}
		shared += len(m.Principals()) - len(sc.verdicts)
	}
	t.Logf("%d answers checked; the cache saved %d evaluations", asked, shared)
	require.Positive(t, asked)
	assert.Greater(t, shared, 60*len(m.Principals())/2)
}
