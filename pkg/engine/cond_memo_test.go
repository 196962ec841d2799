package engine

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memoPolicy compares six request values parsed (more than a decision
// remembers) and one of them, aws:SourceIp, in two statements.
const memoPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "mobiletargeting:GetCampaign",
    "Resource": "*",
    "Condition": {
      "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
      "NumericLessThan": {"aws:MultiFactorAuthAge": "3600", "pinpoint:Limit": "10"},
      "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"},
      "NumericGreaterThan": {"aws:EpochTime": "1700000000"},
      "DateGreaterThan": {"pinpoint:Since": "2020-01-01"}
    }
  }, {
    "Effect": "Deny",
    "Action": "mobiletargeting:GetCampaign",
    "Resource": "*",
    "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}
  }]
}`

// TestTypedMemo checks that values parsed once per decision decide as
// parsed at each comparison would, with more typed keys than the memo
// holds, and that a context reused with other values is parsed afresh.
func TestTypedMemo(t *testing.T) {
	t.Parallel()
	ps := mustCompile(t, benchCatalog(t), IdentityPolicy, memoPolicy)
	policies := &Policies{Identity: ps}
	ctx := NewContext(8)
	req := &Request{Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetCampaign",
		Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1", Context: ctx}
	tests := []struct {
		name     string
		sourceIP string
		mfaAge   string
		want     Decision
	}{
		{name: "all hold", sourceIP: "203.0.113.7", mfaAge: "60", want: Allow},
		{name: "address outside", sourceIP: "198.51.100.7", mfaAge: "60", want: ExplicitDeny},
		{name: "address not an address", sourceIP: "203.0.113.07", mfaAge: "60", want: ImplicitDeny},
		{name: "IPv6 address", sourceIP: "2001:db8::1", mfaAge: "60", want: ImplicitDeny},
		{name: "too old", sourceIP: "203.0.113.7", mfaAge: "7200", want: ImplicitDeny},
		{name: "again all hold", sourceIP: "203.0.113.9", mfaAge: "1", want: Allow},
	}
	for _, tc := range tests {
		ctx.Reset()
		ctx.SetKey(KeySourceIP, tc.sourceIP)
		ctx.SetKey(KeyMultiFactorAuthAge, tc.mfaAge)
		ctx.SetKey(KeyCurrentTime, "2026-12-05T06:00:00Z")
		ctx.SetKey(KeyEpochTime, "1796450400")
		ctx.Set("pinpoint:Limit", "3")
		ctx.Set("pinpoint:Since", "2026-01-01")
		assert.Equal(t, tc.want, Evaluate(policies, req), tc.name)
	}
}

// TestContextConcurrentDecisions checks that decisions reading one context
// at once write nothing to it (the race detector watches) and agree.
func TestContextConcurrentDecisions(t *testing.T) {
	t.Parallel()
	ps := mustCompile(t, benchCatalog(t), IdentityPolicy, memoPolicy)
	policies := &Policies{Identity: ps}
	ctx := NewContext(8)
	ctx.SetKey(KeySourceIP, "203.0.113.7")
	ctx.SetKey(KeyMultiFactorAuthAge, "60")
	ctx.SetKey(KeyCurrentTime, "2026-12-05T06:00:00Z")
	ctx.SetKey(KeyEpochTime, "1796450400")
	ctx.Set("pinpoint:Limit", "3")
	ctx.Set("pinpoint:Since", "2026-01-01")
	const workers, decisions = 4, 200
	got := make([][]Decision, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			req := &Request{Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetCampaign",
				Resource: fmt.Sprintf("arn:aws:mobiletargeting:us-east-1:111122223333:apps/a%d", w), Context: ctx}
			for range decisions {
				got[w] = append(got[w], Evaluate(policies, req))
			}
		})
	}
	wg.Wait()
	for w := range workers {
		require.Len(t, got[w], decisions)
		for i, d := range got[w] {
			require.Equal(t, Allow, d, "worker %d decision %d", w, i)
		}
	}
}
