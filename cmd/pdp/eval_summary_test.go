package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEvalSummary checks --summary: on by default when a case has an
// expect, the agreement count and every mismatch in input order on stderr,
// and exit 1 on any mismatch.
func TestEvalSummary(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../pkg/engine/testdata/public.jsonl")
	require.NoError(t, err)
	corpus := strings.SplitN(string(data), "\n", 4)[:3] // three cases with expect
	for _, l := range corpus {
		require.Contains(t, l, `"expect":"`)
	}
	// flip returns the case with its expect replaced by a wrong decision.
	flip := func(line string) string {
		for _, d := range []string{"Allow", "ExplicitDeny", "ImplicitDeny"} {
			if strings.Contains(line, `"expect":"`+d+`"`) {
				wrong := "ExplicitDeny"
				if d == wrong {
					wrong = "Allow"
				}
				return strings.Replace(line, `"expect":"`+d+`"`, `"expect":"`+wrong+`"`, 1)
			}
		}
		require.FailNow(t, "no expect", "no expect in %s", line)
		return ""
	}
	examples, err := os.ReadFile("../../examples/requests.jsonl")
	require.NoError(t, err)
	noExpect := strings.SplitN(string(examples), "\n", 2)[0]
	require.NotContains(t, noExpect, `"expect"`)

	tests := []struct {
		name       string
		args       []string
		input      []string
		wantCode   int
		wantStderr []string // lines, in order; nil: stderr empty
	}{
		{
			name:       "all agree",
			input:      corpus,
			wantStderr: []string{"pdp eval: 3 of 3 cases with an expect agree"},
		},
		{
			name:     "mismatches",
			input:    []string{corpus[0], flip(corpus[1]), noExpect, flip(corpus[2])},
			wantCode: 1,
			wantStderr: []string{
				"pdp eval: 1 of 3 cases with an expect agree (1 case without an expect); 2 disagree:",
				`  "gen-p-00002": expect `, `  "gen-p-00003": expect `,
			},
		},
		{
			name:     "mismatch with summary off",
			args:     []string{"--summary=false"},
			input:    []string{flip(corpus[0])},
			wantCode: 0,
		},
		{
			name:  "no expect: no summary",
			input: []string{noExpect},
		},
		{
			name:       "no expect, summary asked",
			args:       []string{"--summary"},
			input:      []string{noExpect},
			wantStderr: []string{"pdp eval: 0 of 0 cases with an expect agree (1 case without an expect)"},
		},
		{
			name:     "undecidable case counts as a mismatch",
			input:    []string{`{"id":"broken","expect":"Allow","identity_policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}],"request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"mobiletargeting:GetApp","resource":"*","context":{}}}`},
			wantCode: 1,
			wantStderr: []string{
				"pdp eval: 0 of 1 cases with an expect agree; 1 disagree:",
				`  "broken": expect Allow, got error: `,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			input := strings.Join(tc.input, "\n") + "\n"
			code, stdout, stderr := runPDP(t, strings.NewReader(input), append([]string{"eval", "--ordered"}, tc.args...)...)
			assert.Equal(t, tc.wantCode, code, "stderr %q", stderr)
			assert.Equal(t, len(tc.input), strings.Count(stdout, "\n"), "one output line per case")
			if tc.wantStderr == nil {
				assert.Empty(t, stderr)
				return
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			require.Len(t, lines, len(tc.wantStderr), "stderr %q", stderr)
			for i, want := range tc.wantStderr {
				assert.True(t, strings.HasPrefix(lines[i], want), "stderr line %q, want it to start with %q", lines[i], want)
			}
		})
	}
}
