package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/awsfixture"
)

// TestExportScript runs scripts/export-aws.sh against a stand-in aws on
// PATH that answers each command with the fixture's output and records its
// arguments, then imports what the script saved.
func TestExportScript(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	require.NoError(t, err, "the export script needs bash")
	f := awsfixture.New(awsfixture.Small)
	dir := t.TempDir()
	const global = "--region us-east-1 "

	// The answers: argv → output.
	answers := map[string][]byte{
		global + "iam get-account-authorization-details --filter User Role Group LocalManagedPolicy AWSManagedPolicy --output json": f.GAAD(awsfixture.Object, 1)[0],
	}
	for name, data := range f.OrganizationFiles() {
		name = strings.TrimSuffix(name, ".json")
		cmd, arg, _ := strings.Cut(name, "/")
		argv := global + "organizations " + cmd
		switch cmd {
		case "list-accounts-for-parent", "list-organizational-units-for-parent":
			argv += " --parent-id " + arg
		case "describe-policy", "list-targets-for-policy":
			argv += " --policy-id " + arg
		case "list-policies":
			argv += " --filter SERVICE_CONTROL_POLICY"
		}
		answers[argv+" --output json"] = data
	}
	var noPolicy []string // get-resource-policy calls the stand-in fails
	for name, data := range f.PinpointFiles() {
		name = strings.TrimSuffix(name, ".json")
		svc, rest, _ := strings.Cut(name, "/")
		if svc == "sms-voice" {
			svc = "pinpoint-sms-voice-v2"
		}
		cmd, arg, _ := strings.Cut(rest, "/")
		if cmd == "list-tags-for-resource" && svc == "pinpoint" {
			continue // the script reads app tags from get-apps
		}
		argv := global + svc + " " + cmd
		if arg != "" {
			arn := strings.NewReplacer("%2F", "/", "%3A", ":", "%25", "%").Replace(arg)
			argv += " --resource-arn " + arn
			if cmd == "list-tags-for-resource" && !strings.Contains(arn, ":configuration-set/") {
				pol := global + svc + " get-resource-policy --resource-arn " + arn + " --output json"
				if _, ok := f.PinpointFiles()["sms-voice/get-resource-policy/"+arg+".json"]; !ok {
					noPolicy = append(noPolicy, pol)
				}
			}
		}
		answers[argv+" --output json"] = data
	}

	// The stand-in aws.
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "answers"), 0o755))
	require.NoError(t, os.MkdirAll(bin, 0o755))
	var script strings.Builder
	script.WriteString("#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> \"$AWS_ARGV_LOG\"\ncase \"$*\" in\n")
	i := 0
	for argv, data := range answers {
		file := filepath.Join(dir, "answers", fmt.Sprintf("%d.json", i))
		i++
		require.NoError(t, os.WriteFile(file, data, 0o600))
		fmt.Fprintf(&script, "  %q) cat %q ;;\n", argv, file)
	}
	script.WriteString("  *get-resource-policy*) echo 'An error occurred (ResourceNotFoundException) when calling the GetResourcePolicy operation' >&2; exit 254 ;;\n")
	script.WriteString("  *) echo \"stand-in aws: unexpected call: $*\" >&2; exit 255 ;;\nesac\n")
	require.NoError(t, os.WriteFile(filepath.Join(bin, "aws"), []byte(script.String()), 0o755))

	out := filepath.Join(dir, "export")
	log := filepath.Join(dir, "argv.log")
	cmd := exec.CommandContext(t.Context(), bash, filepath.Join("..", "..", "scripts", "export-aws.sh"), "-o", out, "--region", "us-east-1")
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "AWS_ARGV_LOG=" + log}
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "export-aws.sh:\n%s", output)

	// Every answer was asked for, once, and nothing else but the failing
	// resource policy look-ups.
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	calls := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := append(noPolicy, keys(answers)...)
	sort.Strings(want)
	got := append([]string(nil), calls...)
	sort.Strings(got)
	assert.Empty(t, missing(want, got), "calls the script did not make")
	assert.Empty(t, missing(got, want), "calls the script made unexpectedly")
	assert.Equal(t, global+"iam get-account-authorization-details --filter User Role Group LocalManagedPolicy AWSManagedPolicy --output json", calls[0])
	assert.Contains(t, string(output), "skipped pinpoint-sms-voice-v2 get-resource-policy")

	// What the script saved imports to what the fixture's own files do.
	fromScript, fromFixture := t.TempDir(), t.TempDir()
	importMust(t, "--gaad", filepath.Join(out, "gaad.json"), "--organization", filepath.Join(out, "organization"),
		"--pinpoint", filepath.Join(out, "pinpoint"), "--out", fromScript)
	args := exportDir(t, f, awsfixture.Object, 1)
	importMust(t, append(args[:len(args)-2:len(args)-2], "--out", fromFixture)...) // without --resource-policies
	a, b := readTree(t, fromFixture), readTree(t, fromScript)
	for name, data := range a {
		assert.Equal(t, data, b[name], "file %s", name)
	}
	assert.Empty(t, missing(keys(b), keys(a)), "files the script's export adds")
}

// missing lists the elements of want that got lacks.
func missing(want, got []string) []string {
	have := make(map[string]bool, len(got))
	for _, g := range got {
		have[g] = true
	}
	var out []string
	for _, w := range want {
		if !have[w] {
			out = append(out, w)
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
