package server_test

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"golang.org/x/net/http2"

	"github.com/pdp-dev/pdp/internal/server"
)

// TestKeepaliveEnforcement checks that the server enforces its keepalive
// policy: a client that pings far more often than the policy allows is sent
// GOAWAY with ENHANCE_YOUR_CALM ("too_many_pings") and cut off. grpc-go's
// own client never pings that often, so the test speaks HTTP/2 itself.
func TestKeepaliveEnforcement(t *testing.T) {
	t.Parallel()
	gs := server.NewGRPCServer(server.GRPCConfig{}, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)

	conn, err := net.Dial("tcp", lis.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = conn.Write([]byte(http2.ClientPreface))
	require.NoError(t, err)
	fr := http2.NewFramer(conn, conn)
	require.NoError(t, fr.WriteSettings())
	// Ping in a burst, as a misbehaving client would; the policy allows one
	// ping every 10 s.
	go func() {
		for i := range 10 {
			if fr.WritePing(false, [8]byte{byte(i)}) != nil {
				return
			}
		}
	}()
	for {
		f, err := fr.ReadFrame()
		require.NoError(t, err, "connection ended without GOAWAY")
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			require.Equal(t, http2.ErrCodeEnhanceYourCalm, ga.ErrCode, "GOAWAY %q", ga.DebugData())
			require.Contains(t, string(ga.DebugData()), "too_many_pings", "GOAWAY %v", ga.ErrCode)
			return
		}
	}
}
