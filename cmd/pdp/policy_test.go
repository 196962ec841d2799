package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/entity"
)

const (
	carol = "arn:aws:iam::111122223333:user/carol"
	dave  = "arn:aws:iam::111122223333:user/dave"
)

// carolBundle is a policy directory's bundle that adds carol to marketing.
const carolBundle = `users:
  - arn: arn:aws:iam::111122223333:user/carol
    groups: [marketing]
    tags: {team: growth}
`

// policyRun runs "pdp policy --addr ADDR ARGS…" against a server.
func policyRun(t *testing.T, addr string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runPDP(t, nil, append([]string{"policy", "--addr", addr}, args...)...)
}

// policyMust runs pdp policy and fails the test unless it exits 0.
func policyMust(t *testing.T, addr string, args ...string) string {
	t.Helper()
	code, stdout, stderr := policyRun(t, addr, args...)
	if code != exitOK {
		t.Fatalf("pdp policy %q: exit %d; stderr:\n%s", args, code, stderr)
	}
	return stdout
}

// startMemoryServe runs pdp serve on a memory store seeded with the
// example model.
func startMemoryServe(t *testing.T) *runningServe {
	t.Helper()
	return startServe(t, "--store", "memory", "--seed", modelDir, "--drain-delay", "0")
}

// writeDir writes files into a new directory and returns it.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// wantLines fails the test unless text is exactly the lines matching the
// patterns, in order.
func wantLines(t *testing.T, what, text string, patterns ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if text == "" {
		lines = nil
	}
	ok := len(lines) == len(patterns)
	for i := 0; ok && i < len(lines); i++ {
		ok = regexp.MustCompile("^" + patterns[i] + "$").MatchString(lines[i])
	}
	if !ok {
		t.Errorf("%s:\n%s\nwant lines matching\n%s", what, text, strings.Join(patterns, "\n"))
	}
}

// dryRunImpactPatterns are the lines a dry run of dave joining or leaving
// the marketing group prints: 15 answers change, on 8 actions; 8 changes
// fit under the summary, 7 lines are left out.
func dryRunImpactPatterns(rev int, user, counts, userCounts, change string) []string {
	out := []string{fmt.Sprintf("valid at revision %d", rev), `impact: 15 changes \(` + counts + `\)`,
		"by principal:", "  " + user + ` +15 changed \(` + userCounts + `\)`, "by action:"}
	for range 8 {
		out = append(out, `  \S+ +\d+ changed \(\+\d+ -\d+\)`)
	}
	out = append(out, "changes:")
	for range 8 {
		out = append(out, "  "+user+` \S+ \S+: `+change)
	}
	return append(out, "  … 7 more lines")
}

// TestPolicyCommands drives every pdp policy subcommand against pdp serve
// on a seeded memory store, one after the other as an administrator would.
func TestPolicyCommands(t *testing.T) {
	t.Parallel()
	s := startMemoryServe(t)
	addr := s.addr
	carolDir := writeDir(t, map[string]string{"users.yaml": carolBundle})
	daveDir := writeDir(t, map[string]string{"users.yaml": "users:\n  - arn: " + dave + "\n    groups: [marketing]\n"})
	q := regexp.QuoteMeta
	const when = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`

	// apply: revision 2 is carol's.
	out := policyMust(t, addr, "--author", "ann", "-m", "carol joins", "-f", carolDir, "apply")
	wantLines(t, "apply", out, "revision 2")

	// --dry-run validates, writes nothing and prints the impact: the
	// summary, the counts, and the first changes.
	out = policyMust(t, addr, "--dry-run", "-f", daveDir, "apply")
	wantLines(t, "apply --dry-run", out, dryRunImpactPatterns(2, q(dave), `13 gained, 0 lost`, `\+13 -0`,
		"IMPLICIT_DENY -> CONDITIONAL")...)
	if code, _, stderr := policyRun(t, addr, "get", "user", dave); code != exitFailure || !strings.Contains(stderr, "NotFound") {
		t.Errorf("get dave after a dry run: exit %d, %s; want 1 NotFound", code, stderr)
	}

	// get: the document, now and in the past.
	var doc entity.User
	if err := json.Unmarshal([]byte(policyMust(t, addr, "get", "user", carol)), &doc); err != nil ||
		doc.ARN != carol || len(doc.Groups) != 1 || doc.Groups[0] != "marketing" {
		t.Errorf("get carol = %+v, %v; want her in marketing", doc, err)
	}
	if code, _, stderr := policyRun(t, addr, "--revision", "1", "get", "user", carol); code != exitFailure ||
		!strings.HasPrefix(stderr, "pdp policy get: NotFound: ") {
		t.Errorf("get carol at revision 1: exit %d, %s; want 1 NotFound", code, stderr)
	}

	// list: every user, with the revision that last changed it.
	wantLines(t, "list", policyMust(t, addr, "list", "user"),
		q(alice)+`\t\(revision 1\)`, q("arn:aws:iam::111122223333:user/bob")+`\t\(revision 1\)`, q(carol)+`\t\(revision 2\)`)

	// history and diff.
	wantLines(t, "history", policyMust(t, addr, "history", "user", carol), `2\t`+when+`\tanonymous as "ann" \(peer 127\.0\.0\.1:\d+\)\tcarol joins\tuser/`+q(carol))
	wantLines(t, "history --from 1", policyMust(t, addr, "--from", "1", "history"), `2\t`+when+`\tanonymous as "ann" \(peer 127\.0\.0\.1:\d+\)\tcarol joins\tuser/`+q(carol))
	wantLines(t, "diff", policyMust(t, addr, "diff", "1", "2"), "from revision 1 to 2", "  put    user/"+q(carol))
	wantLines(t, "diff to current", policyMust(t, addr, "diff", "2", "1"), "from revision 2 to 1", "  delete user/"+q(carol))

	// --expect-revision: a stale one is a conflict, and nothing is written.
	code, stdout, stderr := policyRun(t, addr, "--expect-revision", "1", "-f", daveDir, "apply")
	if code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, "pdp policy apply: Aborted: ") || !strings.Contains(stderr, "revision conflict") {
		t.Errorf("apply with a stale --expect-revision: exit %d, stdout %q, stderr %q; want 1 and Aborted", code, stdout, stderr)
	}
	// An invalid change names the field.
	bad := writeDir(t, map[string]string{"users.yaml": "users:\n  - arn: " + dave + "\n    groups: [marketting]\n"})
	code, _, stderr = policyRun(t, addr, "-f", bad, "apply")
	wantStderr := "pdp policy apply: 1 finding from the server (InvalidArgument):\n" +
		filepath.Join(bad, "users.yaml") + ":3:14: error: user \"" + dave + "\": groups[0]: unknown group \"marketting\" in account \"111122223333\" (did you mean \"marketing\"?)\n"
	if code != exitFailure || stderr != wantStderr {
		t.Errorf("apply of an unknown group: exit %d, stderr %q; want 1 and %q", code, stderr, wantStderr)
	}

	// rollback: carol is gone again.
	wantLines(t, "rollback", policyMust(t, addr, "--expect-revision", "2", "rollback", "1"), "revision 3")
	if code, _, _ := policyRun(t, addr, "get", "user", carol); code != exitFailure {
		t.Errorf("get carol after the rollback: exit %d; want 1", code)
	}

	// export, then import it back (no change) and a modified copy.
	bundle := policyMust(t, addr, "export")
	if exported := policyMust(t, addr, "--revision", "1", "export"); exported != bundle {
		t.Errorf("export at 1 differs from export after rolling back to 1:\n%s\n%s", exported, bundle)
	}
	exportFile := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(exportFile, []byte(bundle), 0o600); err != nil {
		t.Fatal(err)
	}
	wantLines(t, "import of the export", policyMust(t, addr, "-f", exportFile, "import"), "revision 3")
	var set entity.Set
	if err := json.Unmarshal([]byte(bundle), &set); err != nil {
		t.Fatalf("export is not a bundle: %v\n%s", err, bundle)
	}
	set.Users = append(set.Users, entity.User{ARN: dave, Groups: []string{"marketing"}})
	modified, err := set.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	modifiedFile := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(modifiedFile, modified, 0o600); err != nil {
		t.Fatal(err)
	}
	wantLines(t, "import --dry-run", policyMust(t, addr, "--dry-run", "-f", modifiedFile, "import"), "valid at revision 3", "  put    user/"+q(dave))
	wantLines(t, "import", policyMust(t, addr, "-f", modifiedFile, "import"), "revision 4", "  put    user/"+q(dave))

	// delete, with and without --dry-run.
	wantLines(t, "delete --dry-run", policyMust(t, addr, "--dry-run", "delete", "user", dave),
		dryRunImpactPatterns(4, q(dave), `0 gained, 13 lost`, `\+0 -13`, "CONDITIONAL -> IMPLICIT_DENY")...)
	wantLines(t, "delete", policyMust(t, addr, "delete", "user", dave), "revision 5")
	if code, _, stderr := policyRun(t, addr, "delete", "user", dave); code != exitFailure || !strings.Contains(stderr, "no such entity") {
		t.Errorf("second delete: exit %d, %s; want 1 and no such entity", code, stderr)
	}
}

// TestPolicyWatch runs pdp policy watch while changes are made, then ends
// it with its context: it prints each change's revision line and changes,
// and exits 0.
func TestPolicyWatch(t *testing.T) {
	t.Parallel()
	s := startMemoryServe(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"policy", "--addr", s.addr, "--from", "1", "watch"}, strings.NewReader(""), out, &syncBuffer{})
	}()
	carolDir := writeDir(t, map[string]string{"users.yaml": carolBundle})
	policyMust(t, s.addr, "--author", "ann", "-m", "carol joins", "-f", carolDir, "apply")
	policyMust(t, s.addr, "--author", "ben", "-m", "carol goes", "delete", "user", carol)

	const when = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`
	q := regexp.QuoteMeta
	want := []string{
		`2\t` + when + `\tanonymous as "ann" \(peer 127\.0\.0\.1:\d+\)\tcarol joins\tuser/` + q(carol), "  put    user/" + q(carol),
		`3\t` + when + `\tanonymous as "ben" \(peer 127\.0\.0\.1:\d+\)\tcarol goes\tuser/` + q(carol), "  delete user/" + q(carol),
	}
	printed := regexp.MustCompile(fmt.Sprintf(`(?:[^\n]*\n){%d}`, len(want)))
	waitCtx, stopWaiting := context.WithTimeout(ctx, 10*time.Second)
	defer stopWaiting()
	if out.Wait(waitCtx, printed) == nil {
		t.Fatalf("watch printed, in 10s:\n%s", out)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("watch exited %d; want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not end with its context")
	}
	wantLines(t, "watch", out.String(), want...)
}

// TestPolicyUsage checks that bad arguments exit 2 before any call.
func TestPolicyUsage(t *testing.T) {
	t.Parallel()
	broken := writeFile(t, "bundle.yaml", "users: [\n")
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "no subcommand", args: nil, wantStderr: "missing subcommand"},
		{name: "unknown subcommand", args: []string{"frob"}, wantStderr: `unknown subcommand "frob"`},
		{name: "unknown flag", args: []string{"--nope", "list", "user"}, wantStderr: "flag provided but not defined: -nope"},
		{name: "timeout", args: []string{"--timeout", "0s", "list", "user"}, wantStderr: "-timeout must be positive"},
		{name: "apply without -f", args: []string{"apply"}, wantStderr: "apply takes -f DIR|FILE and no arguments"},
		{name: "apply with an argument", args: []string{"-f", modelDir, "apply", "extra"}, wantStderr: "apply takes -f"},
		{name: "apply of a missing directory", args: []string{"-f", "no/such/dir", "apply"}, wantStderr: "apply: stat no/such/dir"},
		{name: "import of a broken bundle", args: []string{"-f", broken, "import"}, wantStderr: "import: "},
		{name: "get without id", args: []string{"get", "user"}, wantStderr: "get: want KIND ID"},
		{name: "get of an unknown kind", args: []string{"get", "lambda", "f"}, wantStderr: `unknown kind "lambda"`},
		{name: "list without kind", args: []string{"list"}, wantStderr: "list takes one KIND"},
		{name: "list of an unknown kind", args: []string{"list", "lambda"}, wantStderr: `unknown kind "lambda"`},
		{name: "delete without key", args: []string{"delete"}, wantStderr: "delete: want KIND ID"},
		{name: "history with a kind alone", args: []string{"history", "user"}, wantStderr: "history: want KIND ID"},
		{name: "diff without revisions", args: []string{"diff"}, wantStderr: "diff takes FROM [TO]"},
		{name: "diff with three revisions", args: []string{"diff", "1", "2", "3"}, wantStderr: "diff takes FROM [TO]"},
		{name: "diff of a word", args: []string{"diff", "one"}, wantStderr: `diff: bad revision "one"`},
		{name: "rollback without revision", args: []string{"rollback"}, wantStderr: "rollback takes one REVISION"},
		{name: "rollback of a word", args: []string{"rollback", "x"}, wantStderr: `rollback: bad revision "x"`},
		{name: "rollback dry run", args: []string{"--dry-run", "rollback", "1"}, wantStderr: "rollback has no --dry-run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Nothing listens on port 1; a call would fail with exit 1.
			code, stdout, stderr := policyRun(t, "127.0.0.1:1", tc.args...)
			assert.Equal(t, exitUsage, code, "exit status")
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.wantStderr)
		})
	}
	code, stdout, _ := runPDP(t, nil, "policy", "-h")
	if code != exitOK || !strings.Contains(stdout, "Usage: pdp policy [flags] SUBCOMMAND") || !strings.Contains(stdout, "-expect-revision") {
		t.Errorf("policy -h: exit %d, stdout %q; want 0 and the flags", code, stdout)
	}
	code, _, stderr := policyRun(t, "127.0.0.1:1", "--timeout", "2s", "list", "user")
	if code != exitFailure || !strings.Contains(stderr, "pdp policy list: Unavailable: ") {
		t.Errorf("list with no server: exit %d, stderr %q; want 1 and Unavailable", code, stderr)
	}
}

// TestServeBoltRestart runs pdp serve on the default bolt store twice with
// one data directory: the first run seeds the store and takes a change, the
// second finds both and does not seed again.
func TestServeBoltRestart(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	args := []string{"--seed", modelDir, "--data-dir", dataDir, "--drain-delay", "0"}

	first := startServe(t, args...)
	if log := first.log.String(); !regexp.MustCompile(`msg="seeded the new policy store" .*revision=1`).MatchString(log) ||
		strings.Contains(strings.ReplaceAll(log, `level=WARN msg="admin API open to every caller`, ""), "level=WARN") {
		// The one warning expected says that the loopback admin API is open.
		t.Errorf("first run did not seed, or warned of more than the open admin API; log:\n%s", first.log)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "pdp.db")); err != nil {
		t.Errorf("no bolt file in the data directory: %v", err)
	}
	carolDir := writeDir(t, map[string]string{"users.yaml": carolBundle})
	wantLines(t, "apply", policyMust(t, first.addr, "--author", "ann", "-m", "carol joins", "-f", carolDir, "apply"), "revision 2")
	stop(t, first)

	second := startServe(t, args...)
	if log := second.log.String(); strings.Contains(log, "seeded") || !regexp.MustCompile(`msg=serving .*revision=2`).MatchString(log) ||
		!regexp.MustCompile(`msg="opened the existing policy store; --seed skipped.*revision=2`).MatchString(log) {
		t.Errorf("second run seeded again or is not at revision 2; log:\n%s", log)
	}
	q := regexp.QuoteMeta
	wantLines(t, "history after the restart", policyMust(t, second.addr, "history", "user", carol),
		`2\t\S+\tanonymous as "ann" \(peer 127\.0\.0\.1:\d+\)\tcarol joins\tuser/`+q(carol))
	wantLines(t, "history of the seed", policyMust(t, second.addr, "--from", "0", "--to", "1", "history"),
		`1\t\S+\tpdp serve\tseed from `+q(modelDir)+`\t.*`)

	// The follower of the second run decides on carol's membership.
	conn := dialTest(t, second.addr)
	resp, err := pdpv1.NewAuthorizationServiceClient(conn).Check(t.Context(), &pdpv1.CheckRequest{
		Principal: carol, Action: "mobiletargeting:GetSegment", Resource: segment, MinRevision: 2,
		Context: map[string]*pdpv1.ContextValue{
			"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}},
		},
	})
	if err != nil || resp.GetDecision() != pdpv1.Decision_DECISION_ALLOW || resp.GetRevision() != 2 {
		t.Errorf("carol after the restart: %v, %v; want Allow at revision 2", resp, err)
	}
	stop(t, second)
}

// stop ends a pdp serve and checks that it exits 0.
func stop(t *testing.T, s *runningServe) {
	t.Helper()
	s.cancel()
	select {
	case <-s.done:
		if s.code != exitOK {
			t.Fatalf("pdp serve exited %d; log:\n%s", s.code, s.log)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("pdp serve did not stop; log:\n%s", s.log)
	}
	if !strings.Contains(s.log.String(), "msg=stopped") {
		t.Errorf("no stopped line; log:\n%s", s.log)
	}
}
