package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	exampleModelDir = "../../examples/model"
	smsSenderRole   = "arn:aws:iam::111122223333:role/service/sms-sender"
	marketingPool   = "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing"
)

func TestAccessCommandsInProcess(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // lines or fragments the output must hold
	}{
		{"who-can is conditional on the source IP", []string{"who-can", "-policies", exampleModelDir, "sms-voice:SendTextMessage", marketingPool},
			[]string{"CONDITIONAL    " + smsSenderRole, "  when IpAddress aws:SourceIp 203.0.113.0/24, 2001:db8::/32",
				`  identity managed:SmsSenders Statement[0] (Sid "SendFromOfficeNetwork") Allow, if its conditions hold`}},
		{"who-can with the keys fixed", []string{"who-can", "-policies", exampleModelDir, "-context", "aws:SourceIp=203.0.113.9",
			"-context", "aws:RequestedRegion=us-east-1", "sms-voice:SendTextMessage", marketingPool},
			[]string{"ALLOWED        " + smsSenderRole}},
		{"who-can with the keys fixed to deny", []string{"who-can", "-policies", exampleModelDir, "-all", "-context", "aws:SourceIp=198.51.100.1",
			"-context", "aws:RequestedRegion=us-east-1", "sms-voice:SendTextMessage", marketingPool},
			[]string{"IMPLICIT_DENY  " + smsSenderRole}},
		{"what-can on a resource", []string{"what-can", "-policies", exampleModelDir, smsSenderRole, marketingPool},
			[]string{"CONDITIONAL    sms-voice:SendTextMessage"}},
		{"what-can per resource type", []string{"what-can", "-policies", exampleModelDir, smsSenderRole},
			[]string{"sms-voice:SendTextMessage on Pool", "  allow arn:aws:sms-voice:us-east-1:111122223333:pool/*  (managed:SmsSenders Statement[0]) if IpAddress aws:SourceIp 203.0.113.0/24, 2001:db8::/32"}},
		{"which-resources", []string{"which-resources", "-policies", exampleModelDir, smsSenderRole, "sms-voice:SendTextMessage"},
			[]string{"CONDITIONAL    " + marketingPool, "resources the model does not list:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runPDP(t, nil, tt.args...)
			require.Equal(t, exitOK, code, errOut)
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestAccessCommandsJSON(t *testing.T) {
	code, out, errOut := runPDP(t, nil, "who-can", "-policies", exampleModelDir, "-format", "json", "sms-voice:SendTextMessage", marketingPool)
	require.Equal(t, exitOK, code, errOut)
	var resp struct {
		Revision   string `json:"revision"`
		Principals []struct {
			Principal string `json:"principal"`
			Answer    struct {
				Access string `json:"access"`
			} `json:"answer"`
		} `json:"principals"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &resp))
	require.Len(t, resp.Principals, 1)
	assert.Equal(t, smsSenderRole, resp.Principals[0].Principal)
	assert.Equal(t, "ACCESS_CONDITIONAL", resp.Principals[0].Answer.Access)
}

func TestImpactOfTwoDirectories(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(exampleModelDir)))
	roles, err := os.ReadFile(filepath.Join(dir, "roles.yaml"))
	require.NoError(t, err)
	// The sms-sender role loses its managed policy.
	changed := strings.Replace(string(roles), "managed_policies: [SmsSenders]", "managed_policies: []", 1)
	require.NotEqual(t, string(roles), changed)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "roles.yaml"), []byte(changed), 0o644))

	code, out, errOut := runPDP(t, nil, "impact", "-policies", exampleModelDir, exampleModelDir, dir)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "by principal:\n  "+smsSenderRole)
	assert.Contains(t, out, "  "+smsSenderRole+" sms-voice:SendTextMessage "+marketingPool+": CONDITIONAL -> IMPLICIT_DENY")
	assert.NotContains(t, out, "user/alice")

	code, out, _ = runPDP(t, nil, "impact", "-policies", exampleModelDir, exampleModelDir, exampleModelDir)
	require.Equal(t, exitOK, code)
	assert.Equal(t, "impact from revision 0 to 1: 0 changes (0 gained, 0 lost)\n", out)
}

func TestAccessCommandsRefuseBadUse(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no model", []string{"who-can", "mobiletargeting:GetApp", "*"}, exitUsage, "give --addr HOST:PORT"},
		{"missing argument", []string{"who-can", "-policies", exampleModelDir, "mobiletargeting:GetApp"}, exitUsage, "want ACTION RESOURCE"},
		{"unknown action", []string{"who-can", "-policies", exampleModelDir, "mobiletargeting:GetAppz", "*"}, exitFailure,
			`unknown action "mobiletargeting:GetAppz" (did you mean "mobiletargeting:GetApps"?)`},
		{"unknown principal", []string{"what-can", "-policies", exampleModelDir, "arn:aws:iam::111122223333:user/nobody"}, exitFailure,
			"is not in the model"},
		{"derived key", []string{"who-can", "-policies", exampleModelDir, "-context", "aws:PrincipalTag/team=x", "mobiletargeting:GetApp", "*"},
			exitFailure, "derived from the model"},
		{"impact of revisions without a server", []string{"impact", "-policies", exampleModelDir, "3"}, exitUsage, "two policy directories"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runPDP(t, nil, tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, errOut, tt.want)
		})
	}
}
