package auth

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/engine"
)

func TestParseAdminPolicies(t *testing.T) {
	cat := testCatalog(t)
	ap, err := ParseAdminPolicies(cat, "admin.json", []byte(adminFixture))
	require.NoError(t, err)
	want := []string{adminARN, aliceARN, ciARN, editorARN, deployerARN, netopsARN, opsARN}
	slices.Sort(want)
	assert.Equal(t, want, ap.Principals(), "Principals")
	assert.Empty(t, ap.Warnings(), "Warnings")
}

// TestAdminPolicyErrors checks that mistakes are found, with the policy,
// statement, field and the line and column in the file.
func TestAdminPolicyErrors(t *testing.T) {
	cat := testCatalog(t)
	doc := func(stmt string) string {
		return "{\"principals\": {\n  \"" + opsARN + "\": [\n    {\"Version\": \"2012-10-17\", \"Statement\": [" + stmt + "]}\n  ]\n}}"
	}
	const id = `policy "admin.json[` + opsARN + `][0]"`
	tests := []struct {
		name    string
		data    string
		wantErr string
	}{
		{name: "unknown action with a suggestion",
			data:    doc(`{"Effect": "Allow", "Action": "pdp:GetEntities", "Resource": "*"}`),
			wantErr: id + ` 3:75: Statement[0]: Action: action "pdp:GetEntities" matches no admin API action (did you mean "pdp:GetEntity"?)`},
		{name: "action of another service",
			data:    doc(`{"Effect": "Allow", "Action": ["pdp:Get*", "mobiletargeting:GetApp"], "Resource": "*"}`),
			wantErr: id + ` 3:88: Statement[0]: Action[1]: action "mobiletargeting:GetApp" is not an admin API action: those are pdp:ApplyChanges`},
		{name: "resource that matches nothing",
			data:    doc(`{"Sid": "S", "Effect": "Deny", "Action": "pdp:*", "Resource": "arn:pdp:store:::entity/users/*"}`),
			wantErr: id + ` 3:107: Statement[0] (Sid "S"): Resource: resource "arn:pdp:store:::entity/users/*" matches no resource of the admin API`},
		{name: "resource without a wildcard must be whole",
			data:    doc(`{"Effect": "Allow", "Action": "pdp:*", "Resource": "arn:pdp:store:::entity/user/"}`),
			wantErr: `Resource: resource "arn:pdp:store:::entity/user/" matches no resource`},
		{name: "condition key no call has",
			data:    doc(`{"Effect": "Deny", "Action": "pdp:*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}}`),
			wantErr: `Condition.StringEquals.aws:PrincipalTag/team: condition key "aws:PrincipalTag/team" is never in the context of an admin API call`},
		{name: "misspelt condition key",
			data:    doc(`{"Effect": "Deny", "Action": "pdp:*", "Resource": "*", "Condition": {"Bool": {"pdp:DryRn": "true"}}}`),
			wantErr: `(did you mean "pdp:DryRun"?)`},
		{name: "policy variable no call has",
			data:    doc(`{"Effect": "Allow", "Action": "pdp:*", "Resource": "arn:pdp:store:::entity/user/${aws:username}"}`),
			wantErr: `policy variable ${aws:username} names a key no admin API call has`},
		{name: "condition value of the wrong type",
			data:    doc(`{"Effect": "Allow", "Action": "pdp:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "yes"}}}`),
			wantErr: `Bool needs "true" or "false", not "yes"`},
		{name: "Principal in an identity policy",
			data:    doc(`{"Effect": "Allow", "Principal": "*", "Action": "pdp:*", "Resource": "*"}`),
			wantErr: `Principal is not allowed in identity policies`},
		{name: "unknown operator",
			data:    doc(`{"Effect": "Allow", "Action": "pdp:*", "Resource": "*", "Condition": {"StringEqualz": {"pdp:ChangeOp": "put"}}}`),
			wantErr: `unknown condition operator "StringEqualz"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAdminPolicies(cat, "admin.json", []byte(tc.data))
			var perrs engine.Errors
			require.True(t, errors.As(err, &perrs), "err = %v, want engine.Errors", err)
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// TestAdminFileErrors checks the layout of the file around the policies.
func TestAdminFileErrors(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		name    string
		data    string
		wantErr string
	}{
		{name: "unknown element", data: `{"principal": {}}`,
			wantErr: `admin.json:1:2: unknown element "principal" (an admin policy file has one element, "principals")`},
		{name: "missing principals", data: `{}`, wantErr: `admin.json: missing "principals"`},
		{name: "principals twice", data: `{"principals": {}, "principals": {}}`, wantErr: `"principals" is given twice`},
		{name: "principal twice", data: "{\"principals\": {\n\"" + opsARN + "\": [],\n\"" + opsARN + "\": []}}",
			wantErr: `admin.json:3:1: principal "` + opsARN + `" is listed twice`},
		{name: "not a principal ARN", data: `{"principals": {"ops": []}}`, wantErr: `"ops" is not the ARN of an IAM user`},
		{name: "policies not a list", data: `{"principals": {"` + opsARN + `": {}}}`,
			wantErr: "the policies of \"" + opsARN + "\" must be a list of IAM policy documents"},
		{name: "not JSON", data: `principals: []`, wantErr: "admin.json:1:1: invalid character 'p'"},
		{name: "syntax error in a document",
			data:    "{\"principals\": {\n  \"" + opsARN + "\": [\n    {\"Effect\": \"Allow\",}]}}",
			wantErr: "admin.json:3:24: invalid character '}' looking for beginning of object key string"},
		{name: "truncated", data: `{"principals": {`, wantErr: "unexpected end of JSON input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAdminPolicies(cat, "admin.json", []byte(tc.data))
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestAdminPolicyWarnings(t *testing.T) {
	ap, err := ParseAdminPolicies(testCatalog(t), "admin.json", []byte(`{"principals": {"`+opsARN+`": [
		{"Statement": [{"Effect": "Allow", "Action": "pdp:Get*", "Resource": "*"}]}]}}`))
	require.NoError(t, err)
	w := ap.Warnings()
	if assert.Len(t, w, 1, "Warnings, want the missing Version") {
		assert.Equal(t, engine.CodeMissingElement, w[0].Code, "code of the warning %v", w[0])
		assert.Equal(t, "Version", w[0].Field, "field of the warning %v", w[0])
	}
}

// TestLoadAdminDirectory combines the files of a directory.
func TestLoadAdminDirectory(t *testing.T) {
	cat := testCatalog(t)
	dir := t.TempDir()
	writeFile(t, dir, "10-read.json", `{"principals": {"`+opsARN+`": [
		{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "pdp:Get*", "Resource": "*"}}]}}`)
	writeFile(t, dir, "20-deny.json", `{"principals": {"`+opsARN+`": [
		{"Version": "2012-10-17", "Statement": {"Sid": "NoSCP", "Effect": "Deny", "Action": "pdp:*", "Resource": "arn:pdp:store:::entity/scp/*"}}],
		"`+adminARN+`": []}}`)
	writeFile(t, dir, "notes.txt", "not read")
	ap, err := LoadAdminPolicies(cat, dir)
	require.NoError(t, err)
	assert.Equal(t, []string{adminARN, opsARN}, ap.Principals(), "Principals")
	pol := ap.policies(opsARN)
	ctx := engine.NewContext(0)
	for _, tc := range []struct {
		resource string
		want     engine.Decision
	}{
		{EntityARN("user", aliceARN), engine.Allow},
		{EntityARN("scp", "FullAccess"), engine.ExplicitDeny},
	} {
		got := engine.Evaluate(&pol, &engine.Request{Principal: opsARN, Action: ActionGetEntity, Resource: tc.resource, Context: ctx})
		assert.Equal(t, tc.want, got, "GetEntity %s", tc.resource)
	}
	empty := ap.policies(adminARN)
	got := engine.Evaluate(&empty, &engine.Request{Principal: adminARN, Action: ActionGetEntity, Resource: StoreARN, Context: ctx})
	assert.Equal(t, engine.ImplicitDeny, got, "principal without policies")

	_, err = LoadAdminPolicies(cat, t.TempDir())
	assert.ErrorContains(t, err, "holds no *.json file", "empty directory")
	require.NoError(t, os.Chmod(dir, 0o777))
	_, err = LoadAdminPolicies(cat, dir)
	assert.ErrorContains(t, err, "writable by every user", "world-writable directory")
}

func TestResourceCanMatch(t *testing.T) {
	tests := []struct {
		resource string
		want     bool
	}{
		{"*", true},
		{"arn:*", true},
		{"arn:pdp:store:::*", true},
		{StoreARN, true},
		{"arn:pdp:store:::entity/*", true},
		{"arn:pdp:store:::entity/user/*", true},
		{"arn:pdp:store:::entity/user/arn:aws:iam::111122223333:*", true},
		{"arn:pdp:store:::entity/managed_policy/ReadOnly", true},
		{"arn:pdp:store:::entity/user/${aws:PrincipalArn}", true},
		{"arn:pdp:store:::entity/us?r/x", true},
		{"arn:pdp:store:::stor", false},
		{"arn:pdp:store:::entity/users/*", false},
		{"arn:pdp:store:::entity/user", false},
		{"arn:pdp:store:::entity/user/", false},
		{"arn:aws:iam::111122223333:user/*", false},
		{"arn:pdp:store::111122223333:store", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, resourceCanMatch(tc.resource), "resourceCanMatch(%q)", tc.resource)
	}
}

func TestCheckAction(t *testing.T) {
	for _, ok := range []string{"*", "pdp:*", "PDP:getentity", "pdp:Get*", "pdp:?iff", "pdp:*Entit*"} {
		code, msg := checkAction(ok)
		assert.Empty(t, msg, "checkAction(%q) = %s, want fine", ok, code)
	}
	for _, bad := range []string{"pdp:Delete*", "pdp", "pdp:", "iam:*", "pd*:Get*", ""} {
		_, msg := checkAction(bad)
		assert.NotEmpty(t, msg, "checkAction(%q) found nothing", bad)
	}
}
