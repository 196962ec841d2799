package awsimport_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/awsfixture"
	"github.com/pdp-dev/pdp/pkg/awsimport"
)

func TestConvertFixture(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	f := awsfixture.New(awsfixture.Small)
	res, err := awsimport.Convert(fixtureInput(t, f, awsfixture.Object, 2), awsimport.Options{Catalog: cat})
	require.NoError(t, err)
	s := res.Set
	assert.Len(t, s.Users, 60)
	assert.Len(t, s.Roles, 20)
	assert.Len(t, s.Groups, 10)
	assert.Len(t, s.ManagedPolicies, 34)
	assert.Len(t, s.SCPs, 5)
	assert.Equal(t, []string{awsfixture.Account, awsfixture.MarketingAccount, awsfixture.SandboxAccount, awsfixture.Management}, res.Accounts)
	for _, a := range s.Accounts {
		if a.ID == awsfixture.Account {
			assert.Equal(t, [][]string{{"FullAWSAccess"}, {"FullAWSAccess", "MarketingGuardrails"},
				{"FullAWSAccess", "RegionLock"}, {"FullAWSAccess", "NoAppDeletion"}}, a.SCPs)
		}
		if a.ID == awsfixture.Management {
			assert.Empty(t, a.SCPs, "no SCP applies to the management account")
		}
	}
	assert.Positive(t, res.NonPinpoint)
	t.Logf("warnings: %v", res.Warnings)
}

// TestTwoAccounts imports the exports of two accounts that both list an
// AWS managed policy: it is imported once, unless its versions differ.
func TestTwoAccounts(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	f := awsfixture.New(awsfixture.Small)
	const readOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["mobiletargeting:Get*","mobiletargeting:List*"],"Resource":"*"}]}`
	other := func(doc string) []byte {
		return []byte(`{"UserDetailList": [{"UserName": "dana", "Path": "/", "Arn": "arn:aws:iam::444455556666:user/dana",
  "AttachedManagedPolicies": [{"PolicyName": "ExamplePinpointReadOnly", "PolicyArn": "arn:aws:iam::aws:policy/ExamplePinpointReadOnly"}]}],
 "Policies": [{"PolicyName": "ExamplePinpointReadOnly", "Arn": "arn:aws:iam::aws:policy/ExamplePinpointReadOnly", "Path": "/",
  "DefaultVersionId": "v1", "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": ` + doc + `}]}]}`)
	}
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{name: "same AWS managed policy", doc: readOnly},
		{name: "different versions", doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:*","Resource":"*"}]}`,
			wantErr: `other.json: Policies[0] (policy/ExamplePinpointReadOnly).PolicyVersionList[0].Document: AWS managed policy "arn:aws:iam::aws:policy/ExamplePinpointReadOnly" differs`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first, err := awsimport.ReadGAAD("first.json", f.GAAD(awsfixture.Object, 1)[0])
			require.NoError(t, err)
			second, err := awsimport.ReadGAAD("other.json", other(tc.doc))
			require.NoError(t, err)
			res, err := awsimport.Convert(&awsimport.Input{GAAD: []*awsimport.GAAD{first, second}}, awsimport.Options{Catalog: cat})
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{awsfixture.Account, "444455556666"}, res.Accounts)
			n := 0
			for _, m := range res.Set.ManagedPolicies {
				if m.Name == "ExamplePinpointReadOnly" {
					n++
				}
			}
			assert.Equal(t, 1, n)
		})
	}
}
