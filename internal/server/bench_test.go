package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// echoAuthorization answers like pdp, with responses of the same shape and
// size, without deciding anything: beside it, a benchmark shows what
// deciding costs over what gRPC over bufconn costs.
type echoAuthorization struct {
	pdpv1.UnimplementedAuthorizationServiceServer
	check *pdpv1.CheckResponse
	batch map[int]*pdpv1.BatchCheckResponse // by number of items
}

func newEchoAuthorization(batchSizes ...int) *echoAuthorization {
	e := &echoAuthorization{
		check: &pdpv1.CheckResponse{Decision: allow, Revision: 1},
		batch: make(map[int]*pdpv1.BatchCheckResponse, len(batchSizes)),
	}
	for _, n := range batchSizes {
		resp := &pdpv1.BatchCheckResponse{Revision: 1, Results: make([]*pdpv1.BatchCheckResult, n)}
		for i := range resp.Results {
			resp.Results[i] = &pdpv1.BatchCheckResult{Decision: allow}
		}
		e.batch[n] = resp
	}
	return e
}

func (e *echoAuthorization) Check(context.Context, *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	return e.check, nil
}

func (e *echoAuthorization) BatchCheck(_ context.Context, req *pdpv1.BatchCheckRequest) (*pdpv1.BatchCheckResponse, error) {
	if resp, ok := e.batch[len(req.GetItems())]; ok {
		return resp, nil
	}
	return &pdpv1.BatchCheckResponse{Revision: 1, Results: make([]*pdpv1.BatchCheckResult, len(req.GetItems()))}, nil
}

// benchBatchSizes are the batch sizes of BenchmarkBatchCheck.
var benchBatchSizes = []int{100, 1000}

// benchClients returns a client of pdp serving examples/model and a client
// of the echo service, both over bufconn behind the same interceptors.
func benchClients(b *testing.B) map[string]pdpv1.AuthorizationServiceClient {
	b.Helper()
	ts := newExampleServer(b)
	echo := newEchoAuthorization(benchBatchSizes...)
	conn := dial(b, func(gs *grpc.Server) { pdpv1.RegisterAuthorizationServiceServer(gs, echo) })
	return map[string]pdpv1.AuthorizationServiceClient{"pdp": ts.client, "echo": pdpv1.NewAuthorizationServiceClient(conn)}
}

// typicalCheck is the typical request: a user reading a campaign, decided
// with ABAC tags, a permissions boundary, an SCP chain and the app's
// resource policy.
func typicalCheck() *pdpv1.CheckRequest {
	return &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast()}
}

// typicalBatch is n typical items: users and a role session reading
// campaigns and segments of two apps, over a shared context.
func typicalBatch(n int) *pdpv1.BatchCheckRequest {
	kinds := []*pdpv1.BatchCheckItem{
		getCampaign(alice, springSale),
		getCampaign(bob, springSale),
		getCampaign(bob, winBack),
		{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers},
		getCampaign(partner, springSale),
	}
	req := &pdpv1.BatchCheckRequest{Context: usEast(), Items: make([]*pdpv1.BatchCheckItem, n)}
	for i := range req.Items {
		req.Items[i] = kinds[i%len(kinds)]
	}
	return req
}

// latencies collects the duration of every call of a parallel benchmark.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// reportCPU adds the CPU time per unit (call or decision) since start, client
// and server together.
func reportCPU(b *testing.B, start time.Duration, units int, unit string) {
	if start < 0 {
		return
	}
	b.ReportMetric(float64((cpuTime(b)-start).Nanoseconds())/1000/float64(units), "cpu-µs/"+unit)
}

// report adds calls/s and the p50 and p99 latencies to the benchmark.
func (l *latencies) report(b *testing.B, calls int) {
	b.ReportMetric(float64(calls)/b.Elapsed().Seconds(), "calls/s")
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	at := func(q float64) float64 { return float64(l.all[int(q*float64(len(l.all)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// BenchmarkCheck calls Check with the typical request from parallel
// clients, against pdp and against the echo service, as fast as they
// answer; then, for the latency of a server that is not saturated, at half
// the echo's rate, the calls sent on a fixed schedule whether or not the
// previous ones have been answered.
func BenchmarkCheck(b *testing.B) {
	clients := benchClients(b)
	var echoRate float64 // calls/s of the echo at full load
	for _, name := range []string{"pdp", "echo"} {
		client := clients[name]
		b.Run(name, func(b *testing.B) {
			req := typicalCheck()
			if resp, err := client.Check(b.Context(), req); err != nil || resp.GetDecision() != allow {
				b.Fatalf("Check: %v (error %v), want %v", resp.GetDecision(), err, allow)
			}
			var lat latencies
			ctx := b.Context()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					start := time.Now()
					if _, err := client.Check(ctx, req); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(start))
				}
				lat.add(mine)
			})
			b.StopTimer()
			reportCPU(b, cpu, b.N, "call")
			lat.report(b, b.N)
			if name == "echo" {
				echoRate = float64(b.N) / b.Elapsed().Seconds()
			}
		})
	}
	for _, name := range []string{"pdp", "echo"} {
		client := clients[name]
		b.Run("half-load/"+name, func(b *testing.B) {
			if echoRate == 0 {
				b.Skip("no full-load rate of the echo to halve")
			}
			req := typicalCheck()
			lat := latencies{all: make([]time.Duration, b.N)}
			interval := time.Duration(float64(time.Second) / (echoRate / 2))
			ctx := b.Context()
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			start := time.Now()
			for i := range b.N {
				// Pacing, not synchronisation: this is an open-loop load
				// at a fixed rate, so each call waits for its send time
				// whatever the earlier calls are doing.
				if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
					time.Sleep(d)
				}
				sent := time.Now()
				wg.Go(func() {
					if _, err := client.Check(ctx, req); err != nil {
						b.Error(err)
					}
					lat.all[i] = time.Since(sent)
				})
			}
			wg.Wait()
			b.StopTimer()
			reportCPU(b, cpu, b.N, "call")
			lat.report(b, b.N)
		})
	}
}

// BenchmarkBatchCheck calls BatchCheck with typical batches of 100 and
// 1000 items, against pdp and against the echo service.
func BenchmarkBatchCheck(b *testing.B) {
	clients := benchClients(b)
	for _, name := range []string{"pdp", "echo"} {
		client := clients[name]
		for _, n := range benchBatchSizes {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				req := typicalBatch(n)
				if resp, err := client.BatchCheck(b.Context(), req); err != nil || len(resp.GetResults()) != n {
					b.Fatalf("BatchCheck: %d results (error %v), want %d", len(resp.GetResults()), err, n)
				}
				b.ReportAllocs()
				calls := 0
				cpu := cpuTime(b)
				for b.Loop() {
					if _, err := client.BatchCheck(b.Context(), req); err != nil {
						b.Fatal(err)
					}
					calls++
				}
				reportCPU(b, cpu, calls*n, "decision")
				b.ReportMetric(float64(calls*n)/b.Elapsed().Seconds(), "decisions/s")
			})
		}
	}
}

// BenchmarkHandlers calls the Check and BatchCheck handlers directly,
// without gRPC: what deciding costs a call once it has arrived.
func BenchmarkHandlers(b *testing.B) {
	cat := loadCatalog(b)
	srv := server.New(server.Config{Clock: func() time.Time { return fixedNow }}, cat, nil)
	srv.Activate(exampleSnapshot(b, cat, 1))
	b.Run("Check", func(b *testing.B) {
		req := typicalCheck()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := srv.Check(b.Context(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, n := range benchBatchSizes {
		b.Run(fmt.Sprintf("BatchCheck/%d", n), func(b *testing.B) {
			req := typicalBatch(n)
			b.ReportAllocs()
			calls := 0
			for b.Loop() {
				if _, err := srv.BatchCheck(b.Context(), req); err != nil {
					b.Fatal(err)
				}
				calls++
			}
			b.ReportMetric(float64(calls*n)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}
