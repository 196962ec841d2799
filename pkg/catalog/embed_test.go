package catalog

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir holds the originals of data/, relative to this package in the
// workspace layout (/work/main/pkg/catalog → /work/shared/catalog).
const sharedDir = "../../../shared/catalog"

// TestEmbeddedCopyMatchesShared keeps data/ identical to the shared catalog:
// when the originals are regenerated, this test fails until they are copied.
func TestEmbeddedCopyMatchesShared(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(sharedDir); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent (checkout without the shared workspace); nothing to compare", sharedDir)
	}
	for _, name := range append(append([]string{}, serviceFiles...), globalFile, "README.md") {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			embedded, err := dataFS.ReadFile("data/" + name)
			if err != nil {
				t.Fatalf("embedded %s: %v", name, err)
			}
			shared, err := os.ReadFile(filepath.Join(sharedDir, name))
			if err != nil {
				t.Fatalf("shared %s: %v", name, err)
			}
			if !bytes.Equal(embedded, shared) {
				t.Errorf("data/%s differs from %s/%s at byte %d (sizes %d and %d); copy it: cp %[2]s/%[1]s data/",
					name, sharedDir, name, firstDiff(embedded, shared), len(embedded), len(shared))
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
