package server_test

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// rawCodec sends a []byte request as it is and decodes any reply into a
// *[]byte, so that a test can put on the wire what no client library would.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }

// TestUndecodableRequests sends bytes that are not the request message:
// the caller is told INVALID_ARGUMENT, naming the message, not INTERNAL.
func TestUndecodableRequests(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	tests := []struct {
		name   string
		method string
		body   []byte
	}{
		{name: "principal of invalid UTF-8", method: pdpv1.AuthorizationService_Check_FullMethodName,
			body: []byte{0x0a, 0x02, 0xff, 0xfe}},
		{name: "not a message", method: pdpv1.AuthorizationService_Check_FullMethodName,
			body: []byte{0xff, 0xff, 0xff, 0xff}},
		{name: "truncated field", method: pdpv1.AuthorizationService_BatchCheck_FullMethodName,
			body: []byte{0x0a, 0x40, 'a'}},
		{name: "simulate", method: pdpv1.AuthorizationService_Simulate_FullMethodName,
			body: []byte{0x0a, 0x01, 0x80}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var reply []byte
			err := ts.conn.Invoke(t.Context(), tc.method, tc.body, &reply, grpc.ForceCodecV2(rawCodec{}))
			got := decodeError(err)
			require.Equal(t, codes.InvalidArgument, got.Code, "%v", got)
			assert.Contains(t, got.Msg, "not a valid pdp.v1.")
			assert.Equal(t, "MALFORMED_REQUEST", got.Reason)
		})
	}
	t.Run("a good request after", func(t *testing.T) {
		t.Parallel()
		_, err := ts.client.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
			Resource: springSale, Context: usEast()})
		require.NoError(t, err)
	})
}

// TestUndecodableRequestObserved checks that interceptors observing calls
// (metrics) see an undecodable request refused INVALID_ARGUMENT.
func TestUndecodableRequestObserved(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	srv := server.New(server.Config{}, cat, nil)
	srv.Activate(exampleSnapshot(t, cat, 1))
	seen := make(chan codes.Code, 1)
	observe := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		seen <- status.Code(err)
		return resp, err
	}
	gs := server.NewGRPCServer(server.GRPCConfig{ObserveUnary: []grpc.UnaryServerInterceptor{observe}}, nil)
	srv.Register(gs)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	var reply []byte
	err = conn.Invoke(t.Context(), pdpv1.AuthorizationService_Check_FullMethodName, []byte{0x0a, 0x02, 0xff, 0xfe}, &reply,
		grpc.ForceCodecV2(rawCodec{}))
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	assert.Equal(t, codes.InvalidArgument, <-seen)
}

// TestManyEmbeddedMessagesRefusedUndecoded sends requests of 4 MB made of
// what costs two bytes on the wire and a hundred or more once decoded
// (empty batch items, context entries): the server refuses them
// INVALID_ARGUMENT naming the field before decoding them, allocating
// little, where decoding took 300 MB a call. A batch at the limits, of
// 1,000 items with 64 keys each, is decided.
func TestManyEmbeddedMessagesRefusedUndecoded(t *testing.T) {
	ts := newExampleServer(t)
	var manyKeys []byte
	for i := 0; len(manyKeys) < 3<<20; i++ {
		key := strconv.Itoa(1_000_000 + i)
		entry := append([]byte{0x0a, byte(len(key))}, key...)
		entry = append(entry, 0x12, 0x00) // an empty ContextValue
		manyKeys = append(append(manyKeys, 0x2a, byte(len(entry))), entry...)
	}
	tests := []struct {
		name      string
		method    string
		body      []byte
		wantField string
	}{
		{"empty batch items", pdpv1.AuthorizationService_BatchCheck_FullMethodName,
			bytes.Repeat([]byte{0x1a, 0x00}, 2_000_000), "items"},
		{"context entries", pdpv1.AuthorizationService_Check_FullMethodName, manyKeys, "context"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var reply []byte
			err := ts.conn.Invoke(t.Context(), tc.method, tc.body, &reply, grpc.ForceCodecV2(rawCodec{}))
			runtime.ReadMemStats(&after)
			got := decodeError(err)
			require.Equal(t, codes.InvalidArgument, got.Code, "%v", got)
			assert.Equal(t, []string{tc.wantField}, got.Fields)
			assert.Contains(t, got.Msg, "more than any request within the limits")
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "bytes allocated by the call")
		})
	}
	t.Run("a batch at the limits", func(t *testing.T) {
		ctx := make(map[string]*pdpv1.ContextValue, server.DefaultLimits.MaxContextKeys)
		for i := range server.DefaultLimits.MaxContextKeys {
			ctx["app:key"+strconv.Itoa(i)] = list("a", "b")
		}
		items := make([]*pdpv1.BatchCheckItem, server.DefaultMaxBatchItems)
		for i := range items {
			items[i] = &pdpv1.BatchCheckItem{Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: ctx}
		}
		resp, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Principal: alice, Context: ctx, Items: items})
		require.NoError(t, err)
		assert.Len(t, resp.GetResults(), len(items))
	})
}
