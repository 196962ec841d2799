package etcdstore_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerMatchesClient checks that the etcd server the tests start is
// the release of the etcd client in go.mod, so that the tests see the
// server behaviour the client was released with.
func TestServerMatchesClient(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../../go.mod")
	require.NoError(t, err)
	var client string
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "go.etcd.io/etcd/client/v3" {
			client = f[1]
		}
	}
	require.NotEmpty(t, client, "go.mod requires no go.etcd.io/etcd/client/v3")

	srv := startServer(t)
	cli := rawClient(t, srv)
	st, err := cli.Status(t.Context(), srv.Endpoints()[0])
	require.NoError(t, err)
	assert.Equal(t, strings.TrimPrefix(client, "v"), st.Version,
		"bin/etcd is not the client's release: move internal/tools/etcd to it and run `make etcd`")
}
