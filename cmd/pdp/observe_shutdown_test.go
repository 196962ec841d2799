package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// stuckWriter is a stdout whose reader never reads: every Write blocks
// until the test ends.
type stuckWriter struct{ release <-chan struct{} }

func (w stuckWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

// stuckFIFO makes a FIFO whose reader never reads: it is held open for
// reading, so that opening it for writing does not wait, and filled, so
// that every write blocks.
func stuckFIFO(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "decisions.fifo")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	for _, chunk := range []int{4096, 1} {
		buf := make([]byte, chunk)
		for range 1 << 20 {
			if _, err := syscall.Write(fd, buf); err != nil {
				require.True(t, errors.Is(err, syscall.EAGAIN), "fill the FIFO: %v", err)
				break
			}
		}
	}
	return path
}

// TestServeShutdownWithStuckDecisionLog stops pdp serve while its decision
// log cannot be written, to a FIFO and to stdout: serve returns anyway,
// and the records the sink never took are counted as dropped in the last
// log line.
func TestServeShutdownWithStuckDecisionLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sink func(t *testing.T) (flag string, stdout io.Writer)
	}{
		{name: "fifo", sink: func(t *testing.T) (string, io.Writer) { return stuckFIFO(t), io.Discard }},
		{name: "stdout", sink: func(t *testing.T) (string, io.Writer) {
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			return "-", stuckWriter{release: release}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			decisionLog, stdout := tc.sink(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			log := &syncBuffer{}
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--policies", modelDir, "--drain-delay", "0",
					"--decision-log", decisionLog, "--decision-log-max-bytes", "0"}, strings.NewReader(""), stdout, log)
			}()
			var addr string
			require.Eventually(t, func() bool {
				m := servingLine.FindStringSubmatch(log.String())
				if m != nil {
					addr = m[1]
				}
				return m != nil
			}, 30*time.Second, 10*time.Millisecond, "the serving line")

			client := pdpv1.NewAuthorizationServiceClient(dialTest(t, addr))
			for range 3 {
				_, err := client.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: segment})
				require.NoError(t, err)
			}
			cancel()
			select {
			case code := <-done:
				assert.Equal(t, exitOK, code, "log:\n%s", log)
			case <-time.After(2 * time.Minute):
				require.FailNow(t, "pdp serve did not return with its decision log stuck", "log:\n%s", log)
			}
			for _, want := range []string{`msg="decision log sink blocked at shutdown; undelivered records counted as dropped"`,
				"undelivered=3", "dropped_total=3", "msg=stopped"} {
				assert.Contains(t, log.String(), want)
			}
		})
	}
}
