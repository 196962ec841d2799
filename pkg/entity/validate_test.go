package entity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// baseFiles is a small valid directory that the cases below break.
func baseFiles() map[string]string {
	return map[string]string{
		"model/accounts.yaml": `accounts:
  - id: "111122223333"
    scps: [[FullAWSAccess]]
scps:
  - name: FullAWSAccess
    document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
`,
		"model/policies.yaml": `managed_policies:
  - name: CampaignManagers
    document_file: policies/campaign-managers.json
  - name: SegmentReaders
    document:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Action: "mobiletargeting:GetSegment", Resource: "*"}
`,
		"model/policies/campaign-managers.json": `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Manage",
      "Effect": "Allow",
      "Action": ["mobiletargeting:GetCampaign", "mobiletargeting:UpdateCampaign"],
      "Resource": "*"
    }
  ]
}
`,
		"model/users.yaml": `groups:
  - name: marketing
    account: "111122223333"
users:
  - arn: arn:aws:iam::111122223333:user/alice
    groups: [marketing]
    managed_policies: [SegmentReaders, CampaignManagers]
`,
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit map[string]string // files replaced or added ("" removes)
		want []string          // substrings of the error
	}{
		{
			name: "missing managed policy with did-you-mean",
			edit: map[string]string{"model/users.yaml": `users:
  - arn: arn:aws:iam::111122223333:user/alice
    managed_policies: [SegmentReaders, CampainManagers]
`},
			want: []string{`model/users.yaml: user "arn:aws:iam::111122223333:user/alice": managed_policies[1]: ` +
				`unknown managed policy "CampainManagers" (did you mean "CampaignManagers"?)`},
		},
		{
			name: "missing group and boundary",
			edit: map[string]string{"model/users.yaml": `groups:
  - {name: marketing, account: "111122223333"}
  - {name: partners, account: "444455556666"}
users:
  - arn: arn:aws:iam::111122223333:user/alice
    groups: [marketting, partners]
    permissions_boundary: SegmentReader
`},
			want: []string{
				`groups[0]: unknown group "marketting" in account "111122223333" (did you mean "marketing"?)`,
				`groups[1]: group "partners" is in account "444455556666"; a user joins groups of its own account "111122223333"`,
				`permissions_boundary: unknown managed policy "SegmentReader" (did you mean "SegmentReaders"?)`,
			},
		},
		{
			name: "duplicate user ARN",
			edit: map[string]string{"model/more.yaml": `users:
  - arn: arn:aws:iam::111122223333:user/alice
`},
			want: []string{`model/users.yaml: user "arn:aws:iam::111122223333:user/alice": arn: duplicate user: ` +
				`user "arn:aws:iam::111122223333:user/alice" in model/more.yaml has the same name in account "111122223333"`},
		},
		{
			name: "duplicate role name under another path",
			edit: map[string]string{"model/roles.yaml": `roles:
  - arn: arn:aws:iam::111122223333:role/service/sender
  - arn: arn:aws:iam::111122223333:role/Sender
`},
			want: []string{`role "arn:aws:iam::111122223333:role/Sender": arn: duplicate role`},
		},
		{
			name: "bad ARNs",
			edit: map[string]string{"model/roles.yaml": `roles:
  - arn: arn:aws:iam::11112222333:role/short-account
  - arn: arn:aws:sts::111122223333:assumed-role/r/session
  - arn: arn:aws:iam::111122223333:user/not-a-role
  - arn: arn:aws:iam::111122223333:role/bad//path/r
  - arn: "arn:aws:iam::111122223333:role/spaces in name"
`},
			want: []string{
				`role "arn:aws:iam::11112222333:role/short-account": arn: account "11112222333" must be 12 digits`,
				`role "arn:aws:sts::111122223333:assumed-role/r/session": arn: an STS session ARN; give the role's ARN`,
				`role "arn:aws:iam::111122223333:user/not-a-role": arn: not an IAM role ARN`,
				`arn: path "/bad//path/" must be "/" or start and end with "/"`,
				`arn: role name "spaces in name" holds ' '`,
			},
		},
		{
			name: "policy syntax error inside the referenced file",
			edit: map[string]string{"model/policies/campaign-managers.json": `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "mobiletargeting:GetCampaign" "Resource": "*"}
  ]
}
`},
			want: []string{`model/policies/campaign-managers.json: managed policy "CampaignManagers": document_file: ` +
				`policy "managed:CampaignManagers" 4:65: invalid JSON`},
		},
		{
			name: "unknown action inside the referenced file",
			edit: map[string]string{"model/policies/campaign-managers.json": `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "mobiletargeting:GetCampaignz", "Resource": "*"}
  ]
}
`},
			want: []string{`model/policies/campaign-managers.json: managed policy "CampaignManagers": document_file: ` +
				`policy "managed:CampaignManagers" 4:50: Statement[0] (Sid "Read"): Action: unknown action "mobiletargeting:GetCampaignz"`},
		},
		{
			name: "positions of an inline document in a JSON bundle are the bundle's",
			edit: map[string]string{"model/extra.json": `{
  "managed_policies": [
    {"name": "Broken", "document": {"Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": "mobiletargeting:Nope", "Resource": "*"}]}}
  ]
}`},
			want: []string{`model/extra.json: managed policy "Broken": document: policy "managed:Broken" 4:51: Statement[0]: Action: unknown action`},
		},
		{
			name: "inline YAML document has no positions",
			edit: map[string]string{"model/extra.yaml": `scps:
  - name: Broken
    document:
      Version: "2012-10-17"
      Statement: [{Effect: Maybe, Action: "*", Resource: "*"}]
`},
			want: []string{`model/extra.yaml: scp "Broken": document: policy "scp:Broken": Statement[0]: Effect: Effect must be "Allow" or "Deny", not "Maybe"`},
		},
		{
			name: "principal in an identity policy and missing resource policy principal",
			edit: map[string]string{"model/extra.yaml": `resources:
  - arn: arn:aws:mobiletargeting:us-east-1:111122223333:apps/a
    policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "mobiletargeting:GetApp", Resource: "*"}]}
`},
			want: []string{`resource "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a": policy: policy "resource:arn:aws:mobiletargeting:us-east-1:111122223333:apps/a"`},
		},
		{
			name: "entity without a key is named by its place in its file",
			edit: map[string]string{"model/extra.yaml": "roles:\n  - arn: arn:aws:iam::111122223333:role/r\n  - tags: {a: b}\n"},
			want: []string{`model/extra.yaml: roles[1]: arn: missing (want arn:aws:iam::111122223333:role/NAME`},
		},
		{
			name: "missing document",
			edit: map[string]string{"model/extra.yaml": "managed_policies:\n  - name: Empty\n"},
			want: []string{`managed policy "Empty": document: missing policy document (give document or document_file)`},
		},
		{
			name: "SCP levels",
			edit: map[string]string{"model/accounts.yaml": `accounts:
  - id: "111122223333"
    scps: [[FullAWSAccess], [], [FullAWSAcess, FullAWSAccess, FullAWSAccess]]
  - id: "111122223333"
  - id: "12"
scps:
  - name: FullAWSAccess
    document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
`},
			want: []string{
				`account "111122223333": scps[1]: a level of the organization must list at least one SCP`,
				`scps[2][0]: unknown SCP "FullAWSAcess" (did you mean "FullAWSAccess"?)`,
				`scps[2][2]: SCP "FullAWSAccess" is attached twice at this level`,
				`account "111122223333": id: duplicate account`,
				`account "12": id: account ID "12" must be 12 digits`,
			},
		},
		{
			name: "resources",
			edit: map[string]string{"model/extra.yaml": `resources:
  - arn: arn:aws:s3:::bucket
  - arn: arn:aws:mobiletargeting:us-east-1:111122223333:nonsense
  - arn: arn:aws:mobiletargeting:us-east-1:111122223333:apps/*
  - arn: arn:aws:sms-voice:us-east-1:111122223333:pool/p1
  - arn: arn:aws:sms-voice:us-east-1:111122223333:pool/p1
    tags: {"aws:created": x}
`},
			want: []string{
				`resource "arn:aws:s3:::bucket": arn: service "s3" is not one pdp decides (mobiletargeting, sms-voice)`,
				`:nonsense": arn: fits no resource type of mobiletargeting, whose resources start with apps/…, phone/…`,
				`apps/*": arn: a pattern; a resource has one concrete ARN`,
				`resource "arn:aws:sms-voice:us-east-1:111122223333:pool/p1": arn: duplicate resource`,
				`tags["aws:created"]: tag keys starting with "aws:" are reserved for AWS`,
			},
		},
		{
			name: "managed policy of another account",
			edit: map[string]string{"model/extra.yaml": `managed_policies:
  - name: Theirs
    account: "444455556666"
    document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "mobiletargeting:GetApp", Resource: "*"}]}
roles:
  - arn: arn:aws:iam::111122223333:role/r
    managed_policies: [Theirs, Theirs]
`},
			want: []string{
				`managed_policies[0]: managed policy "Theirs" belongs to account "444455556666", so entities of account "111122223333" cannot use it`,
				`managed_policies[1]: managed policy "Theirs" is attached twice`,
			},
		},
		{
			name: "tag keys differing in case",
			edit: map[string]string{"model/extra.yaml": `roles:
  - arn: arn:aws:iam::111122223333:role/r
    tags: {Team: a, team: b}
`},
			want: []string{`tags["team"]: tag keys "Team" and "team" differ only in case`},
		},
	}
	cat := loadCatalog(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := baseFiles()
			for name, data := range tc.edit {
				files[name] = data
			}
			s, err := LoadDir(mapFS(files), "model")
			require.NoError(t, err, "LoadDir")
			_, err = s.Validate(cat)
			require.Error(t, err, "Validate found no error")
			checkContains(t, problems(t, err), tc.want)
			_, err = s.Resolve(cat)
			assert.Error(t, err, "Resolve succeeded on a Set with errors")
		})
	}
}

func TestValidateBase(t *testing.T) {
	t.Parallel()
	s, err := LoadDir(mapFS(baseFiles()), "model")
	require.NoError(t, err)
	warnings, err := s.Validate(loadCatalog(t))
	require.NoError(t, err, "Validate")
	require.Empty(t, warnings, "Validate warnings")
}

func TestValidateWarnings(t *testing.T) {
	t.Parallel()
	files := baseFiles()
	files["model/extra.yaml"] = `roles:
  - arn: arn:aws:iam::999988887777:role/elsewhere
    inline_policies:
      Legacy:
        Statement: [{Effect: Allow, Action: "mobiletargeting:GetApp", Resource: "*"}]
resources:
  - arn: arn:aws:mobiletargeting:us-east-1:111122223333:recommenders/r1
    tags: {team: growth}
`
	s, err := LoadDir(mapFS(files), "model")
	require.NoError(t, err)
	warnings, err := s.Validate(loadCatalog(t))
	require.NoError(t, err, "Validate (warnings are not errors)")
	got := problems(t, warnings)
	checkContains(t, got, []string{
		`role "arn:aws:iam::999988887777:role/elsewhere": arn: account "999988887777" is not in accounts, so no SCP applies to this role`,
		`inline_policies["Legacy"]: policy "inline:role/elsewhere:Legacy": Version: missing Version`,
		`tags: resource type recommender cannot be tagged`,
	})
	for _, w := range warnings {
		assert.Equal(t, engine.SeverityWarning, w.Severity, "severity of warning %q", w)
	}
}

func TestValidateErrorsUnwrap(t *testing.T) {
	t.Parallel()
	files := baseFiles()
	files["model/policies/campaign-managers.json"] = `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "mobiletargeting:Bogus", "Resource": "*"}}`
	s, err := LoadDir(mapFS(files), "model")
	require.NoError(t, err)
	_, err = s.Validate(loadCatalog(t))
	var pe *engine.PolicyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, engine.CodeUnknownAction, pe.Code, "PolicyError %+v", pe)
	assert.Equal(t, "managed:CampaignManagers", pe.PolicyID, "PolicyError %+v", pe)
	assert.Equal(t, 1, pe.Line, "PolicyError %+v", pe)
	var ps Problems
	if assert.ErrorAs(t, err, &ps) && assert.Len(t, ps, 1, "Problems") {
		assert.Equal(t, "model/policies/campaign-managers.json", ps[0].File, "file of the problem")
	}
	assert.NotContains(t, err.Error(), "\n", "one problem, several lines")
}
