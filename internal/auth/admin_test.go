package auth

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/engine"
)

func TestParseAdminPolicies(t *testing.T) {
	cat := testCatalog(t)
	ap, err := ParseAdminPolicies(cat, "admin.json", []byte(adminFixture))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{adminARN, aliceARN, ciARN, editorARN, deployerARN, netopsARN, opsARN}
	slices.Sort(want)
	if got := ap.Principals(); !slices.Equal(got, want) {
		t.Errorf("Principals = %v, want %v", got, want)
	}
	if w := ap.Warnings(); len(w) != 0 {
		t.Errorf("Warnings = %v, want none", w)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	w := ap.Warnings()
	if len(w) != 1 || w[0].Code != engine.CodeMissingElement || w[0].Field != "Version" {
		t.Errorf("Warnings = %v, want the missing Version", w)
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
	if err != nil {
		t.Fatal(err)
	}
	if got := ap.Principals(); !slices.Equal(got, []string{adminARN, opsARN}) {
		t.Errorf("Principals = %v", got)
	}
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
		if got != tc.want {
			t.Errorf("GetEntity %s: %v, want %v", tc.resource, got, tc.want)
		}
	}
	empty := ap.policies(adminARN)
	if got := engine.Evaluate(&empty, &engine.Request{Principal: adminARN, Action: ActionGetEntity, Resource: StoreARN, Context: ctx}); got != engine.ImplicitDeny {
		t.Errorf("principal without policies: %v, want ImplicitDeny", got)
	}

	if _, err := LoadAdminPolicies(cat, t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds no *.json file") {
		t.Errorf("empty directory: %v", err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAdminPolicies(cat, dir); err == nil || !strings.Contains(err.Error(), "writable by every user") {
		t.Errorf("world-writable directory: %v", err)
	}
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
		if got := resourceCanMatch(tc.resource); got != tc.want {
			t.Errorf("resourceCanMatch(%q) = %v, want %v", tc.resource, got, tc.want)
		}
	}
}

func TestCheckAction(t *testing.T) {
	for _, ok := range []string{"*", "pdp:*", "PDP:getentity", "pdp:Get*", "pdp:?iff", "pdp:*Entit*"} {
		if code, msg := checkAction(ok); msg != "" {
			t.Errorf("checkAction(%q) = %s %q, want fine", ok, code, msg)
		}
	}
	for _, bad := range []string{"pdp:Delete*", "pdp", "pdp:", "iam:*", "pd*:Get*", ""} {
		if _, msg := checkAction(bad); msg == "" {
			t.Errorf("checkAction(%q) found nothing", bad)
		}
	}
}
