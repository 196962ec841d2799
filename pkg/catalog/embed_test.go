package catalog

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// originalsFile records the SHA-256 of each original the files in data/
// are copied from, as sha256sum prints them; whoever copies regenerated
// originals into data/ updates it in the same change:
//
//	(cd <originals> && sha256sum global-condition-keys.json mobiletargeting.json sms-voice.json README.md) > testdata/originals.sha256
const originalsFile = "testdata/originals.sha256"

// TestEmbeddedCopyMatchesOriginals keeps data/ identical to the originals
// it was copied from: an edit of data/ by hand, or a file copied without
// its checksum, fails here.
func TestEmbeddedCopyMatchesOriginals(t *testing.T) {
	t.Parallel()
	f, err := os.Open(originalsFile)
	require.NoError(t, err)
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		require.True(t, ok, "%s: line %q is not \"<sha256>  <name>\"", originalsFile, sc.Text())
		sums[name] = sum
	}
	require.NoError(t, sc.Err())

	want := append(append([]string{}, serviceFiles...), globalFile, "README.md")
	names := make([]string, 0, len(sums))
	for name := range sums {
		names = append(names, name)
	}
	assert.ElementsMatch(t, want, names, "%s lists other files than data/ embeds", originalsFile)
	for _, name := range slices.Sorted(slices.Values(want)) {
		embedded, err := dataFS.ReadFile("data/" + name)
		require.NoError(t, err, "embedded %s", name)
		got := sha256.Sum256(embedded)
		assert.Equal(t, sums[name], hex.EncodeToString(got[:]),
			"data/%s is not the original %s records: copy the original, or update %[2]s with it", name, originalsFile)
	}
}
