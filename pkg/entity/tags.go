package entity

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkTags checks tag keys and values against the AWS tagging rules: keys of
// 1 to 128 characters not starting with "aws:", values of at most 256, both
// of letters, digits, white space and _.:/=+-@. Keys that differ only in
// case are an error too: condition keys compare without regard to case, so
// aws:ResourceTag/Team and aws:ResourceTag/team are one key.
//
// https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html
func checkTags(r *entityReport, tags map[string]string) {
	lower := make(map[string]string, len(tags))
	for _, k := range sortedKeys(tags) {
		f := fmt.Sprintf("tags[%q]", k)
		switch {
		case k == "":
			r.errorf("tags", "a tag key must not be empty")
		case utf8.RuneCountInString(k) > 128:
			r.errorf(f, "tag key is longer than 128 characters")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			r.errorf(f, "tag keys starting with \"aws:\" are reserved for AWS")
		case !validTagText(k):
			r.errorf(f, "tag key holds a character outside letters, digits, spaces and _.:/=+-@")
		}
		v := tags[k]
		switch {
		case utf8.RuneCountInString(v) > 256:
			r.errorf(f, "tag value is longer than 256 characters")
		case !validTagText(v):
			r.errorf(f, "tag value %q holds a character outside letters, digits, spaces and _.:/=+-@", v)
		}
		if other, dup := lower[strings.ToLower(k)]; dup {
			r.errorf(f, "tag keys %q and %q differ only in case; condition keys ignore case, so keep one", other, k)
		} else {
			lower[strings.ToLower(k)] = k
		}
	}
}

func validTagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if !isTagChar(c) {
			return false
		}
	}
	return true
}

func isTagChar(c rune) bool {
	return unicode.IsLetter(c) || unicode.IsNumber(c) || unicode.Is(unicode.Z, c) || strings.ContainsRune("_.:/=+-@", c)
}
