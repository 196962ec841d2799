package main

import (
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// The request in the shape of "aws iam simulate-custom-policy
// --generate-cli-skeleton", with the skeleton's empty placeholders left in
// (ResourcePolicy, ResourceOwner, ResourceHandlingOption, MaxItems,
// Marker), and the answer in the AWS CLI's output shape.
const (
	customInput  = "testdata/simulate-custom-policy.json"
	customOutput = "testdata/simulate-custom-policy.out.json"
)

// startSimulatorServer serves the example model with the simulator on a
// loopback port until the test ends and returns the address.
func startSimulatorServer(t *testing.T) string {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	set, err := entity.LoadDir(os.DirFS(modelDir), ".")
	require.NoError(t, err)
	res, err := set.Resolve(cat)
	require.NoError(t, err)
	snap, err := snapshot.Compile(cat, res, 1, nil)
	require.NoError(t, err)
	srv := server.New(server.Config{}, cat, nil)
	srv.Activate(snap)
	gs := server.NewGRPCServer(server.GRPCConfig{}, nil)
	srv.Register(gs)
	server.NewSimulator(srv).Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	t.Cleanup(func() {
		gs.Stop()
		assert.NoError(t, <-served)
	})
	return lis.Addr().String()
}

// TestSimulateCustomSkeleton reads AWS's skeleton shape and prints AWS's
// output shape, in-process and through a server alike, byte for byte.
func TestSimulateCustomSkeleton(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile(customOutput)
	require.NoError(t, err)
	addr := startSimulatorServer(t)
	for _, args := range [][]string{
		{"simulate", "custom", "--cli-input-json", "file://" + customInput},
		{"simulate", "custom", "--cli-input-json", customInput, "-addr", addr},
		{"simulate", "-addr", addr, "custom", "--cli-input-json", customInput},
	} {
		code, stdout, stderr := runPDP(t, nil, args...)
		require.Equal(t, exitOK, code, "%v: %s", args, stderr)
		assert.Equal(t, string(want), stdout, "%v", args)
		assert.Empty(t, stderr)
	}
	// The keys come in AWS's order, indented by four spaces.
	assert.True(t, strings.HasPrefix(string(want), "{\n    \"EvaluationResults\": [\n        {\n            \"EvalActionName\""))
	var out struct {
		EvaluationResults []struct{ EvalActionName, EvalDecision string }
	}
	require.NoError(t, json.Unmarshal(want, &out))
	var got []string
	for _, r := range out.EvaluationResults {
		got = append(got, r.EvalActionName+"="+r.EvalDecision)
	}
	assert.Equal(t, []string{"mobiletargeting:GetApp=allowed", "mobiletargeting:DeleteApp=explicitDeny",
		"mobiletargeting:CreateApp=implicitDeny"}, got)
}

// TestSimulatePrincipal simulates a user of the served model.
func TestSimulatePrincipal(t *testing.T) {
	t.Parallel()
	addr := startSimulatorServer(t)
	in := `{"PolicySourceArn": "` + alice + `", "ActionNames": ["mobiletargeting:GetSegments"],
		"ResourceArns": ["` + growthApp + `"],
		"ContextEntries": [{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["us-east-1"], "ContextKeyType": "string"}]}`
	code, stdout, stderr := runPDP(t, strings.NewReader(in), "simulate", "principal", "--cli-input-json", "-", "-addr", addr)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"EvalDecision": "allowed"`)
	assert.Contains(t, stdout, `"SourcePolicyType": "user-managed"`)
	assert.Contains(t, stdout, `"AllowedByOrganizations": true`)
}

// TestSimulatePages: with MaxItems the command prints one page and its
// Marker; without, it fetches every page.
func TestSimulatePages(t *testing.T) {
	t.Parallel()
	actions := make([]string, 120)
	for i := range actions {
		actions[i] = `"mobiletargeting:GetApp"`
	}
	in := `{"PolicyInputList": ["{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"],
		"ActionNames": [` + strings.Join(actions, ",") + `]`
	var out struct {
		EvaluationResults []json.RawMessage
		IsTruncated       bool
		Marker            string
	}
	code, stdout, stderr := runPDP(t, strings.NewReader(in+`, "MaxItems": 7}`), "simulate", "custom", "--cli-input-json", "-")
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	assert.Len(t, out.EvaluationResults, 7)
	assert.True(t, out.IsTruncated)
	assert.NotEmpty(t, out.Marker)

	out.EvaluationResults, out.IsTruncated, out.Marker = nil, false, ""
	code, stdout, stderr = runPDP(t, strings.NewReader(in+`}`), "simulate", "custom", "--cli-input-json", "-")
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	assert.Len(t, out.EvaluationResults, 120)
	assert.False(t, out.IsTruncated)
	assert.NotContains(t, stdout, "Marker")
}

func TestSimulateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		stderr   string
	}{
		{"no mode", "", []string{"simulate"}, exitUsage, "missing mode"},
		{"unknown mode", "", []string{"simulate", "group", "--cli-input-json", "-"}, exitUsage, `unknown mode "group"`},
		{"no input", "", []string{"simulate", "custom"}, exitUsage, "missing --cli-input-json"},
		{"principal needs a server", "{}", []string{"simulate", "principal", "--cli-input-json", "-"}, exitUsage, "-addr"},
		{"unknown member", `{"PolicyInputs": []}`, []string{"simulate", "custom", "--cli-input-json", "-"}, exitUsage, "PolicyInputs"},
		{"unreadable file", "", []string{"simulate", "custom", "--cli-input-json", "file://testdata/no-such-file.json"}, exitUsage, "no-such-file"},
		{"a value not of its type", `{"PolicyInputList": [], "ActionNames": ["mobiletargeting:GetApp"],
			"ContextEntries": [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["here"], "ContextKeyType": "ip"}]}`,
			[]string{"simulate", "custom", "--cli-input-json", "-"}, exitFailure, "ContextEntries[0].ContextKeyValues[0]"},
		{"malformed policy", `{"PolicyInputList": ["{\"Version\":\"2012-10-17\",\n\"Statement\":[}"], "ActionNames": ["mobiletargeting:GetApp"]}`,
			[]string{"simulate", "custom", "--cli-input-json", "-"}, exitFailure, "PolicyInputList[0]: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, strings.NewReader(tc.stdin), tc.args...)
			assert.Equal(t, tc.wantCode, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.stderr)
		})
	}
}
