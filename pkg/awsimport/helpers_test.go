package awsimport_test

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/awsfixture"
	"github.com/pdp-dev/pdp/pkg/awsimport"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

func loadCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Load()
	require.NoError(tb, err)
	return cat
}

// fixtureInput reads a generated export as the command would.
func fixtureInput(tb testing.TB, f *awsfixture.Fixture, enc awsfixture.Encoding, pages int) *awsimport.Input {
	tb.Helper()
	in := &awsimport.Input{}
	for i, data := range f.GAAD(enc, pages) {
		g, err := awsimport.ReadGAAD(fmt.Sprintf("gaad-%d.json", i+1), data)
		require.NoError(tb, err)
		in.GAAD = append(in.GAAD, g)
	}
	org, err := awsimport.ReadOrganization(awsimport.NewOutputs("organization", trimJSON(f.OrganizationFiles())))
	require.NoError(tb, err)
	in.Organization = org
	in.Pinpoint, err = awsimport.ReadPinpoint(awsimport.NewOutputs("pinpoint", trimJSON(f.PinpointFiles())))
	require.NoError(tb, err)
	in.ResourcePolicies, err = awsimport.ReadResourcePolicies(awsimport.NewOutputs("resource-policies", trimJSON(f.ResourcePolicyFiles(enc))))
	require.NoError(tb, err)
	return in
}

// trimJSON names outputs without their .json, as ReadOutputs does.
func trimJSON(files map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for k, v := range files {
		out[k[:len(k)-len(".json")]] = v
	}
	return out
}

// mapFS is an in-memory file system of files.
func mapFS(files map[string][]byte) fstest.MapFS {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: v}
	}
	return m
}
