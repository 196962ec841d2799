package admin_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/servertest"
)

// TestUnauthenticatedWriteRecordsPeer checks that a write by a caller that
// is not authenticated is recorded as anonymous, with its peer address,
// in the history and in the log line, which names its component once.
func TestUnauthenticatedWriteRecordsPeer(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	resp, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{servertest.PutCarol()}})
	require.NoError(t, err)
	hist, err := e.Admin.GetHistory(t.Context(), &pdpv1.GetHistoryRequest{Key: servertest.UserKey(servertest.Carol)})
	require.NoError(t, err)
	require.NotEmpty(t, hist.GetRevisions())
	assert.Equal(t, resp.GetRevision(), hist.GetRevisions()[0].GetRevision())
	assert.Equal(t, "anonymous (peer bufconn)", hist.GetRevisions()[0].GetAuthor())

	var line string
	for l := range strings.Lines(e.Log.String()) {
		if strings.Contains(l, "policy change applied") {
			line = l
		}
	}
	require.NotEmpty(t, line, "no log line of the change in:\n%s", e.Log)
	assert.Contains(t, line, `author="anonymous (peer bufconn)"`)
	assert.Equal(t, 1, strings.Count(line, "component="), "component in %q", line)
}
