package catalog

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compilePattern splits an IAM Resource pattern into tokens, merging
// adjacent stars.
func compilePattern(pattern string) []patternToken {
	var toks []patternToken
	closeAt := -1
	for i := 0; i < len(pattern); {
		var t patternToken
		t, i = nextPatternToken(pattern, i, &closeAt)
		if t.kind == patStar && len(toks) > 0 && toks[len(toks)-1].kind == patStar {
			continue
		}
		toks = append(toks, t)
	}
	return toks
}

// overlapProduct is the reference for Overlaps: a search of the product of
// the pattern's automaton (position i in p) and the format's (position j in
// f, in == 1 inside the run of class token j) for a path from the start to
// both ends.
func overlapProduct(p []patternToken, f []formatToken) bool {
	cols := 2 * (len(f) + 1)
	seen := make([]bool, (len(p)+1)*cols)
	var stack []int
	push := func(i, j, in int) {
		if st := i*cols + 2*j + in; !seen[st] {
			seen[st] = true
			stack = append(stack, st)
		}
	}
	push(0, 0, 0)
	for len(stack) > 0 {
		st := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j, in := st/cols, (st%cols)/2, st%2
		if i == len(p) && j == len(f) {
			return true
		}
		if i < len(p) && p[i].kind == patStar {
			push(i+1, j, in) // the star matches nothing more
		}
		if in == 1 {
			push(i, j+1, 0) // the class run ends
		}
		if i == len(p) || j == len(f) || (p[i].kind == patLiteral && !f[j].accepts(p[i].ch)) {
			continue
		}
		ni := i + 1
		if p[i].kind == patStar {
			ni = i // the star goes on
		}
		if f[j].kind == fmtLiteral {
			push(ni, j+1, 0)
		} else {
			push(ni, j, 1)
		}
	}
	return false
}

// formatRegexp is the reference for Matches: the format as a regular
// expression.
func formatRegexp(f []formatToken) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, t := range f {
		switch t.kind {
		case fmtPlaceholder:
			b.WriteString(`[^/:]+`)
		case fmtStar:
			b.WriteString(`[^:]+`)
		default:
			b.WriteString(regexp.QuoteMeta(string(rune(t.ch))))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// testFormats are the formats of the data and a few of other shapes, long
// ones among them that need both words of state.
func testFormats(tb testing.TB) []string {
	tb.Helper()
	c, err := Load()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, rt := range c.ResourceTypes() {
		out = append(out, rt.ARNFormat)
	}
	return append(out,
		"arn:${Partition}:s:${Region}:${Account}:x/*/y/${Id}",
		"arn:${Partition}:s:::"+strings.Repeat("ab/${X}", 12),
		"arn:${Partition}:s:${Region}:${Account}:"+strings.Repeat("k${X}:*/", 21),
	)
}

// FuzzAutomaton checks Overlaps against the product search and Matches
// against a regular expression, on every test format.
func FuzzAutomaton(f *testing.F) {
	for _, s := range []string{
		"*", "", "arn:aws:mobiletargeting:*:111122223333:apps/abc123/*",
		"arn:aws:mobiletargeting:us-east-1:111122223333:apps/a/campaigns/c",
		"arn:aws:sms-voice:*:*:sender-id/MyCompany/??", "arn:*:pool/abc", "arn:aws:s:::ab/x${aws:username}",
		"arn:aws:s:r:a:k1:*/kx:/k${?}:a/*", "arn:?:s:::ab/1ab/2ab/3ab/4ab/5ab/6ab/7ab/8ab/9ab/0ab/1ab/2",
	} {
		f.Add(s)
	}
	var autos []formatAutomaton
	var formats [][]formatToken
	var res []*regexp.Regexp
	for _, s := range testFormats(f) {
		toks, err := compileFormat(s)
		if err != nil {
			f.Fatal(err)
		}
		formats = append(formats, toks)
		a, err := newFormatAutomaton(toks)
		if err != nil {
			f.Fatal(err)
		}
		autos = append(autos, a)
		res = append(res, formatRegexp(toks))
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := compilePattern(s)
		for k := range autos {
			rt := &ResourceType{auto: autos[k]}
			assert.Equal(t, overlapProduct(p, formats[k]), rt.Overlaps(s), "format %d: Overlaps(%q), want what the product search says", k, s)
			assert.Equal(t, res[k].MatchString(s), rt.Matches(s), "format %d: Matches(%q), want what %s says", k, s, res[k])
		}
	})
}

func TestAutomatonLimits(t *testing.T) {
	for _, s := range testFormats(t) {
		toks, err := compileFormat(s)
		require.NoError(t, err)
		a, err := newFormatAutomaton(toks)
		require.NoError(t, err, "%d tokens", len(toks))
		rt := &ResourceType{auto: a}
		assert.Zero(t, testing.AllocsPerRun(20, func() { rt.Overlaps("arn:*:s:*/${aws:username}/?") }), "%d tokens: allocations of Overlaps", len(toks))
	}
	toks, err := compileFormat("arn:aws:s:r:a:" + strings.Repeat("x", maxFormatTokens))
	require.NoError(t, err)
	_, err = newFormatAutomaton(toks)
	assert.Error(t, err, "a format of %d tokens compiled", len(toks))
}
