package main

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pdp-dev/pdp/internal/awsfixture"
)

// TestImportAppliesOnlyChanges imports into a running server, over
// loopback gRPC, again and again as an administrator would after each
// export: every import is one revision that changes only what changed.
func TestImportAppliesOnlyChanges(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--store", "memory", "--drain-delay", "0")
	f := awsfixture.New(awsfixture.Small)
	q := regexp.QuoteMeta
	apply := func(extra ...string) (string, string) {
		t.Helper()
		return importMust(t, append(append(exportDir(t, f, awsfixture.URL, 2), "--addr", s.addr), extra...)...)
	}

	// The first import writes the whole export as revision 1.
	out, stderr := apply("-m", "first export")
	assert.Regexp(t, `^revision 1\n`, out)
	assert.Contains(t, stderr, "user            imported 60, changed 60, unchanged 0, pruned 0")

	// The same export again: nothing differs, so no revision.
	out, stderr = apply()
	wantLines(t, "unchanged import", out, "unchanged at revision 1")
	assert.Contains(t, stderr, "managed_policy  imported 34, changed 0, unchanged 34, pruned 0")

	// A dry run of a change validates it and writes nothing.
	changed := f.Policies[5]
	changed.Default = (changed.Default + 1) % len(changed.Versions)
	out, _ = apply("--dry-run")
	wantLines(t, "dry run", out, "valid at revision 1", q("  put    managed_policy/"+changed.Name))

	// A new default version of one managed policy: a one-change revision.
	out, stderr = apply("-m", "new default version")
	wantLines(t, "one changed policy", out, "revision 2", q("  put    managed_policy/"+changed.Name))
	assert.Contains(t, stderr, "managed_policy  imported 34, changed 1, unchanged 33, pruned 0")
	assert.Regexp(t, `(?m)^2\t.*\tnew default version\t`, policyMust(t, s.addr, "history", "managed_policy", changed.Name))

	// A user removed from the account: kept without --prune ...
	gone := f.Users[7]
	f.Users = append(f.Users[:7:7], f.Users[8:]...)
	out, _ = apply()
	wantLines(t, "removal without prune", out, "unchanged at revision 2")

	// ... deleted, alone, with it.
	out, stderr = apply("--prune", "-m", "prune")
	wantLines(t, "prune", out, "revision 3", q("  delete user/"+gone.ARN))
	assert.Contains(t, stderr, "user            imported 59, changed 0, unchanged 59, pruned 1")

	// A stale --expect-revision applies nothing.
	f.Policies[6].Default = (f.Policies[6].Default + 1) % len(f.Policies[6].Versions)
	code, _, stderr := runPDP(t, nil, append(append([]string{"import", "aws"}, exportDir(t, f, awsfixture.URL, 2)...),
		"--addr", s.addr, "--expect-revision", "2")...)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "the server is at revision 3, not 2")
}

// TestImportRefusesBadExport sends nothing to the server when the export
// has a problem, and lists the problem with its JSON path.
func TestImportRefusesBadExport(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--store", "memory", "--drain-delay", "0")
	f := awsfixture.New(awsfixture.Small)
	f.Roles[12].Inline = []awsfixture.Inline{{Name: "deploy",
		Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApps","Resource":"*","Condition":{"NumericLessThan":{"aws:SecureTransport":"x"}}}]}`}}
	out := t.TempDir()
	code, stdout, stderr := runPDP(t, nil, append(append([]string{"import", "aws"}, exportDir(t, f, awsfixture.String, 2)...),
		"--addr", s.addr, "--out", out)...)
	assert.Equal(t, exitFailure, code)
	assert.Empty(t, stdout)
	assert.Regexp(t, `(?m)^error: .*gaad-1\.json: RoleDetailList\[12\] \(role/role-12\) RolePolicyList\[0\] "deploy": document \d+:\d+: Statement\[0\]\.Condition`, stderr)
	assert.Contains(t, stderr, "nothing written or applied")
	assert.Empty(t, policyMust(t, s.addr, "list", "user"), "no user reached the server")
	assert.Empty(t, readTree(t, out), "nothing written")
}
