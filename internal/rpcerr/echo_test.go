package rpcerr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClip(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 3_000_000)
	tests := []struct {
		name      string
		in        string
		wantClip  string
		wantQuote string
	}{
		{name: "short", in: "abc", wantClip: "abc", wantQuote: `"abc"`},
		{name: "at the bound", in: long[:MaxEcho], wantClip: long[:MaxEcho], wantQuote: `"` + long[:MaxEcho] + `"`},
		{name: "long", in: long, wantClip: long[:MaxEcho] + "… (3000000 bytes)",
			wantQuote: `"` + long[:MaxEcho] + `…" (3000000 bytes)`},
		{name: "cut between characters", in: strings.Repeat("é", 200), // 2 bytes each
			wantClip: strings.Repeat("é", 128) + "… (400 bytes)", wantQuote: `"` + strings.Repeat("é", 128) + `…" (400 bytes)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.wantClip, Clip(tc.in))
			assert.Equal(t, tc.wantQuote, Quote(tc.in))
		})
	}
}

func TestClipMessage(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("b", 1000)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "short", in: `unknown action "x"`, want: `unknown action "x"`},
		{name: "long quoted values", in: `want a number, not "` + long + `" or "` + long + `"`,
			want: `want a number, not "` + long[:MaxEcho] + `…" (1000 bytes) or "` + long[:MaxEcho] + `…" (1000 bytes)`},
		{name: "already quoted by Quote", in: "x " + Quote(long), want: "x " + Quote(long)},
		{name: "unmatched Quote", in: `a "` + long, want: `a "` + long},
		{name: "long text", in: strings.Repeat("c", 3*maxDescription),
			want: strings.Repeat("c", maxDescription) + "… (12288 bytes)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, ClipMessage(tc.in))
		})
	}
}
