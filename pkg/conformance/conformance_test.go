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
	runCorpus(t, "../engine/testdata/public.jsonl", 721)
}

// TestDocumentedCorpus decides the cases written from the AWS
// documentation, each with the sentence it follows in its note and the page
// in its doc: operators on malformed request values, the W3C date forms,
// set operators with every operator family, policy variables (defaults, no
// value, Null), and the interplay of identity, resource, boundary, session
// and service control policies in one account and across accounts.
func TestDocumentedCorpus(t *testing.T) {
	t.Parallel()
	runCorpus(t, "../engine/testdata/documented.jsonl", 462)
}

// runCorpus decides every case of a corpus file, requires its expected
// decision, and checks that the file holds want cases.
func runCorpus(t *testing.T, path string, want int) {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	f, err := os.Open(path)
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
			assert.Equal(t, c.Expect, got.String(), "decision (features %v; %s)", c.Features, c.Note)
		})
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, want, n, "cases read")
}
