package audit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"
)

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    string
		wantLen int
	}{
		{name: "short", in: "abc", want: "abc"},
		{name: "exactly the limit", in: strings.Repeat("a", 256), want: strings.Repeat("a", 256)},
		{name: "one byte over", in: strings.Repeat("a", 257), want: strings.Repeat("a", 256), wantLen: 257},
		{name: "character across the limit", in: "a" + strings.Repeat("é", 200), want: "a" + strings.Repeat("é", 127), wantLen: 401},
		{name: "invalid UTF-8 is cut at the limit", in: strings.Repeat("\xff", 300), want: strings.Repeat("\xff", 256), wantLen: 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, n := truncate(tc.in)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.wantLen, n)
		})
	}
}

func TestCodeName(t *testing.T) {
	t.Parallel()
	for c, want := range map[codes.Code]string{
		codes.OK: "OK", codes.Canceled: "CANCELLED", codes.PermissionDenied: "PERMISSION_DENIED",
		codes.ResourceExhausted: "RESOURCE_EXHAUSTED", codes.Unauthenticated: "UNAUTHENTICATED", codes.Code(42): "CODE_42",
	} {
		assert.Equal(t, want, codeName(c), "code %d", c)
	}
}
