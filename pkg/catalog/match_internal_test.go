package catalog

import (
	"regexp"
	"strings"
	"testing"
)

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
		if got := matchWildcardFold(pattern, s); got != want {
			t.Fatalf("matchWildcardFold(%q, %q) = %t, regexp %s says %t", pattern, s, got, re.String(), want)
		}
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
