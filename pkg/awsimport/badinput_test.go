package awsimport_test

import (
	"bytes"
	"errors"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/awsfixture"
	"github.com/pdp-dev/pdp/pkg/awsimport"
)

// TestBadInput breaks one thing in the fixture's export at a time: each is
// refused with a message naming the file, the JSON path and, where the
// text has one, the line and column.
func TestBadInput(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	tests := []struct {
		name string
		fix  func(f *awsfixture.Fixture)         // changes the fixture before rendering
		page func(page []byte, last bool) []byte // changes a rendered GAAD page
		opts awsimport.Options
		want []string // regexps, each matching one problem
	}{
		{name: "truncated JSON",
			page: func(p []byte, last bool) []byte {
				if last {
					return p[:len(p)/2]
				}
				return p
			},
			want: []string{`^gaad-2\.json:\d+:\d+: invalid JSON: unexpected end of JSON input$`}},
		{name: "wrong type",
			page: func(p []byte, _ bool) []byte {
				return bytes.Replace(p, []byte(`"UserName": "user-001"`), []byte(`"UserName": 7`), 1)
			},
			want: []string{`^gaad-1\.json:\d+:\d+: UserDetailList\[1\]\.UserName: want a string, got number$`}},
		{name: "list of the wrong type",
			page: func(p []byte, last bool) []byte {
				if !last {
					return p
				}
				return bytes.Replace(p, []byte(`"Policies": [`), []byte(`"Policies": {"x": [`), 1)
			},
			want: []string{`^gaad-2\.json`}},
		{name: "missing IsDefaultVersion",
			page: func(p []byte, last bool) []byte {
				if !last {
					return p
				}
				loc := regexp.MustCompile(`"IsDefaultVersion": (true|false),\s*`).FindIndex(p)
				return append(p[:loc[0]:loc[0]], p[loc[1]:]...)
			},
			want: []string{`^gaad-2\.json: Policies\[0\] \(policy/Pinpoint-0000\)\.PolicyVersionList\[0\]: missing IsDefaultVersion`}},
		{name: "group not in the export",
			fix:  func(f *awsfixture.Fixture) { f.Users[2].Groups = append(f.Users[2].Groups, "no-such-group") },
			want: []string{`^gaad-1\.json: UserDetailList\[2\] \(user/user-002\)\.GroupList\[\d\]: group "no-such-group" is not in the GroupDetailList of account "111122223333"$`}},
		{name: "boundary not in the export",
			fix:  func(f *awsfixture.Fixture) { f.Roles[4].Boundary = "arn:aws:iam::111122223333:policy/Gone" },
			want: []string{`^gaad-1\.json: RoleDetailList\[4\] \(role/role-04\)\.PermissionsBoundary\.PermissionsBoundaryArn: the permissions boundary "arn:aws:iam::111122223333:policy/Gone" is not among the export's Policies`}},
		{name: "invalid policy in one role",
			fix: func(f *awsfixture.Fixture) {
				f.Roles[6].Inline = []awsfixture.Inline{{Name: "deploy", Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetAppz","Resource":"*"}]}`}}
			},
			want: []string{`^gaad-1\.json: RoleDetailList\[6\] \(role/role-06\) RolePolicyList\[0\] "deploy": document 6:17: Statement\[0\]\.Action: unknown action "mobiletargeting:GetAppz"`}},
		{name: "SCP attached to an unknown target",
			fix:  func(f *awsfixture.Fixture) { f.SCPs[1].Targets = append(f.SCPs[1].Targets, "ou-ab12-nowhere0") },
			want: []string{`^organization/list-targets-for-policy/p-mkt0guard1\.json: Targets\[1\]: SCP "MarketingGuardrails" is attached to "ou-ab12-nowhere0", which is not a root, OU or account`}},
		{name: "attached policy not in the export",
			fix: func(f *awsfixture.Fixture) {
				f.Policies = f.Policies[:len(f.Policies)-1] // ExampleSmsVoiceReadOnly, attached by users 0, 9, 18, …
			},
			want: []string{`^managed policy "arn:aws:iam::aws:policy/ExampleSmsVoiceReadOnly" is attached but its document is not in the export .*attached by: gaad-1\.json: UserDetailList\[0\] \(user/user-000\); gaad-1\.json: UserDetailList\[9\]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := awsfixture.New(awsfixture.Small)
			if tc.fix != nil {
				tc.fix(f)
			}
			err := importWith(t, f, tc.page, awsimport.Options{Catalog: cat})
			var probs awsimport.Problems
			require.True(t, errors.As(err, &probs), "want Problems, got %v", err)
			require.Len(t, probs, len(tc.want), "problems:\n%v", err)
			for i, re := range tc.want {
				assert.Regexp(t, re, probs[i].Error())
			}
		})
	}
}

// TestAllowMissingPolicies imports an attachment the export lacks as absent
// and says so.
func TestAllowMissingPolicies(t *testing.T) {
	t.Parallel()
	f := awsfixture.New(awsfixture.Small)
	f.Policies = f.Policies[:len(f.Policies)-1]
	in := readExport(t, f, nil)
	res, err := awsimport.Convert(in, awsimport.Options{Catalog: loadCatalog(t), AllowMissingPolicies: true})
	require.NoError(t, err)
	require.Len(t, res.Missing, 1)
	assert.Equal(t, "arn:aws:iam::aws:policy/ExampleSmsVoiceReadOnly", res.Missing[0].ARN)
	assert.Len(t, res.Missing[0].AttachedBy, 7) // users 0, 9, …, 54
	for _, u := range res.Set.Users {
		assert.NotContains(t, u.ManagedPolicies, "ExampleSmsVoiceReadOnly")
	}
}

// importWith renders and reads the fixture, letting page change each GAAD
// page, and converts it.
func importWith(t *testing.T, f *awsfixture.Fixture, page func([]byte, bool) []byte, opts awsimport.Options) error {
	t.Helper()
	in, err := readExportErr(f, page)
	if err != nil {
		return err
	}
	_, err = awsimport.Convert(in, opts)
	return err
}

func readExport(t *testing.T, f *awsfixture.Fixture, page func([]byte, bool) []byte) *awsimport.Input {
	t.Helper()
	in, err := readExportErr(f, page)
	require.NoError(t, err)
	return in
}

func readExportErr(f *awsfixture.Fixture, page func([]byte, bool) []byte) (*awsimport.Input, error) {
	in := &awsimport.Input{}
	pages := f.GAAD(awsfixture.Object, 2)
	for i, data := range pages {
		if page != nil {
			data = page(data, i == len(pages)-1)
		}
		g, err := awsimport.ReadGAAD("gaad-"+string(rune('1'+i))+".json", data)
		if err != nil {
			return nil, err
		}
		in.GAAD = append(in.GAAD, g)
	}
	org, err := awsimport.ReadOrganization(awsimport.NewOutputs("organization", trimJSON(f.OrganizationFiles())))
	if err != nil {
		return nil, err
	}
	in.Organization = org
	return in, nil
}
