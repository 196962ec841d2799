package authzen_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/decisionlog"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// fixedNow is the server's clock in tests.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// decisions records what the server's OnDecision hook saw.
type decisions struct {
	mu      sync.Mutex
	records []decisionlog.Record
}

func (d *decisions) onDecision(_ context.Context, r decisionlog.Record) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.records = append(d.records, r)
}

func (d *decisions) take() []decisionlog.Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.records
	d.records = nil
	return out
}

// newDecider returns a server deciding examples/model.
func newDecider(tb testing.TB) (*server.Server, *catalog.Catalog, *decisions) {
	tb.Helper()
	return newDeciderOf(tb, "../../examples/model")
}

// newDeciderOf returns a server deciding the model in dir.
func newDeciderOf(tb testing.TB, dir string) (*server.Server, *catalog.Catalog, *decisions) {
	tb.Helper()
	cat, err := catalog.Load()
	require.NoError(tb, err)
	set, err := entity.LoadDir(os.DirFS(dir), ".")
	require.NoError(tb, err)
	res, err := set.Resolve(cat)
	require.NoError(tb, err)
	snap, err := snapshot.Compile(cat, res, 1, nil)
	require.NoError(tb, err)
	seen := &decisions{}
	srv := server.New(server.Config{Clock: func() time.Time { return fixedNow }, Hooks: server.Hooks{OnDecision: seen.onDecision}}, cat, nil)
	srv.Activate(snap)
	return srv, cat, seen
}

// testToken is the bearer token of alice in tests that require one.
const testToken = "s3cret-token"

// newGuard returns an Authorizer requiring authentication of decisions,
// knowing testToken as alice.
func newGuard(tb testing.TB, cat *catalog.Catalog) *auth.Authorizer {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "tokens")
	line := auth.HashToken(testToken) + " arn:aws:iam::111122223333:user/alice\n"
	require.NoError(tb, os.WriteFile(path, []byte(line), 0o600))
	az, err := auth.New(context.Background(), auth.Config{TokenFile: path, RequireForDecisions: true}, cat, nil)
	require.NoError(tb, err)
	return az
}

// serveHandler serves h over loopback HTTP until the test ends.
func serveHandler(tb testing.TB, h *authzen.Handler) *httptest.Server {
	tb.Helper()
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return ts
}
