package entity

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsTestFile(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"model_test.yaml": true, "dir/Model_TEST.YML": true, "model.yaml": false,
		"test.yaml": false, "model_test.json": false, "tests/model.yaml": false,
	} {
		assert.Equal(t, want, IsTestFile(name), name)
	}
}

func TestLoadDirLeavesOutTestFiles(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"accounts.yaml":   {Data: []byte("accounts:\n  - id: \"111122223333\"\n")},
		"model_test.yaml": {Data: []byte("tests:\n  - name: not a bundle\n")},
	}
	set, err := LoadDir(fsys, ".")
	require.NoError(t, err)
	assert.Len(t, set.Accounts, 1)
}
