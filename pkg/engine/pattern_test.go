package engine

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPatternMatch(t *testing.T) {
	t.Parallel()
	ctx := NewContext(4)
	ctx.Set("aws:username", "alice")
	ctx.Set("aws:PrincipalTag/app", "abc123")
	ctx.SetMulti("aws:TagKeys", []string{"a", "b"})
	resource := patternOptions{wildcards: true, variables: true, arn: true}
	like := patternOptions{wildcards: true, variables: true}
	tests := []struct {
		name    string
		pattern string
		opts    patternOptions
		fold    bool
		input   string
		want    bool
	}{
		{"exact", "abc", like, false, "abc", true},
		{"exact case", "abc", like, false, "ABC", false},
		{"fold", "mobiletargeting:getapp", like, true, "mobiletargeting:GetApp", true},
		{"star empty", "a*", like, false, "a", true},
		{"star middle", "a*c", like, false, "abbbc", true},
		{"star backtracks", "a*bc", like, false, "abcbc", true},
		{"question one", "a?c", like, false, "abc", true},
		{"question not zero", "a?c", like, false, "ac", false},
		{"question not two", "a?c", like, false, "abbc", false},
		{"question multibyte", "a?c", like, false, "aéc", true},
		{"lone star", "*", like, false, "", true},
		{"no wildcards when off", "a*", patternOptions{}, false, "abc", false},
		{"literal star when off", "a*", patternOptions{}, false, "a*", true},
		{"variable", "apps/${aws:username}/*", like, false, "apps/alice/x", true},
		{"variable other", "apps/${aws:username}/*", like, false, "apps/bob/x", false},
		{"variable key case", "${AWS:UserName}", like, false, "alice", true},
		{"variable missing", "${aws:userid}", like, false, "", false},
		{"variable default", "${aws:userid, 'none'}", like, false, "none", true},
		{"variable default ignored", "${aws:username, 'none'}", like, false, "none", false},
		{"variable multivalued", "${aws:TagKeys}", like, false, "a", false},
		{"literal star variable", "a${*}b", like, false, "a*b", true},
		{"literal star is not wildcard", "a${*}b", like, false, "axb", false},
		{"literal question", "a${?}", like, false, "a?", true},
		{"literal dollar", "${$}{x}", like, false, "${x}", true},
		{"variables off", "${aws:username}", patternOptions{wildcards: true}, false, "${aws:username}", true},
		{"malformed variable literal", "${aws:username", like, false, "${aws:username", true},
		// Resource ARNs: a '*' ending a segment can run past colons, one
		// inside a segment cannot.
		{"arn trailing star spans", "arn:aws:mobiletargeting:*", resource, false,
			"arn:aws:mobiletargeting:us-east-1:111122223333:apps/a", true},
		{"arn region star", "arn:aws:mobiletargeting:us-*:111122223333:apps/a", resource, false,
			"arn:aws:mobiletargeting:us-east-1:111122223333:apps/a", true},
		{"arn inner star stops at colon", "arn:aws:mobiletargeting:u*1:111122223333:apps/a", resource, false,
			"arn:aws:mobiletargeting:us-east-1:111122223333:apps/a", true},
		{"arn inner star cannot cross", "arn:aws:mobiletargeting:u*3:apps/a", resource, false,
			"arn:aws:mobiletargeting:us-east-1:111122223333:apps/a", false},
		{"arn mixed stars", "a*:b*c", resource, false, "ax:b:b1c", true},
		{"arn case sensitive", "arn:aws:mobiletargeting:*:*:apps/ABC/*", resource, false,
			"arn:aws:mobiletargeting:us-east-1:1:apps/abc/x", false},
		{"arn star request", "arn:aws:mobiletargeting:*", resource, false, "*", false},
		{"arn variable", "arn:aws:mobiletargeting:*:*:apps/${aws:PrincipalTag/app}/*", resource, false,
			"arn:aws:mobiletargeting:us-east-1:1:apps/abc123/segments/s", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := compilePattern(tc.pattern, tc.opts)
			assert.Equal(t, tc.want, p.match(tc.input, ctx, tc.fold), "%q matches %q", tc.pattern, tc.input)
		})
	}
}

func TestParseVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		wantOK  bool
		wantKey string
		wantDef string
		wantLit string
		wantLen int
	}{
		{"${aws:username}", true, "aws:username", "", "", 15},
		{"${aws:PrincipalTag/team, 'none'}x", true, "aws:principaltag/team", "none", "", 32},
		{"${ aws:username ,'x' }", true, "aws:username", "x", "", 22},
		{"${*}", true, "", "", "*", 4},
		{"${$}", true, "", "", "$", 4},
		{"${}", false, "", "", "", 0},
		{"${a b}", false, "", "", "", 0},
		{"${a, none}", false, "", "", "", 0},
		{"${aws:username", false, "", "", "", 0},
	}
	for _, tc := range tests {
		v, n, ok := parseVariable(tc.in)
		assert.Equal(t, tc.wantOK, ok, "parseVariable(%q) ok", tc.in)
		assert.Equal(t, tc.wantKey, v.key, "parseVariable(%q) key", tc.in)
		assert.Equal(t, tc.wantDef, v.def, "parseVariable(%q) default", tc.in)
		assert.Equal(t, tc.wantLit, v.literal, "parseVariable(%q) literal", tc.in)
		if ok {
			assert.Equal(t, tc.wantLen, n, "parseVariable(%q) length", tc.in)
		}
	}
}

// FuzzPatternMatch checks that the shortcuts of pattern.match (exact text,
// lone star, leading literal, literal then star) and those of Resource
// matching (probe word) agree with matching the token list from its start.
func FuzzPatternMatch(f *testing.F) {
	f.Add("arn:aws:mobiletargeting:*:111122223333:apps/${aws:username}/*", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/alice/x", uint8(7), false)
	f.Add("arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc/*", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc/segments/s", uint8(7), false)
	f.Add("a*b?c", "axxbyc", uint8(3), true)
	f.Add("*", "", uint8(1), false)
	f.Add("GetSeg*", "getsegments", uint8(1), true)
	ctx := NewContext(2)
	ctx.Set("aws:username", "alice")
	f.Fuzz(func(t *testing.T, pat, s string, opts uint8, fold bool) {
		o := patternOptions{wildcards: opts&1 != 0, variables: opts&2 != 0, arn: opts&4 != 0}
		p := compilePattern(pat, o)
		if plain, ok := compilePlain(pat, o); ok {
			require.Equal(t, compileTokens(pat, o), plain, "pattern %q (%+v): plain, want what the tokens compile to", pat, o)
		}
		var buf [2]token
		full := p
		full.toks = p.tokens(&buf)
		want := full.matchFrom(s, 0, 0, ctx, fold)
		if len(s) <= 64 && len(full.toks) <= 16 {
			ref := refMatch(full.toks, s, ctx, fold, map[[2]int]bool{}, 0, 0)
			require.Equal(t, ref, want, "pattern %q (%+v) on %q, fold %v: token list, want the reference", pat, o, s, fold)
		}
		assert.Equal(t, want, p.match(s, ctx, fold), "pattern %q (%+v) on %q, fold %v: match, want the token list's", pat, o, s, fold)
		if !o.arn || fold {
			return
		}
		for _, notResource := range []bool{false, true} {
			st := statement{resources: []pattern{p}, notResource: notResource}
			assert.Equal(t, want != notResource, st.matchesResource(&evalReq{resource: s, ctx: ctx}),
				"Resource %q (NotResource %v) on %q, token list %v", pat, notResource, s, want)
		}
	})
}

// refMatch matches s[si:] against toks[ti:] by trying every length for
// each star, remembering the places already shown to fail: the definition
// matchFrom's backtracking and jumps must agree with.
func refMatch(toks []token, s string, ctx *Context, fold bool, failed map[[2]int]bool, ti, si int) bool {
	if ti == len(toks) {
		return si == len(s)
	}
	if failed[[2]int{ti, si}] {
		return false
	}
	ok := false
	switch t := toks[ti]; t.kind {
	case tokLit:
		ok = hasPrefix(s[si:], t.text, fold) && refMatch(toks, s, ctx, fold, failed, ti+1, si+len(t.text))
	case tokVar:
		if val, has := ctx.resolve(t.v); has {
			ok = hasPrefix(s[si:], val, fold) && refMatch(toks, s, ctx, fold, failed, ti+1, si+len(val))
		}
	case tokOne, tokOneSeg:
		if si < len(s) && (t.kind == tokOne || s[si] != ':') {
			_, n := utf8.DecodeRuneInString(s[si:])
			ok = refMatch(toks, s, ctx, fold, failed, ti+1, si+n)
		}
	case tokStar, tokStarSeg:
		for j := si; ; {
			if refMatch(toks, s, ctx, fold, failed, ti+1, j) {
				ok = true
				break
			}
			if j >= len(s) || (t.kind == tokStarSeg && s[j] == ':') {
				break
			}
			_, n := utf8.DecodeRuneInString(s[j:])
			j += n
		}
	}
	if !ok {
		failed[[2]int{ti, si}] = true
	}
	return ok
}
