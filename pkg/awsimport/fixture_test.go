package awsimport_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/awsfixture"
	"github.com/pdp-dev/pdp/pkg/awsimport"
)

var update = flag.Bool("update", false, "rewrite testdata/export from the fixture generator")

// fixtureDir holds the committed export of the fixture, for reading and
// for trying pdp import aws by hand: two pages of authorization details in
// each document encoding, the organization, Pinpoint and resource policy
// exports.
const fixtureDir = "testdata/export"

// fixtureFiles renders the committed export.
func fixtureFiles() map[string][]byte {
	f := awsfixture.New(awsfixture.Small)
	files := make(map[string][]byte)
	for name, enc := range awsfixture.Encodings {
		for i, page := range f.GAAD(enc, 2) {
			files[fmt.Sprintf("gaad-%s-%d.json", name, i+1)] = page
		}
	}
	for name, data := range f.OrganizationFiles() {
		files["organization/"+name] = data
	}
	for name, data := range f.PinpointFiles() {
		files["pinpoint/"+name] = data
	}
	for name, data := range f.ResourcePolicyFiles(awsfixture.Object) {
		files["resource-policies/"+name] = data
	}
	return files
}

// TestFixtureFiles keeps testdata/export equal to what the generator
// writes (go test -run TestFixtureFiles . -args -update rewrites it), and reads it
// as the command does.
func TestFixtureFiles(t *testing.T) {
	files := fixtureFiles()
	if *update {
		require.NoError(t, os.RemoveAll(fixtureDir))
		for name, data := range files {
			p := filepath.Join(fixtureDir, filepath.FromSlash(name))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, data, 0o644))
		}
	}
	for name, data := range files {
		got, err := os.ReadFile(filepath.Join(fixtureDir, filepath.FromSlash(name)))
		require.NoError(t, err, "run go test -run TestFixtureFiles . -args -update")
		assert.Equal(t, string(data), string(got), "%s is stale: run go test -run TestFixtureFiles . -args -update", name)
	}
	for _, dir := range []string{"organization", "pinpoint"} {
		out, err := awsimport.ReadOutputs(os.DirFS(fixtureDir), dir)
		require.NoError(t, err)
		if dir == "organization" {
			_, err = awsimport.ReadOrganization(out)
		} else {
			_, err = awsimport.ReadPinpoint(out)
		}
		assert.NoError(t, err)
	}
}
