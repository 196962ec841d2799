package conformance_test

import (
	"bufio"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/conformance"
)

// TestPublicCorpus decides every case of the public corpus and requires the
// expected decision.
func TestPublicCorpus(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load()
	require.NoError(t, err)
	f, err := os.Open("../engine/testdata/public.jsonl")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		c, err := conformance.Decode(sc.Bytes())
		require.NoError(t, err, "line %d", n+1)
		n++
		t.Run(c.ID, func(t *testing.T) {
			got, err := c.Evaluate(cat)
			require.NoError(t, err, "evaluate (features %v)", c.Features)
			assert.Equal(t, c.Expect, got.String(), "decision (features %v)", c.Features)
		})
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, 721, n, "cases read")
}
