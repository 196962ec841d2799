package policycheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// accepts runs the search on the query "l and the literal s", which holds
// a string exactly when l matches s.
func accepts(t *testing.T, l lang, s string) bool {
	q, vs := &query{}, &vars{}
	q.e = andExpr(leafExpr(q.add(l)), leafExpr(q.add(literalLang(s))))
	_, found, _ := q.witness(t.Context(), New(nil).newBudget(), vs)
	return found
}

func TestLanguages(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ab", 50) // past one 64-bit word of positions
	segment := formatLang("arn:${Partition}:mobiletargeting:${Region}:${Account}:apps/${AppId}/segments/${SegmentId}")
	apps := formatLang("arn:${Partition}:mobiletargeting:${Region}:${Account}:apps/*")
	tests := []struct {
		name string
		l    lang
		s    string
		want bool
	}{
		{"star matches empty", patternLang("a*", varSymbol, &vars{}), "a", true},
		{"star crosses separators", patternLang("a*z", varSymbol, &vars{}), "a/b:cz", true},
		{"question mark is one character", patternLang("a?", varSymbol, &vars{}), "ab", true},
		{"question mark is not two", patternLang("a?", varSymbol, &vars{}), "abc", false},
		{"case matters", patternLang("Apps/*", varSymbol, &vars{}), "apps/x", false},
		{"long literal", patternLang(long+"*", varSymbol, &vars{}), long + "x", true},
		{"long literal mismatch", patternLang(long+"*", varSymbol, &vars{}), "b" + long, false},
		{"segment ARN", segment, "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a/segments/s", true},
		{"placeholder takes no slash", segment, "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a/b/segments/s", false},
		{"placeholder takes one character or more", segment, "arn:aws:mobiletargeting:us-east-1:111122223333:apps//segments/s", false},
		{"format star crosses slashes", apps, "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a/b", true},
		{"format star takes no colon", apps, "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a:b", false},
		{"legacy version keeps ${ as text", patternLang("a${x}", varLiteral, &vars{}), "a${x}", true},
		{"special variable", patternLang("a${*}", varSymbol, &vars{}), "a*", true},
		{"variable read as anything", patternLang("a/${aws:username}", varAny, &vars{}), "a/bob", true},
		{"variable that must be proven", patternLang("a/${aws:username}", varNone, &vars{}), "a/bob", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, accepts(t, tc.l, tc.s))
		})
	}
}

func TestWitnessRespectsCombination(t *testing.T) {
	t.Parallel()
	q, vs := &query{}, &vars{}
	a := q.add(patternLang("apps/*", varSymbol, vs))
	b := q.add(patternLang("apps/a*", varSymbol, vs))
	c := q.add(patternLang("apps/?", varSymbol, vs))
	q.e = andExpr(leafExpr(a), notExpr(orExpr(leafExpr(b), leafExpr(c))))
	w, found, decided := q.witness(t.Context(), New(nil).newBudget(), vs)
	assert.True(t, found && decided)
	assert.Equal(t, "apps/", w, "the shortest string of apps/* that is neither apps/a* nor apps/?")

	q.e = andExpr(leafExpr(b), notExpr(leafExpr(a)))
	_, found, decided = q.witness(t.Context(), New(nil).newBudget(), vs)
	assert.False(t, found, "apps/a* lies inside apps/*")
	assert.True(t, decided)
}
