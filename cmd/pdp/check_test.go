package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
)

const modelDir = "../../examples/model"

// Principals and resources of the example model.
const (
	alice     = "arn:aws:iam::111122223333:user/alice"
	analyst   = "arn:aws:sts::111122223333:assumed-role/analyst/report-42"
	partner   = "arn:aws:sts::444455556666:assumed-role/partner-analytics/nightly"
	growthApp = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app"
	segment   = growthApp + "/segments/active-users"
	campaign  = growthApp + "/campaigns/spring-sale"
	smsPool   = "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing"
	// The organization's SCP denies requests outside its two regions.
	inRegion = "aws:RequestedRegion=us-east-1"
)

// startServer serves the example model on a loopback port until the test
// ends and returns the address.
func startServer(t *testing.T) string {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	set, err := entity.LoadDir(os.DirFS(modelDir), ".")
	if err != nil {
		t.Fatal(err)
	}
	res, err := set.Resolve(cat)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Compile(cat, res, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{}, cat, nil)
	gs := server.NewGRPCServer(server.GRPCConfig{}, nil)
	srv.Register(gs)
	srv.Activate(snap)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	t.Cleanup(func() {
		gs.Stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return lis.Addr().String()
}

// writeFile writes data to a new file in a temporary directory and returns
// its name.
func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCheckDecisions asks the example model for decisions of every kind
// and checks the text output, with and without -explain.
func TestCheckDecisions(t *testing.T) {
	t.Parallel()
	addr := startServer(t)
	// The analyst's identity policy allows GetSegment; this session policy
	// allows it only to sessions tagged team=blue.
	blueOnly := writeFile(t, "blue.json", `{"Version":"2012-10-17","Statement":[{"Sid":"BlueReads",
		"Effect":"Allow","Action":"mobiletargeting:GetSegment","Resource":"*",
		"Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`)
	tests := []struct {
		name        string
		args        []string
		want        string   // the first line
		wantExplain []string // lines -explain adds, among others
	}{
		{
			name: "group policy allows",
			args: []string{"--principal", alice, "--action", "mobiletargeting:GetSegment", "--resource", segment, "--context", inRegion},
			want: "Allow (revision 1)",
			wantExplain: []string{
				`  identity  group:marketing:managed:SegmentReaders  Statement[0] (Sid "ReadSegments")  Allow`,
				`  boundary  boundary:MarketingBoundary  Statement[0] (Sid "PinpointOnly")  Allow`,
				`  scp[1]  scp:FullAWSAccess  Statement[0]  Allow`,
				`  verdict  identity  allowed`,
			},
		},
		{
			name: "nothing allows",
			args: []string{"--principal", alice, "--action", "sms-voice:SendTextMessage", "--resource", smsPool, "--context", inRegion},
			want: "ImplicitDeny (revision 1)",
			wantExplain: []string{
				`  verdict  identity  not allowed`,
			},
		},
		{
			name: "condition key missing",
			args: []string{"--principal", alice, "--action", "mobiletargeting:CreateCampaign", "--resource", growthApp, "--context", inRegion},
			want: "ImplicitDeny (revision 1)",
			wantExplain: []string{
				`  missing key  aws:SecureTransport`,
			},
		},
		{
			name: "ABAC allows with a list key",
			args: []string{"--principal", alice, "--action", "mobiletargeting:CreateCampaign", "--resource", growthApp,
				"--context", inRegion, "--context", "aws:SecureTransport=true", "--context-list", "aws:TagKeys=team,env"},
			want: "Allow (revision 1)",
			wantExplain: []string{
				`  identity  managed:CampaignManagers  Statement[0] (Sid "ManageOwnTeamCampaigns")  Allow`,
			},
		},
		{
			name: "empty list key",
			args: []string{"--principal", alice, "--action", "mobiletargeting:CreateCampaign", "--resource", growthApp,
				"--context", inRegion, "--context", "aws:SecureTransport=true", "--context-list", "aws:TagKeys="},
			want: "Allow (revision 1)",
		},
		{
			name: "identity policy denies",
			args: []string{"--principal", alice, "--action", "mobiletargeting:DeleteCampaign", "--resource", campaign, "--context", inRegion},
			want: "ExplicitDeny (revision 1)",
			wantExplain: []string{
				`  identity  managed:CampaignManagers  Statement[1] (Sid "NeverDeleteProduction")  Deny`,
				`  verdict  identity  denied`,
			},
		},
		{
			name: "SCP denies outside the regions",
			args: []string{"--principal", alice, "--action", "mobiletargeting:GetSegment", "--resource", segment,
				"--context", "aws:RequestedRegion=us-west-2"},
			want: "ExplicitDeny (revision 1)",
			wantExplain: []string{
				`  scp[1]  scp:MarketingGuardrails  Statement[0] (Sid "DenyOutsideApprovedRegions")  Deny`,
				`  verdict  scp[1]  allowed and denied`,
			},
		},
		{
			name: "session policy and tag allow",
			args: []string{"--principal", analyst, "--action", "mobiletargeting:GetSegment", "--resource", segment, "--context", inRegion,
				"--session-policy", blueOnly, "--session-tag", "team=blue"},
			want: "Allow (revision 1)",
			wantExplain: []string{
				`  session  session_policies[0]  Statement[0] (Sid "BlueReads")  Allow`,
			},
		},
		{
			name: "session policy denies without the tag",
			args: []string{"--principal", analyst, "--action", "mobiletargeting:GetSegment", "--resource", segment, "--context", inRegion,
				"--session-policy", blueOnly},
			want: "ImplicitDeny (revision 1)",
			wantExplain: []string{
				`  verdict  session  not allowed`,
			},
		},
		{
			name: "resource policy allows across accounts",
			args: []string{"--principal", partner, "--action", "mobiletargeting:GetCampaign", "--resource", campaign,
				"--resource-account", "111122223333", "--context", inRegion},
			want: "Allow (revision 1)",
			wantExplain: []string{
				`  resource  resource:` + growthApp + `  Statement[0] (Sid "PartnerReadsCampaigns")  Allow`,
				`  cross-account`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"check", "--addr", addr}, tc.args...)
			code, stdout, stderr := runPDP(t, nil, args...)
			require.Equal(t, 0, code, "exit status; stderr %q", stderr)
			require.Empty(t, stderr)
			require.Equal(t, tc.want+"\n", stdout)
			code, stdout, stderr = runPDP(t, nil, append(args, "--explain")...)
			require.Equal(t, 0, code, "-explain: exit status; stderr %q", stderr)
			require.Empty(t, stderr, "-explain")
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			assert.Equal(t, tc.want, lines[0], "-explain: first line")
			for _, want := range tc.wantExplain {
				assert.Contains(t, lines[1:], want, "-explain: no such line in\n%s", stdout)
			}
			for _, l := range lines[1:] {
				assert.True(t, strings.HasPrefix(l, "  "), "-explain: line %q is not indented", l)
			}
		})
	}
}

// TestCheckJSON checks -format json: the CheckResponse as protojson with
// the proto field names.
func TestCheckJSON(t *testing.T) {
	t.Parallel()
	addr := startServer(t)
	tests := []struct {
		name         string
		args         []string
		wantDecision pdpv1.Decision
		wantMissing  []string // nil: no explanation wanted
		wantKeys     []string // top-level keys, as proto field names
	}{
		{
			name:         "plain",
			args:         []string{"--principal", alice, "--action", "mobiletargeting:GetSegment", "--resource", segment, "--context", inRegion},
			wantDecision: pdpv1.Decision_DECISION_ALLOW,
			wantKeys:     []string{"decision", "principal_status", "resource_status", "revision"},
		},
		{
			name: "explain",
			args: []string{"--principal", alice, "--action", "mobiletargeting:CreateCampaign", "--resource", growthApp,
				"--context", inRegion, "--explain"},
			wantDecision: pdpv1.Decision_DECISION_IMPLICIT_DENY,
			wantMissing:  []string{"aws:SecureTransport"},
			wantKeys:     []string{"decision", "explanation", "explanation.missing_keys", "principal_status", "resource_status", "revision"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, nil, append([]string{"check", "--addr", addr, "--format", "json"}, tc.args...)...)
			require.Equal(t, 0, code, "exit status; stderr %q", stderr)
			require.Empty(t, stderr)
			var resp pdpv1.CheckResponse
			require.NoError(t, protojson.Unmarshal([]byte(stdout), &resp), "output %q", stdout)
			assert.Equal(t, tc.wantDecision, resp.GetDecision(), "decision")
			assert.Equal(t, int64(1), resp.GetRevision(), "revision")
			got := resp.GetExplanation()
			assert.Equal(t, tc.wantMissing != nil, got != nil, "explanation present: %v", got)
			assert.Equal(t, strings.Join(tc.wantMissing, ","), strings.Join(got.GetMissingKeys(), ","), "missing keys")
			assert.Equal(t, tc.wantKeys, jsonKeys(t, stdout), "keys")
			assert.GreaterOrEqual(t, strings.Count(stdout, "\n"), 4, "lines of output %q", stdout)
			assert.True(t, strings.HasSuffix(stdout, "}\n"), "output %q, want JSON on several lines", stdout)
			// Stable spacing: exactly what encoding/json's two-space
			// indent makes of it, whatever protojson's build-dependent
			// spacing was.
			var canon bytes.Buffer
			require.NoError(t, json.Indent(&canon, []byte(stdout), "", "  "))
			assert.Equal(t, canon.String(), stdout)
			assert.Contains(t, stdout, `"decision": "`)
		})
	}
}

// jsonKeys returns the sorted keys of a JSON object, and those of an
// "explanation" member prefixed with "explanation.".
func jsonKeys(t *testing.T, text string) []string {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &top); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k, v := range top {
		keys = append(keys, k)
		var sub map[string]json.RawMessage
		if k == "explanation" && json.Unmarshal(v, &sub) == nil {
			for sk := range sub {
				if sk == "missing_keys" || sk == "cross_account" {
					keys = append(keys, k+"."+sk)
				}
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// TestCheckCallErrors checks that a failed call exits 1 and shows the code,
// the message and each field violation.
func TestCheckCallErrors(t *testing.T) {
	t.Parallel()
	addr := startServer(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := lis.Addr().String()
	lis.Close()
	tests := []struct {
		name      string
		addr      string
		args      []string
		wantLines []string // lines of stderr, in order
	}{
		{
			name: "unknown action",
			addr: addr,
			args: []string{"--principal", alice, "--action", "mobiletargeting:GetSegmnt", "--resource", segment},
			wantLines: []string{
				"pdp check: InvalidArgument: 1 finding:",
				`  action: unknown action "mobiletargeting:GetSegmnt" (did you mean "mobiletargeting:GetSegment"?)`,
				"",
			},
		},
		{
			name: "several violations",
			addr: addr,
			args: []string{"--principal", "alice", "--action", "mobiletargeting:GetSegment", "--resource", "segment",
				"--context", "aws:PrincipalTag/team=growth"},
			wantLines: []string{
				"pdp check: InvalidArgument: 2 findings:",
				"  principal: ",
				`  resource: malformed resource "segment"`,
			},
		},
		{
			name:      "server down",
			addr:      closedAddr,
			args:      []string{"--principal", alice, "--action", "mobiletargeting:GetSegment", "--resource", segment},
			wantLines: []string{"pdp check: Unavailable: "},
		},
		{
			name:      "deadline",
			addr:      addr,
			args:      []string{"--principal", alice, "--action", "mobiletargeting:GetSegment", "--resource", segment, "--timeout", "1ns"},
			wantLines: []string{"pdp check: DeadlineExceeded: "},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, nil, append([]string{"check", "--addr", tc.addr}, tc.args...)...)
			require.Equal(t, 1, code, "exit status\nstderr: %s", stderr)
			require.Empty(t, stdout)
			lines := strings.Split(stderr, "\n")
			for i, want := range tc.wantLines {
				assert.True(t, i < len(lines) && strings.HasPrefix(lines[i], want), "stderr line %d does not start with %q:\n%s", i+1, want, stderr)
			}
		})
	}
}

// TestCheckUsage checks that bad flags exit 2 before any call is made.
func TestCheckUsage(t *testing.T) {
	t.Parallel()
	required := []string{"--principal", alice, "--action", "mobiletargeting:GetSegment", "--resource", segment}
	withRequired := func(args ...string) []string { return append(append([]string{}, required...), args...) }
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "no flags", args: nil, wantStderr: "missing --principal, --action, --resource"},
		{name: "no resource", args: required[:4], wantStderr: "missing --resource"},
		{name: "context without =", args: withRequired("--context", "aws:RequestedRegion"), wantStderr: "want KEY=VALUE"},
		{name: "context without key", args: withRequired("--context", "=us-east-1"), wantStderr: "want KEY=VALUE"},
		{name: "context list without =", args: withRequired("--context-list", "aws:TagKeys"), wantStderr: "want KEY=VALUE"},
		{
			name:       "context key twice",
			args:       withRequired("--context", "aws:TagKeys=a", "--context-list", "aws:TagKeys=a,b"),
			wantStderr: `context key "aws:TagKeys" given twice`,
		},
		{name: "session tag without =", args: withRequired("--session-tag", "team"), wantStderr: "want KEY=VALUE"},
		{name: "session tag twice", args: withRequired("--session-tag", "a=1", "--session-tag", "a=2"), wantStderr: `key "a" given twice`},
		{name: "session policy unreadable", args: withRequired("--session-policy", "no/such/file.json"), wantStderr: "--session-policy: open no/such/file.json"},
		{name: "format", args: withRequired("--format", "yaml"), wantStderr: "want one of text, json"},
		{name: "timeout", args: withRequired("--timeout", "0s"), wantStderr: "--timeout must be positive"},
		{name: "negative min revision", args: withRequired("--min-revision", "-1"), wantStderr: "--min-revision must not be negative"},
		{name: "argument", args: withRequired("extra"), wantStderr: `unexpected argument "extra"`},
		{name: "unknown flag", args: withRequired("--region", "us-east-1"), wantStderr: "flag provided but not defined: -region"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Nothing listens on port 1; a call would fail with exit 1.
			code, stdout, stderr := runPDP(t, nil, append([]string{"check", "--addr", "127.0.0.1:1"}, tc.args...)...)
			assert.Equal(t, 2, code, "exit status")
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.wantStderr)
		})
	}
	code, stdout, _ := runPDP(t, nil, "check", "-h")
	if code != 0 || !strings.Contains(stdout, "Usage: pdp check [flags]") || !strings.Contains(stdout, "-context-list") {
		t.Errorf("check -h: exit %d, stdout %q; want 0 and the flags", code, stdout)
	}
}

// TestCheckUnknownEntities checks that pdp check says when the model does
// not hold the principal or the resource, with and without --explain, and
// notes an aws:RequestedRegion other than the resource's region.
func TestCheckUnknownEntities(t *testing.T) {
	t.Parallel()
	addr := startServer(t)
	const (
		noteP = "note  principal not in the model"
		noteR = "note  resource not in the model"
		noteG = `note  aws:RequestedRegion "eu-west-1" differs from the resource's region "us-east-1"`
	)
	tests := []struct {
		name      string
		args      []string
		wantFirst string // the decision line
		want      []string
		wantNot   []string
	}{
		{
			name:      "misspelt principal",
			args:      []string{"--principal", "arn:aws:iam::111122223333:user/alcie", "--action", "mobiletargeting:GetSegment", "--resource", segment, "--context", inRegion},
			wantFirst: "ImplicitDeny (revision 1)",
			want:      []string{noteP},
			wantNot:   []string{noteR},
		},
		{
			name: "misspelt principal explained",
			args: []string{"--principal", "arn:aws:iam::111122223333:user/alcie", "--action", "mobiletargeting:GetSegment", "--resource", segment,
				"--context", inRegion, "--explain"},
			wantFirst: "ImplicitDeny (revision 1)",
			want:      []string{noteP + ": no identity policy"},
			wantNot:   []string{noteR},
		},
		{
			name:      "unknown resource",
			args:      []string{"--principal", alice, "--action", "mobiletargeting:GetApp", "--resource", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/no-such-app", "--context", inRegion},
			wantFirst: "Allow (revision 1)",
			want:      []string{noteR},
			wantNot:   []string{noteP},
		},
		{
			name:      "known principal and resource",
			args:      []string{"--principal", alice, "--action", "mobiletargeting:GetSegment", "--resource", segment, "--context", inRegion, "--explain"},
			wantFirst: "Allow (revision 1)",
			wantNot:   []string{noteP, noteR, "aws:RequestedRegion"},
		},
		{
			name:      "region mismatch explained",
			args:      []string{"--principal", alice, "--action", "mobiletargeting:GetSegment", "--resource", segment, "--context", "aws:RequestedRegion=eu-west-1", "--explain"},
			wantFirst: "Allow (revision 1)",
			want:      []string{noteG},
			wantNot:   []string{noteP, noteR},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, nil, append([]string{"check", "--addr", addr}, tc.args...)...)
			require.Equal(t, 0, code, "stderr %q", stderr)
			first, _, _ := strings.Cut(stdout, "\n")
			assert.Equal(t, tc.wantFirst, first)
			for _, w := range tc.want {
				assert.Contains(t, stdout, w)
			}
			for _, w := range tc.wantNot {
				assert.NotContains(t, stdout, w)
			}
		})
	}
}

// TestCheckMinRevision checks --min-revision: a revision the server has
// reached is decided at once; one it has not reached fails with
// once the call's deadline passes.
func TestCheckMinRevision(t *testing.T) {
	t.Parallel()
	addr := startServer(t)
	args := []string{"check", "--addr", addr, "--principal", alice, "--action", "mobiletargeting:GetSegment",
		"--resource", segment, "--context", inRegion}
	code, stdout, stderr := runPDP(t, nil, append(args, "--min-revision", "1")...)
	require.Equal(t, 0, code, "stderr %q", stderr)
	assert.Equal(t, "Allow (revision 1)\n", stdout)

	code, stdout, stderr = runPDP(t, nil, append(args, "--min-revision", "2", "--timeout", "200ms")...)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	// The server answers UNAVAILABLE when the deadline it was given
	// passes; the client's own deadline may end the call first.
	assert.Regexp(t, `^pdp check: (Unavailable|DeadlineExceeded): `, stderr)
}
