package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompileShares checks that documents compiled together share what
// they have in common, and only that: the same action list and condition
// values are one compiled copy, while the same text under another operator
// family, wildcard rule or policy version is compiled apart.
func TestCompileShares(t *testing.T) {
	t.Parallel()
	doc := func(version, actions, cond string) string {
		return `{"Version": "` + version + `", "Statement": [{"Effect": "Allow", "Action": ` + actions +
			`, "Resource": "*", "Condition": ` + cond + `}]}`
	}
	const (
		v2012 = "2012-10-17"
		v2008 = "2008-10-17"
		read  = `["mobiletargeting:GetCampaign", "mobiletargeting:GetSegment"]`
		team  = `{"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}`
	)
	docs := []string{
		doc(v2012, read, team),                              // 0
		doc(v2012, read, team),                              // 1: the same as 0
		doc(v2012, `["mobiletargeting:GetCampaign"]`, team), // 2: other actions
		doc(v2012, read, `{"StringLike": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}`), // 3: wildcards
		doc(v2008, read, team), // 4: no policy variables
		doc(v2012, read, `{"NumericEquals": {"aws:MultiFactorAuthAge": "10"}}`), // 5
		doc(v2012, read, `{"StringEquals": {"aws:ResourceTag/team": "10"}}`),    // 6: the text of 5
	}
	cat := benchCatalog(t)
	ps := mustCompile(t, cat, IdentityPolicy, docs...)
	st := func(i int) *statement { return &ps.docs[i].statements[0] }
	sameValues := func(i, j int) bool { return &st(i).conds[0].values[0] == &st(j).conds[0].values[0] }

	assert.Same(t, &st(0).actions[0], &st(1).actions[0], "equal action lists share one copy")
	assert.True(t, sameValues(0, 1), "equal condition values share one copy")
	assert.Same(t, st(0).conds[0].key, st(1).conds[0].key, "conditions on one key share it")
	assert.NotSame(t, &st(0).actions[0], &st(2).actions[0])
	assert.False(t, sameValues(0, 3), "StringLike compiles wildcards, StringEquals does not")
	assert.False(t, sameValues(0, 4), "version 2008-10-17 has no policy variables")
	assert.False(t, sameValues(5, 6), "a Numeric value and a String value of the same text")
	assert.Equal(t, st(0).covers, st(1).covers)

	// Sharing changes no decision: each compiled document, taken from the
	// shared compilation, decides as the document compiled alone.
	ctx := NewContext(4)
	ctx.Set("aws:PrincipalTag/team", "growth")
	ctx.Set("aws:ResourceTag/team", "growth")
	req := &Request{Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetSegment",
		Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/segments/s1", Context: ctx}
	for i, want := range []Decision{Allow, Allow, ImplicitDeny, Allow, ImplicitDeny, ImplicitDeny, ImplicitDeny} {
		shared, err := NewPolicySet(cat, ps.docs[i])
		require.NoError(t, err)
		alone := mustCompile(t, cat, IdentityPolicy, docs[i])
		assert.Equal(t, want, Evaluate(&Policies{Identity: shared}, req), "document %d, shared", i)
		assert.Equal(t, want, Evaluate(&Policies{Identity: alone}, req), "document %d, alone", i)
	}
}
