package awsimport_test

import (
	"encoding/json"
	"errors"
	"os"
	"sort"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/awsimport"
)

// iamCollectDir holds the fixture's account 111122223333 and its
// organization as iam-collect stores them: the same users, groups, roles,
// managed policies and SCPs as testdata/export, with iam-collect's
// lower-case, URL-escaped directories and its ordering of keys and arrays.
const iamCollectDir = "testdata/iamcollect"

// TestIAMCollectMatchesExport converts the iam-collect tree and the CLI
// export of the same account and organization: the policy directories
// hold the same documents, up to the order of keys and of array elements
// (iam-collect sorts both, which changes no decision), and the same
// accounts but for their names, which iam-collect does not store.
func TestIAMCollectMatchesExport(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	ic, err := awsimport.ReadIAMCollect(os.DirFS(iamCollectDir), ".", iamCollectDir)
	require.NoError(t, err)
	require.Len(t, ic.GAAD, 1)
	assert.Len(t, ic.GAAD[0].Users, 60)
	assert.Len(t, ic.GAAD[0].Groups, 10)
	assert.Len(t, ic.GAAD[0].Roles, 20)
	assert.Len(t, ic.GAAD[0].Policies, 34)
	require.NotNil(t, ic.Organization)
	assert.Equal(t, "999988887777", ic.Organization.Management)

	var gaad []*awsimport.GAAD
	for _, name := range []string{"gaad-object-1.json", "gaad-object-2.json"} {
		data, err := os.ReadFile(fixtureDir + "/" + name)
		require.NoError(t, err)
		g, err := awsimport.ReadGAAD(name, data)
		require.NoError(t, err)
		gaad = append(gaad, g)
	}
	out, err := awsimport.ReadOutputs(os.DirFS(fixtureDir), "organization")
	require.NoError(t, err)
	org, err := awsimport.ReadOrganization(out)
	require.NoError(t, err)
	assert.Equal(t, org.SCPs[0].Name, ic.Organization.SCPs[0].Name)
	for i := range org.Accounts {
		org.Accounts[i].Name = ""
	}
	assert.Equal(t, org.Accounts, ic.Organization.Accounts)

	want, err := awsimport.Convert(&awsimport.Input{GAAD: gaad, Organization: org}, awsimport.Options{Catalog: cat})
	require.NoError(t, err)
	got, err := awsimport.Convert(&awsimport.Input{GAAD: ic.GAAD, Organization: ic.Organization}, awsimport.Options{Catalog: cat})
	require.NoError(t, err)
	assert.Equal(t, want.Accounts, got.Accounts)
	wantFiles, err := awsimport.Files(want.Set)
	require.NoError(t, err)
	gotFiles, err := awsimport.Files(got.Set)
	require.NoError(t, err)
	assert.Equal(t, canonicalFiles(t, wantFiles), canonicalFiles(t, gotFiles))
}

// canonicalFiles re-encodes every JSON file with sorted keys and sorted
// arrays, so that files that differ only in order compare equal.
func canonicalFiles(t *testing.T, files map[string][]byte) map[string]string {
	t.Helper()
	out := make(map[string]string, len(files))
	for name, data := range files {
		var v any
		require.NoError(t, json.Unmarshal(data, &v), name)
		out[name] = string(canonical(v))
	}
	return out
}

func canonical(v any) []byte {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]json.RawMessage, len(x))
		for k, e := range x {
			m[k] = canonical(e)
		}
		b, _ := json.Marshal(m) // sorts the keys
		return b
	case []any:
		items := make([]string, len(x))
		for i, e := range x {
			items[i] = string(canonical(e))
		}
		sort.Strings(items)
		raw := make([]json.RawMessage, len(items))
		for i, s := range items {
			raw[i] = json.RawMessage(s)
		}
		b, _ := json.Marshal(raw)
		return b
	}
	b, _ := json.Marshal(v)
	return b
}

// TestIAMCollectBadInput: every problem names the file under the tree's
// name and the JSON path inside it.
func TestIAMCollectBadInput(t *testing.T) {
	t.Parallel()
	const acct = "aws/aws/accounts/111122223333/iam/"
	const org = "aws/aws/organizations/o-x/"
	user := func(files map[string]string) map[string]string {
		m := map[string]string{acct + "user/alice/metadata.json": `{"arn":"arn:aws:iam::111122223333:user/alice","name":"alice","path":"/"}`}
		for k, v := range files {
			m[k] = v
		}
		return m
	}
	orgFiles := func(accounts, ous string) map[string]string {
		return user(map[string]string{
			org + "metadata.json":             `{"id":"o-x","rootOu":"r-1","rootAccountId":"999988887777"}`,
			org + "accounts.json":             accounts,
			org + "ous.json":                  ous,
			org + "scps/p-full/metadata.json": `{"arn":"arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess","name":"FullAWSAccess"}`,
			org + "scps/p-full/policy.json":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		})
	}
	const full = `"arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"`
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"no aws directory", map[string]string{"other/file.json": `{}`},
			[]string{"tree: no aws/ directory"}},
		{"invalid JSON", user(map[string]string{acct + "user/alice/tags.json": "{\n  \"a\": \n}"}),
			[]string{"tree/" + acct + "user/alice/tags.json:3:1: invalid JSON"}},
		{"wrong type", map[string]string{acct + "role/r/metadata.json": `{"arn": 7, "name": "r"}`},
			[]string{"tree/" + acct + "role/r/metadata.json:1:9: arn: want a string, got number"}},
		{"missing name", map[string]string{acct + "group/g/metadata.json": `{"arn":"arn:aws:iam::111122223333:group/g"}`},
			[]string{"tree/" + acct + "group/g/metadata.json: missing arn or name"}},
		{"inline policy without name", user(map[string]string{acct + "user/alice/inline-policies.json": `[{"PolicyDocument":{}}]`}),
			[]string{"tree/" + acct + "user/alice/inline-policies.json: [0].PolicyName: missing"}},
		{"group that is no group ARN", user(map[string]string{acct + "user/alice/groups.json": `["arn:aws:iam::111122223333:role/x"]`}),
			[]string{"tree/" + acct + "user/alice/groups.json: [0]: want a group ARN"}},
		{"managed policy without its document", map[string]string{acct + "policy/p/metadata.json": `{"arn":"arn:aws:iam::111122223333:policy/p","name":"p","defaultVersionId":"v1"}`},
			[]string{"tree/" + acct + "policy/p/current-policy.json: open"}},
		{"SCP not in scps", orgFiles(`{"111122223333":{"ou":"r-1","scps":["arn:aws:organizations::1:policy/o-x/service_control_policy/p-gone"]}}`, `{"r-1":{"scps":[`+full+`]}}`),
			[]string{"tree/" + org + "accounts.json: 111122223333.scps[0]: SCP \"arn:aws:organizations::1:policy/o-x/service_control_policy/p-gone\" is not under scps/"}},
		{"unknown OU", orgFiles(`{"111122223333":{"ou":"ou-gone","scps":[`+full+`]}}`, `{"r-1":{"scps":[`+full+`]}}`),
			[]string{"tree/" + org + "accounts.json: 111122223333.ou: OU \"ou-gone\" is not in ous.json"}},
		{"level without SCP", orgFiles(`{"111122223333":{"ou":"ou-1","scps":[`+full+`]}}`, `{"r-1":{"scps":[`+full+`]},"ou-1":{"parent":"r-1","scps":[]}}`),
			[]string{"tree/" + org + "ous.json: ou-1.scps: no SCP is attached to \"ou-1\""}},
		{"two organizations", map[string]string{"aws/aws/organizations/o-a/metadata.json": `{}`, "aws/aws/organizations/o-b/metadata.json": `{}`},
			[]string{"tree: the tree holds 2 organizations"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range tc.files {
				fsys[k] = &fstest.MapFile{Data: []byte(v)}
			}
			_, err := awsimport.ReadIAMCollect(fsys, ".", "tree")
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// FuzzReadIAMCollect puts arbitrary text into one file of a small valid
// iam-collect tree and converts what is read. Nothing panics, and every
// error is a list of Problems positioned inside the input.
func FuzzReadIAMCollect(f *testing.F) {
	const acct = "aws/aws/accounts/111122223333/iam/"
	const org = "aws/aws/organizations/o-x/"
	full := `"arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"`
	base := map[string]string{
		acct + "user/alice/metadata.json":          `{"arn":"arn:aws:iam::111122223333:user/alice","name":"alice","path":"/","permissionBoundary":"arn:aws:iam::111122223333:policy/b"}`,
		acct + "user/alice/groups.json":            `["arn:aws:iam::111122223333:group/g"]`,
		acct + "user/alice/inline-policies.json":   `[{"PolicyName":"p","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*"}]}}]`,
		acct + "user/alice/tags.json":              `{"team":"a"}`,
		acct + "group/g/metadata.json":             `{"arn":"arn:aws:iam::111122223333:group/g","name":"g","path":"/"}`,
		acct + "group/g/managed-policies.json":     `["arn:aws:iam::111122223333:policy/b"]`,
		acct + "role/r/metadata.json":              `{"arn":"arn:aws:iam::111122223333:role/r","name":"r","path":"/"}`,
		acct + "role/r/trust-policy.json":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"pinpoint.amazonaws.com"}}]}`,
		acct + "policy/b/metadata.json":            `{"arn":"arn:aws:iam::111122223333:policy/b","name":"b","path":"/","defaultVersionId":"v1"}`,
		acct + "policy/b/current-policy.json":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:*","Resource":"*"}]}`,
		org + "metadata.json":                      `{"rootOu":"r-1","rootAccountId":"999988887777"}`,
		org + "accounts.json":                      `{"111122223333":{"ou":"r-1","scps":[` + full + `]}}`,
		org + "ous.json":                           `{"r-1":{"scps":[` + full + `]}}`,
		org + "scps/p-fullawsaccess/metadata.json": `{"arn":` + full + `,"name":"FullAWSAccess"}`,
		org + "scps/p-fullawsaccess/policy.json":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	}
	names := make([]string, 0, len(base))
	for name := range base {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		f.Add(uint8(i), []byte(base[name]))
	}
	f.Add(uint8(0), []byte(`{"arn": 7}`))
	f.Add(uint8(1), []byte(`[7, "x"]`))
	f.Add(uint8(11), []byte(`{"111122223333":{"ou":"ou-loop"}}`))
	cat := loadCatalog(f)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fsys := fstest.MapFS{}
		for name, text := range base {
			fsys[name] = &fstest.MapFile{Data: []byte(text)}
		}
		target := names[int(which)%len(names)]
		fsys[target] = &fstest.MapFile{Data: data}
		ic, err := awsimport.ReadIAMCollect(fsys, ".", "tree")
		unchanged := string(data) == base[target]
		if err != nil {
			require.False(t, unchanged, "the unchanged tree is refused: %v", err)
			checkProblems(t, data, err)
			return
		}
		_, err = awsimport.Convert(&awsimport.Input{GAAD: ic.GAAD, Organization: ic.Organization}, awsimport.Options{Catalog: cat})
		if unchanged {
			require.NoError(t, err, "the unchanged tree does not convert")
		}
		var probs awsimport.Problems
		if err != nil && !errors.As(err, &probs) {
			require.Contains(t, err.Error(), "converted model is invalid", "Convert: error of type %T", err)
		}
	})
}
