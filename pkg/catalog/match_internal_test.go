package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestActionsMatchingMemoBound feeds ActionsMatching more distinct patterns
// than it remembers: the memo stays bounded and the answers right.
func TestActionsMatchingMemoBound(t *testing.T) {
	t.Parallel()
	c, err := Load()
	require.NoError(t, err)
	want := c.matchActions("mobiletargeting:Get*")
	for i := range 3 * maxMatchMemo {
		pattern := fmt.Sprintf("mobiletargeting:Get*%s", strings.Repeat("*", i%7)+strings.Repeat("?", i/7%3))
		if i/21 > 0 {
			pattern = fmt.Sprintf("mobiletargeting:Get*x%d*", i)
		}
		got := c.ActionsMatching(pattern)
		if i < 7 && !slices.Equal(got, want) { // no actions and an empty list alike
			require.Equal(t, want, got, "ActionsMatching(%q)", pattern)
		}
		if i >= 21 {
			require.Empty(t, got, "ActionsMatching(%q)", pattern)
		}
	}
	n := 0
	c.matched.m.Range(func(any, any) bool { n++; return true })
	assert.Positive(t, n, "patterns in the memo")
	assert.LessOrEqual(t, n, maxMatchMemo, "patterns in the memo")
}

// FuzzMatchWildcardFold compares the action matcher with a regular
// expression built from the same pattern, on ASCII input (the matcher folds
// ASCII only and counts bytes, as action names are ASCII).
func FuzzMatchWildcardFold(f *testing.F) {
	for _, seed := range [][2]string{
		{"mobiletargeting:Get*", "mobiletargeting:GetApp"},
		{"sms-voice:putoptedO?tNumbeR", "sms-voice:PutOptedOutNumber"},
		{"*:*Channel", "mobiletargeting:GetSmsChannel"},
		{"a*b*c*d", "aXbYcZd"},
		{"*?*", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !isASCIIString(pattern) || !isASCIIString(s) {
			t.Skip()
		}
		var re strings.Builder
		re.WriteString("(?is)^")
		for _, ch := range pattern {
			switch ch {
			case '*':
				re.WriteString(".*")
			case '?':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(ch)))
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(s)
		require.Equal(t, want, matchWildcardFold(pattern, s), "matchWildcardFold(%q, %q), want what regexp %s says", pattern, s, re.String())
	})
}

func isASCIIString(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
