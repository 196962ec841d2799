package engine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// FuzzSplitARN checks the word-at-a-time ARN splitting against
// strings.SplitN: splitARN, arnAccount and IsARN agree with it on every
// input.
func FuzzSplitARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::111122223333:user/alice",
		"arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123/segments/seg1",
		"arn:aws:sts::111122223333:assumed-role/Admin/session:with:colons",
		"arn:aws-cn:s3:::bucket", "arn:::::", "arn:a:b:c", "ARN:aws:iam::1:root", "*", "",
		"arn:aws:iam::111122223333", "arn:aws:iam::111122223333:", "arn:aws:mobiletargeting:us-east-1:;;;;;:x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts := strings.SplitN(s, ":", 6)
		wantOK := len(parts) == 6 && parts[0] == "arn"
		var want arnParts
		if wantOK {
			want = arnParts{partition: parts[1], service: parts[2], region: parts[3], account: parts[4], resource: parts[5]}
		}
		got, ok := splitARN(s)
		assert.Equal(t, wantOK, ok, "splitARN(%q) ok", s)
		assert.Equal(t, want, got, "splitARN(%q)", s)
		assert.Equal(t, want.account, arnAccount(s), "arnAccount(%q)", s)
		assert.Equal(t, wantOK, IsARN(s), "IsARN(%q)", s)
	})
}
