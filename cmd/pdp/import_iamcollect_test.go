package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/awsfixture"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

// The committed CLI export of the fixture and the same account and
// organization as iam-collect stores them.
const (
	committedExport = "../../pkg/awsimport/testdata/export"
	committedIAMCol = "../../pkg/awsimport/testdata/iamcollect"
)

// TestImportIAMCollectDecidesAsExport imports the account once from its CLI
// export and once from its iam-collect tree (with the same Pinpoint and
// resource policy exports) and serves both directories: every request of
// the equivalence set gets the same decision. The bytes cannot all be the
// same: iam-collect stores documents with sorted keys and sorted arrays, so
// statements and trust policies come out in its order, and it keeps no
// account names; every other file is identical.
func TestImportIAMCollectDecidesAsExport(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load()
	require.NoError(t, err)
	common := []string{"--pinpoint", committedExport + "/pinpoint", "--resource-policies", committedExport + "/resource-policies"}
	fromExport, fromIAMCollect := t.TempDir(), t.TempDir()
	importMust(t, append([]string{"--gaad", committedExport + "/gaad-object-1.json", "--gaad", committedExport + "/gaad-object-2.json",
		"--organization", committedExport + "/organization", "--out", fromExport}, common...)...)
	_, stderr := importMust(t, append([]string{"--iam-collect", committedIAMCol, "--out", fromIAMCollect}, common...)...)
	assert.Contains(t, stderr, "user            imported 60")
	assert.Contains(t, stderr, "scp             imported 5")

	want, got := readTree(t, fromExport), readTree(t, fromIAMCollect)
	require.ElementsMatch(t, keys(want), keys(got))
	for name, w := range want {
		switch {
		case name == "accounts.json" || name == "roles.json" || strings.HasPrefix(name, "policies/") && !strings.HasPrefix(name, "policies/resource/"):
			// Names, trust policies and documents: compared by decisions.
		default:
			assert.Equal(t, w, got[name], "%s differs", name)
		}
	}

	reqs := equivalenceRequests(awsfixture.New(awsfixture.Small))
	require.GreaterOrEqual(t, len(reqs), 10_000)
	a, b := serveDir(t, cat, fromExport), serveDir(t, cat, fromIAMCollect)
	mismatches, allowed := 0, 0
	for i, r := range reqs {
		wantResp, err := a.Check(t.Context(), r.proto())
		require.NoError(t, err, "request %d", i)
		gotResp, err := b.Check(t.Context(), r.proto())
		require.NoError(t, err, "request %d", i)
		if gotResp.GetDecision() != wantResp.GetDecision() {
			mismatches++
			if mismatches <= 10 {
				assert.Equal(t, wantResp.GetDecision(), gotResp.GetDecision(), "request %+v: from iam-collect, want what the export decides", r)
			}
		}
		if wantResp.GetDecision() == pdpv1.Decision_DECISION_ALLOW {
			allowed++
		}
	}
	assert.Zero(t, mismatches, "of %d requests", len(reqs))
	assert.Positive(t, allowed)
}

// TestImportIAMCollectFlags: --iam-collect stands in for --gaad, and holds
// the organization, so --organization beside it is refused.
func TestImportIAMCollectFlags(t *testing.T) {
	t.Parallel()
	code, _, stderr := runPDP(t, nil, "import", "aws", "--iam-collect", committedIAMCol,
		"--organization", committedExport+"/organization", "--out", t.TempDir())
	assert.NotEqual(t, exitOK, code)
	assert.Contains(t, stderr, "leave out --organization")

	code, _, stderr = runPDP(t, nil, "import", "aws", "--iam-collect", t.TempDir(), "--out", t.TempDir())
	assert.NotEqual(t, exitOK, code)
	assert.Contains(t, stderr, "no aws/ directory")
}
