package main

import (
	"crypto/rand"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// seededBoltFile runs pdp serve once to seed a bolt store with the example
// model, takes one more revision, and returns the file's bytes.
func seededBoltFile(t *testing.T) []byte {
	t.Helper()
	dataDir := t.TempDir()
	s := startServe(t, "--seed", modelDir, "--data-dir", dataDir, "--drain-delay", "0")
	policyMust(t, s.addr, "--author", "ann", "-f", writeDir(t, map[string]string{"users.yaml": carolBundle}), "apply")
	stop(t, s)
	b, err := os.ReadFile(filepath.Join(dataDir, "pdp.db"))
	require.NoError(t, err)
	return b
}

// flip inverts n bytes of b at off.
func flip(b []byte, off, n int) {
	for i := off; i < off+n; i++ {
		b[i] ^= 0xff
	}
}

// boltPageSize reads the page size from a bolt file's first meta page.
func boltPageSize(b []byte) int { return int(binary.NativeEndian.Uint32(b[16+8:])) }

// TestServeRefusesDamagedStore starts pdp serve on a damaged bolt file,
// with --seed: it exits 1 with an error that names the file, says what is
// wrong and what to do, and leaves every byte of the file as it was; it
// neither panics nor seeds a new store in its place.
func TestServeRefusesDamagedStore(t *testing.T) {
	t.Parallel()
	good := seededBoltFile(t)
	pageSize := boltPageSize(good)
	tests := []struct {
		name        string
		damage      func(b []byte) []byte
		wantProblem string
	}{
		{name: "zero bytes", damage: func([]byte) []byte { return nil }, wantProblem: "the file is empty (0 bytes)"},
		{name: "half the file", damage: func(b []byte) []byte { return b[:len(b)/2] }, wantProblem: "the file is truncated"},
		{
			name: "both meta pages flipped",
			damage: func(b []byte) []byte {
				flip(b, 16, 64)
				flip(b, pageSize+16, 64)
				return b
			},
			wantProblem: "both meta pages are damaged",
		},
		{
			name: "data pages flipped",
			damage: func(b []byte) []byte {
				// Every page after the meta pages: the root and freelist too.
				flip(b, 2*pageSize, len(b)-2*pageSize)
				return b
			},
			wantProblem: "is corrupt",
		},
		{
			// Past the header: found by the check that runs while the
			// model is read.
			name: "pages past the root and freelist flipped",
			damage: func(b []byte) []byte {
				meta := func(i int) []byte { return b[i*pageSize+16:] }
				m := meta(0)
				if ne := binary.NativeEndian; ne.Uint64(meta(1)[48:]) > ne.Uint64(m[48:]) { // the newer transaction
					m = meta(1)
				}
				root, freelist, high := binary.NativeEndian.Uint64(m[16:]), binary.NativeEndian.Uint64(m[32:]), binary.NativeEndian.Uint64(m[40:])
				for id := uint64(2); id < high; id++ {
					if id != root && id != freelist {
						flip(b, int(id)*pageSize, pageSize)
					}
				}
				return b
			},
			wantProblem: "Page expected to be",
		},
		{
			name: "random bytes",
			damage: func(b []byte) []byte {
				_, _ = rand.Read(b)
				return b
			},
			wantProblem: "both meta pages are damaged",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dataDir := t.TempDir()
			path := filepath.Join(dataDir, "pdp.db")
			damagedBytes := tc.damage(append([]byte(nil), good...))
			require.NoError(t, os.WriteFile(path, damagedBytes, 0o600))

			code, _, stderr := runPDP(t, nil, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--seed", modelDir)
			assert.Equal(t, exitFailure, code, "stderr:\n%s", stderr)
			for _, want := range []string{"level=ERROR", "serve failed", path + " is damaged", tc.wantProblem,
				"the file was left as it is", "pdp store check " + path, "restore the file from a backup"} {
				assert.Contains(t, stderr, want)
			}
			assert.NotContains(t, stderr, "seeded")
			// No crash: bbolt's check may quote an assertion it recovered
			// ("panic: assertion failed"), but no Go panic is printed.
			assert.NotRegexp(t, `(?m)^panic: `, stderr)
			assert.NotContains(t, stderr, "goroutine ")
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, string(after) == string(damagedBytes), "pdp serve changed the damaged file")
		})
	}
}

// TestServeReadsPastOneDamagedMetaPage flips the older meta page of a
// store: pdp serve warns, serves the store's latest revision, and does not
// seed.
func TestServeReadsPastOneDamagedMetaPage(t *testing.T) {
	t.Parallel()
	b := seededBoltFile(t)
	pageSize := boltPageSize(b)
	txid := func(page int) uint64 { return binary.NativeEndian.Uint64(b[page*pageSize+16+48:]) }
	older := 0
	if txid(1) < txid(0) {
		older = 1
	}
	flip(b, older*pageSize+16, 64)
	dataDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dataDir, "pdp.db"), b, 0o600))

	s := startServe(t, "--data-dir", dataDir, "--seed", modelDir, "--drain-delay", "0")
	log := s.log.String()
	assert.Regexp(t, regexp.MustCompile(`level=WARN msg="policy store damaged, read past" .*meta page \d is damaged`), log)
	assert.Regexp(t, regexp.MustCompile(`msg=serving .*revision=2`), log)
	assert.Contains(t, log, "--seed skipped")
	stop(t, s)
}

// TestServeFollowsDuringDrain stops pdp serve and writes to its store while
// it drains: the write is acknowledged at revision 2, and a Check with
// min_revision 2 sees it, because the follower keeps following until the
// server stops accepting calls.
func TestServeFollowsDuringDrain(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--data-dir", t.TempDir(), "--seed", modelDir, "--drain-delay", "5s")
	conn := dialTest(t, s.addr)
	s.cancel()
	// Draining: health says NOT_SERVING while calls are still accepted.
	require.Eventually(t, func() bool {
		st, err := healthStatus(t.Context(), conn)
		return err == nil && st == healthpb.HealthCheckResponse_NOT_SERVING
	}, 30*time.Second, 5*time.Millisecond, "health to turn NOT_SERVING")

	wantLines(t, "apply while draining", policyMust(t, s.addr, "--author", "ann", "-f",
		writeDir(t, map[string]string{"users.yaml": carolBundle}), "apply"), "revision 2")
	resp, err := pdpv1.NewAuthorizationServiceClient(conn).Check(t.Context(), &pdpv1.CheckRequest{
		Principal: carol, Action: "mobiletargeting:GetSegment", Resource: segment, MinRevision: 2,
		Context: map[string]*pdpv1.ContextValue{
			"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}},
		},
	})
	require.NoError(t, err)
	assert.Equal(t, pdpv1.Decision_DECISION_ALLOW, resp.GetDecision())
	assert.Equal(t, int64(2), resp.GetRevision())

	select {
	case <-s.done:
		assert.Equal(t, exitOK, s.code, "log:\n%s", s.log)
	case <-time.After(time.Minute):
		require.FailNow(t, "pdp serve did not stop", "log:\n%s", s.log)
	}
	assert.Contains(t, s.log.String(), "msg=stopped")
}
