package entity

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// loadCatalog loads the embedded catalog.
func loadCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// mapFS builds a file system from file names and contents.
func mapFS(files map[string]string) fstest.MapFS {
	fsys := make(fstest.MapFS, len(files))
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

// problems returns the messages of err, which must be a Problems, one per
// finding.
func problems(tb testing.TB, err error) []string {
	tb.Helper()
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) || len(ps) == 0 {
		tb.Fatalf("error is not a non-empty Problems: %T %v", err, err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Error()
	}
	return out
}

// checkContains reports each wanted substring missing from the messages.
func checkContains(tb testing.TB, got []string, want []string) {
	tb.Helper()
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			tb.Errorf("missing %q in:\n%s", w, all)
		}
	}
}
