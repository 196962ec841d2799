package snapshot

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/entity"
)

// TestResourceGovernors checks what governs each of a set of listed and
// unlisted resources against the resolved model's own answer, which walks
// up the ARN: with a policy on a resource whose ARN holds no '/' (above
// every root), then after it is removed, and after a nested policy is
// added, each snapshot compiled from the previous one.
func TestResourceGovernors(t *testing.T) {
	t.Parallel()
	cat := loadTestCatalog(t)
	const acct = "arn:aws:mobiletargeting:us-east-1:111122223333:"
	policy := func(n int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"S%d","Effect":"Allow",`+
			`"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"mobiletargeting:GetApp","Resource":"*"}]}`, n))
	}
	team := map[string]string{"team": "growth"}
	l := entity.NewLinker(nil)
	for _, r := range []*entity.Resource{
		{ARN: acct + "apps", Policy: policy(0)},
		{ARN: acct + "apps/a", Policy: policy(1), Tags: team},
		{ARN: acct + "apps/a/campaigns/c1", Tags: team},
		{ARN: acct + "apps/a/campaigns/c2", Policy: policy(2)},
		{ARN: acct + "apps/b/campaigns/c3", Tags: team},
		{ARN: acct + "apps/b"},
		{ARN: acct + "reports"},
	} {
		require.NoError(t, l.Put(r))
	}
	lookups := []string{"apps", "apps/a", "apps/a/campaigns/c1", "apps/a/campaigns/c2", "apps/a/campaigns/c2/x",
		"apps/a/campaigns", "apps/a/x/y", "apps/b", "apps/b/campaigns/c3", "apps/b/x", "apps/c/x", "reports", "reports/x", "other/x"}
	check := func(step string, snap *Snapshot, res *entity.Resolved) {
		t.Helper()
		for _, name := range lookups {
			arn := acct + name
			doc, tags, listed := res.Resource(arn)
			_, _, own := res.ListedResource(arn)
			e, known := snap.Resource(arn)
			assert.Equal(t, own, known, "%s: %s: known", step, name)
			var want, got []string
			if doc != nil {
				want = []string{doc.ID}
			}
			if e != nil && e.Policy() != nil {
				got = e.Policy().Policies()
			}
			assert.Equal(t, want, got, "%s: %s: governing policy", step, name)
			if listed && known {
				assert.Equal(t, tags, e.Tags(), "%s: %s: tags", step, name)
			}
		}
	}
	link := func(step string, prev *Snapshot) *Snapshot {
		t.Helper()
		res, err := l.Link()
		require.NoError(t, err, step)
		snap, err := Compile(cat, res, 1, prev)
		require.NoError(t, err, step)
		check(step, snap, res)
		return snap
	}
	snap := link("with a policy above every root", nil)
	assert.Equal(t, 1, snap.governors.shallow, "governors above every root")
	l.Remove(&entity.Resource{ARN: acct + "apps"})
	snap = link("without it", snap)
	assert.Zero(t, snap.governors.shallow, "governors above every root")
	require.NoError(t, l.Put(&entity.Resource{ARN: acct + "apps/a/campaigns", Policy: policy(3)}))
	link("with a nested policy", snap)
}
