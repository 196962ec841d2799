package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/decisionlog"
	"github.com/pdp-dev/pdp/internal/server"
)

// streamServer is a pdp server with its gRPC server exposed, so that tests
// can drain and stop it.
type streamServer struct {
	srv    *server.Server
	gs     *grpc.Server
	client pdpv1.AuthorizationServiceClient
}

// newStreamServer serves examples/model at revision 1 over bufconn; extra
// stream interceptors run inside the server's own. dialOpts add to the
// client's.
func newStreamServer(t *testing.T, cfg server.Config, stream []grpc.StreamServerInterceptor, dialOpts ...grpc.DialOption) *streamServer {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = func() time.Time { return fixedNow }
	}
	cat := loadCatalog(t)
	srv := server.New(cfg, cat, nil)
	srv.Activate(exampleSnapshot(t, cat, 1))
	lis := bufconn.Listen(1 << 20)
	gs := server.NewGRPCServer(server.GRPCConfig{Stream: stream}, nil)
	srv.Register(gs)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	opts := append([]grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, dialOpts...)
	conn, err := grpc.NewClient("passthrough:///bufnet", opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		conn.Close()
		gs.Stop()
		if err := <-served; !errors.Is(err, grpc.ErrServerStopped) {
			assert.NoError(t, err, "serve")
		}
	})
	return &streamServer{srv: srv, gs: gs, client: pdpv1.NewAuthorizationServiceClient(conn)}
}

// randomCheck draws a request over examples/model; about one in six cannot
// be decided (an unknown action, a malformed ARN, a derived context key).
func randomCheck(r *rand.Rand) *pdpv1.CheckRequest {
	principals := []string{alice, bob, analyst, smsSender, partner, stranger}
	actions := []string{"mobiletargeting:GetSegment", "mobiletargeting:GetCampaign", "mobiletargeting:UpdateCampaign",
		"mobiletargeting:DeleteApp", "sms-voice:SendTextMessage", "sms-voice:DescribePools", "mobiletargeting:NoSuchAction"}
	resources := []string{growthApp, springSale, activeUsers, retention, winBack, smsPool, optOutList, "*", "not-an-arn"}
	req := &pdpv1.CheckRequest{
		Principal: principals[r.IntN(len(principals))],
		Action:    actions[r.IntN(len(actions))],
		Resource:  resources[r.IntN(len(resources))],
	}
	switch r.IntN(6) {
	case 0:
		req.Context = usEast()
	case 1:
		req.Context = ctxMap("aws:PrincipalArn", alice) // derived: refused
	}
	return req
}

// collect sends every request on one stream, closes it and returns the
// responses.
func collect(t *testing.T, ctx context.Context, c pdpv1.AuthorizationServiceClient, reqs []*pdpv1.CheckStreamRequest) []*pdpv1.CheckStreamResponse {
	t.Helper()
	stream, err := c.CheckStream(ctx)
	require.NoError(t, err)
	sent := make(chan error, 1)
	go func() {
		for _, r := range reqs {
			if err := stream.Send(r); err != nil {
				sent <- err
				return
			}
		}
		sent <- stream.CloseSend()
	}()
	var out []*pdpv1.CheckStreamResponse
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		out = append(out, res)
	}
	require.NoError(t, <-sent)
	return out
}

// TestCheckStreamMatchesCheck decides 1,000 random requests, some of which
// cannot be decided, both ways: the stream answers each in order, exactly as
// Check does, and its errors do not end it.
func TestCheckStreamMatchesCheck(t *testing.T) {
	ts := newStreamServer(t, server.Config{}, nil)
	r := rand.New(rand.NewPCG(7, 11))
	reqs := make([]*pdpv1.CheckStreamRequest, 1000)
	for i := range reqs {
		reqs[i] = &pdpv1.CheckStreamRequest{Id: uint64(1000 + i), Check: randomCheck(r)}
	}
	got := collect(t, t.Context(), ts.client, reqs)
	require.Len(t, got, len(reqs))
	errs := 0
	for i, res := range got {
		require.Equal(t, reqs[i].GetId(), res.GetId(), "response %d out of order", i)
		want, err := ts.client.Check(t.Context(), reqs[i].GetCheck())
		if err != nil {
			errs++
			st := status.Convert(err)
			require.NotNil(t, res.GetError(), "request %d: Check failed with %v, the stream decided", i, err)
			assert.Equal(t, int32(st.Code()), res.GetError().GetCode(), "request %d", i)
			assert.Equal(t, st.Message(), res.GetError().GetMessage(), "request %d", i)
			assert.Nil(t, res.GetResult())
			continue
		}
		require.Nil(t, res.GetError(), "request %d", i)
		assert.True(t, proto.Equal(want, res.GetResult()), "request %d: stream %v, Check %v", i, res.GetResult(), want)
	}
	assert.Greater(t, errs, 50, "the workload should interleave errors")
	assert.Less(t, errs, 900, "the workload should mostly decide")
}

// TestCheckStreamItemErrors names the offending field of a request that
// cannot be decided, and decides the next one, reporting it to the
// decision hook as Check does, under the method CheckStream.
func TestCheckStreamItemErrors(t *testing.T) {
	records := make(chan decisionlog.Record, 10)
	ts := newStreamServer(t, server.Config{Hooks: server.Hooks{OnDecision: func(_ context.Context, r decisionlog.Record) {
		records <- r
	}}}, nil)
	got := collect(t, t.Context(), ts.client, []*pdpv1.CheckStreamRequest{
		{Id: 1, Check: &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: "arn:aws:nope"}},
		{Id: 2},
		{Id: 3, Check: &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast()}},
	})
	require.Len(t, got, 3)
	assert.Equal(t, int32(codes.InvalidArgument), got[0].GetError().GetCode())
	assert.Equal(t, "check.resource", got[0].GetError().GetField())
	assert.Equal(t, int32(codes.InvalidArgument), got[1].GetError().GetCode())
	assert.Equal(t, "check", got[1].GetError().GetField())
	assert.Nil(t, got[2].GetError())
	assert.Equal(t, int64(1), got[2].GetResult().GetRevision())
	require.Len(t, records, 1, "one request was decided")
	r := <-records
	assert.Equal(t, "CheckStream", r.Method)
	assert.Equal(t, activeUsers, r.Resource)
	assert.Equal(t, alice, r.Principal)
	assert.NotEmpty(t, r.Decision)
}

// TestCheckStreamMinRevision honours each request's min_revision: a
// request waits for its revision and holds those behind it; one whose
// revision does not come in time gets UNAVAILABLE and the stream goes on.
func TestCheckStreamMinRevision(t *testing.T) {
	var decided atomic.Int64
	ts := newStreamServer(t, server.Config{MaxRevisionWait: 200 * time.Millisecond,
		Hooks: server.Hooks{OnDecision: func(context.Context, decisionlog.Record) { decided.Add(1) }}}, nil)
	check := func(minRev int64) *pdpv1.CheckRequest {
		return &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: activeUsers,
			Context: usEast(), MinRevision: minRev}
	}
	stream, err := ts.client.CheckStream(t.Context())
	require.NoError(t, err)
	require.NoError(t, stream.Send(&pdpv1.CheckStreamRequest{Id: 1, Check: check(99)}))
	res, err := stream.Recv()
	require.NoError(t, err)
	assert.Equal(t, int32(codes.Unavailable), res.GetError().GetCode(), "revision 99 never comes")
	assert.Contains(t, res.GetError().GetMessage(), "revision 99 not reached")

	require.NoError(t, stream.Send(&pdpv1.CheckStreamRequest{Id: 2, Check: check(1)}))
	res, err = stream.Recv()
	require.NoError(t, err)
	require.Nil(t, res.GetError())
	assert.Equal(t, int64(1), res.GetResult().GetRevision())

	// Request 3 waits for revision 2; request 4, without min_revision, is
	// answered after it and so on revision 2 too.
	srv := newStreamServer(t, server.Config{MaxRevisionWait: time.Minute,
		Hooks: server.Hooks{OnDecision: func(context.Context, decisionlog.Record) { decided.Add(1) }}}, nil)
	before := decided.Load()
	stream, err = srv.client.CheckStream(t.Context())
	require.NoError(t, err)
	require.NoError(t, stream.Send(&pdpv1.CheckStreamRequest{Id: 3, Check: check(2)}))
	require.NoError(t, stream.Send(&pdpv1.CheckStreamRequest{Id: 4, Check: check(0)}))
	awaitRevisionWait(t)
	assert.Equal(t, before, decided.Load(), "request 4 was decided while request 3 waited")
	srv.srv.Activate(exampleSnapshot(t, loadCatalog(t), 2))
	for _, id := range []uint64{3, 4} {
		res, err := stream.Recv()
		require.NoError(t, err)
		require.Nil(t, res.GetError())
		assert.Equal(t, id, res.GetId())
		assert.Equal(t, int64(2), res.GetResult().GetRevision())
	}
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()
	assert.ErrorIs(t, err, io.EOF)
}

// awaitRevisionWait returns once a goroutine of the server waits for a
// revision, as a request with min_revision ahead of the server does.
func awaitRevisionWait(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		buf := make([]byte, 1<<20)
		return bytes.Contains(buf[:runtime.Stack(buf, true)], []byte("server.(*Server).waitRevision"))
	}, 30*time.Second, time.Millisecond)
}

// TestCheckStreamClientCancel ends the stream when the client cancels; the
// server goes on serving other calls.
func TestCheckStreamClientCancel(t *testing.T) {
	ts := newStreamServer(t, server.Config{}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	stream, err := ts.client.CheckStream(ctx)
	require.NoError(t, err)
	req := &pdpv1.CheckStreamRequest{Id: 1, Check: &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: activeUsers}}
	require.NoError(t, stream.Send(req))
	_, err = stream.Recv()
	require.NoError(t, err)
	cancel()
	_, err = stream.Recv()
	assert.Equal(t, codes.Canceled, status.Code(err))
	got := collect(t, t.Context(), ts.client, []*pdpv1.CheckStreamRequest{req})
	require.Len(t, got, 1)
	assert.Nil(t, got[0].GetError())
}

// TestCheckStreamDrain ends open streams with UNAVAILABLE when the server
// drains, so that a graceful stop does not wait on them; new streams are
// refused the same way.
func TestCheckStreamDrain(t *testing.T) {
	ts := newStreamServer(t, server.Config{}, nil)
	stream, err := ts.client.CheckStream(t.Context())
	require.NoError(t, err)
	req := &pdpv1.CheckStreamRequest{Id: 1, Check: &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: activeUsers}}
	require.NoError(t, stream.Send(req))
	_, err = stream.Recv()
	require.NoError(t, err)

	ts.srv.Drain()
	_, err = stream.Recv()
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	later, err := ts.client.CheckStream(t.Context())
	require.NoError(t, err)
	_, err = later.Recv()
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)

	stopped := make(chan struct{})
	go func() {
		ts.gs.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-t.Context().Done():
		require.FailNow(t, "GracefulStop waited on a drained stream")
	}
}

// TestCheckStreamDrainEndsWait ends a stream whose request waits for a
// revision that does not come: draining does not wait out the server's
// revision wait (an hour here), and the stream ends with UNAVAILABLE.
func TestCheckStreamDrainEndsWait(t *testing.T) {
	ts := newStreamServer(t, server.Config{MaxRevisionWait: time.Hour}, nil)
	stream, err := ts.client.CheckStream(t.Context())
	require.NoError(t, err)
	require.NoError(t, stream.Send(&pdpv1.CheckStreamRequest{Id: 1, Check: &pdpv1.CheckRequest{Principal: alice,
		Action: "mobiletargeting:GetSegment", Resource: activeUsers, MinRevision: 99}}))
	awaitRevisionWait(t)
	ts.srv.Drain()
	res, err := stream.Recv()
	require.NoError(t, err)
	assert.Equal(t, uint64(1), res.GetId())
	assert.Equal(t, int32(codes.Unavailable), res.GetError().GetCode(), "%v", res)
	assert.Contains(t, res.GetError().GetMessage(), "revision 99 not reached")
	_, err = stream.Recv()
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
}

// TestCheckStreamFlowControl sends thousands of requests on a stream whose
// client reads nothing: the server decides a bounded number ahead of what
// it has sent and stops reading, instead of queueing every answer, and
// every answer arrives once the client reads.
func TestCheckStreamFlowControl(t *testing.T) {
	const (
		n = 5000
		// The read-ahead (16), the request being answered and the one the
		// reader holds.
		maxAhead = 18
	)
	var received, sent, decided, worstAhead, worstUnsent atomic.Int64
	raise := func(worst *atomic.Int64, v int64) {
		for {
			w := worst.Load()
			if v <= w || worst.CompareAndSwap(w, v) {
				return
			}
		}
	}
	count := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &countingStream{ServerStream: ss, recv: func() {
			raise(&worstAhead, received.Add(1)-sent.Load())
		}, sent: func() { sent.Add(1) }})
	}
	ts := newStreamServer(t, server.Config{Hooks: server.Hooks{OnDecision: func(context.Context, decisionlog.Record) {
		raise(&worstUnsent, decided.Add(1)-sent.Load())
	}}}, []grpc.StreamServerInterceptor{count},
		// A fixed window, so that the client's transport buffers a bounded
		// amount.
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))

	stream, err := ts.client.CheckStream(t.Context())
	require.NoError(t, err)
	sendErr := make(chan error, 1)
	go func() {
		for i := range n {
			req := &pdpv1.CheckStreamRequest{Id: uint64(i), Check: &pdpv1.CheckRequest{Principal: alice,
				Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast(), Explain: true}}
			if err := stream.Send(req); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- stream.CloseSend()
	}()
	// The server backs up: its read-ahead fills while a Send waits.
	require.Eventually(t, func() bool { return received.Load()-sent.Load() >= maxAhead-1 }, 30*time.Second, time.Millisecond)
	assert.Less(t, decided.Load(), int64(n), "the server decided everything while the client read nothing")
	for i := range n {
		res, err := stream.Recv()
		require.NoError(t, err, "response %d", i)
		require.Equal(t, uint64(i), res.GetId())
	}
	_, err = stream.Recv()
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, <-sendErr)
	assert.LessOrEqual(t, worstAhead.Load(), int64(maxAhead), "requests read ahead of responses sent")
	assert.LessOrEqual(t, worstUnsent.Load(), int64(1), "responses decided but not sent")
	assert.Equal(t, int64(n), decided.Load())
}

// countingStream reports each message received and each response sent.
type countingStream struct {
	grpc.ServerStream
	recv, sent func()
}

func (s *countingStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.recv()
	}
	return err
}

func (s *countingStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil {
		s.sent()
	}
	return err
}

// TestCheckStreamUnreadBufferIsBounded sends large requests on a stream
// whose client reads nothing, until its Send blocks: what the server has
// received but not read is bounded by its fixed flow-control window. With
// windows that grow with the link's bandwidth-delay product, a stream
// parked megabytes, and 200 of them a gigabyte.
func TestCheckStreamUnreadBufferIsBounded(t *testing.T) {
	var received, sent atomic.Int64
	count := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &countingStream{ServerStream: ss, recv: func() { received.Add(1) }, sent: func() { sent.Add(1) }})
	}
	// The client's own window is fixed, so that the answers it does not
	// read hold the server back soon.
	ts := newStreamServer(t, server.Config{}, []grpc.StreamServerInterceptor{count},
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	ctx := usEast()
	for i := range 16 {
		ctx["aws:RequestTag/k"+strconv.Itoa(i)] = str(strings.Repeat("v", 1000))
	}
	req := &pdpv1.CheckStreamRequest{Check: &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment",
		Resource: activeUsers, Context: ctx}}
	size := int64(proto.Size(req))

	streamCtx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stream, err := ts.client.CheckStream(streamCtx)
	require.NoError(t, err)
	var sentReqs atomic.Int64
	go func() {
		for stream.Send(req) == nil {
			sentReqs.Add(1)
		}
	}()
	// The sender is blocked once the count stops moving for a while; on a
	// busy machine it may be stopped sooner, which only lowers what the
	// test sees.
	last := int64(-1)
	require.Eventually(t, func() bool {
		n := sentReqs.Load()
		stalled := n == last && received.Load()-sent.Load() > 0
		last = n
		return stalled
	}, 60*time.Second, 250*time.Millisecond)
	unread := (sentReqs.Load() - received.Load()) * size
	t.Logf("%d requests of %d bytes sent, %d read by the server: %d bytes unread", sentReqs.Load(), size, received.Load(), unread)
	assert.Less(t, unread, int64(1<<20), "bytes sent that the server has not read")
}
