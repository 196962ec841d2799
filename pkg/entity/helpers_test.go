package entity

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// assertElements checks that the list or map got equals want, taking nil
// and empty as the same.
func assertElements(t *testing.T, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	if reflect.ValueOf(want).Len() == 0 {
		return assert.Empty(t, got, msgAndArgs...)
	}
	return assert.Equal(t, want, got, msgAndArgs...)
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
	require.True(tb, errors.As(err, &ps), "error is not a Problems: %T %v", err, err)
	require.NotEmpty(tb, ps, "Problems")
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
		assert.Contains(tb, all, w)
	}
}
