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
