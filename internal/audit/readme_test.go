package audit_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/audit"
)

// TestREADMEExample checks that the example record in README.md's
// "Security model" section is one the Logger writes: it decodes into a
// Record with no unknown field and encodes back to the same line.
func TestREADMEExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(data), "## Security model\n")
	require.True(t, ok, "README.md has no Security model section")
	section, _, _ = strings.Cut(section, "\n## ")
	var example string
	for line := range strings.SplitSeq(section, "\n") {
		if strings.HasPrefix(line, `{"time":`) {
			example = line
		}
	}
	require.NotEmpty(t, example, "no example record in the Security model section")
	dec := json.NewDecoder(strings.NewReader(example))
	dec.DisallowUnknownFields()
	var r audit.Record
	require.NoError(t, dec.Decode(&r))
	again, err := json.Marshal(&r) // as Logger encodes
	require.NoError(t, err)
	assert.Equal(t, example, string(again))
}
