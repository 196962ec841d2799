package server_test

import (
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestFloodOfOversizedRequests sends requests over the message size limit
// from several connections while another caller checks: the oversized ones
// are refused RESOURCE_EXHAUSTED, the other caller is served throughout, and
// the server's heap stays bounded.
func TestFloodOfOversizedRequests(t *testing.T) {
	cat := loadCatalog(t)
	srv := server.New(server.Config{}, cat, nil)
	srv.Activate(exampleSnapshot(t, cat, 1))
	const limit = 64 << 10
	gs := server.NewGRPCServer(server.GRPCConfig{MaxMessageBytes: limit}, nil)
	srv.Register(gs)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	dialer := grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) })
	newClient := func() pdpv1.AuthorizationServiceClient {
		conn, err := grpc.NewClient("passthrough:///bufnet", dialer, grpc.WithTransportCredentials(insecure.NewCredentials()))
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		return pdpv1.NewAuthorizationServiceClient(conn)
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	huge := strings.Repeat("x", 2*limit)
	var wg sync.WaitGroup
	var refused, other sync.Map
	for w := range 4 {
		c := newClient()
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				_, err := c.Check(ctx, &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
					Resource: springSale, Context: ctxMap("aws:UserAgent", huge)})
				switch status.Code(err) {
				case codes.ResourceExhausted:
					refused.Store([2]int{w, i}, true)
				case codes.DeadlineExceeded, codes.Canceled:
				default:
					other.Store([2]int{w, i}, err)
				}
			}
		})
	}
	good := newClient()
	served := 0
	for ctx.Err() == nil {
		// Each check has its own deadline, not the flood's, so that the
		// flood ending cannot be mistaken for the caller going unserved.
		callCtx, cancelCall := context.WithTimeout(t.Context(), 10*time.Second)
		resp, err := good.Check(callCtx, &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
			Resource: springSale, Context: usEast()})
		cancelCall()
		require.NoError(t, err, "the well-behaved caller was not served")
		require.NotEqual(t, pdpv1.Decision_DECISION_UNSPECIFIED, resp.GetDecision(), "the well-behaved caller was not served")
		served++
	}
	wg.Wait()

	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	n := 0
	refused.Range(func(any, any) bool { n++; return true })
	other.Range(func(k, v any) bool {
		assert.Fail(t, "oversized request not refused", "%v: %v, want RESOURCE_EXHAUSTED", k, v)
		return true
	})
	require.Positive(t, n, "oversized requests refused")
	require.Positive(t, served, "checks served")
	growth := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d oversized requests refused, %d checks served alongside; heap in use %d KiB before, %d KiB after (%+d KiB)",
		n, served, before.HeapInuse>>10, after.HeapInuse>>10, growth>>10)
	assert.LessOrEqual(t, growth, int64(64<<20), "heap growth in bytes during the flood")
}
