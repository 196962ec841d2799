package authzen_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/server"
)

// BenchmarkDecide compares one AuthZEN evaluation over HTTP with the gRPC
// Check it stands for (alice updates the spring sale campaign of
// examples/model), both over loopback TCP to the same server. Interleaved
// alternates the two calls, so that both see the same load on a shared
// machine, and compares their medians: ratio is AuthZEN calls/s over
// Check calls/s.
func BenchmarkDecide(b *testing.B) {
	srv, _, seen := newDecider(b)
	check := &pdpv1.CheckRequest{Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:UpdateCampaign",
		Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale",
		Context: map[string]*pdpv1.ContextValue{
			"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}},
			"aws:SecureTransport": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "true"}},
		}}
	body := []byte(`{"subject": {"type": "aws_principal", "id": "` + check.Principal + `"}, "action": {"name": "` + check.Action +
		`"}, "resource": {"type": "aws_resource", "id": "` + check.Resource +
		`"}, "context": {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true"}}`)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	gs := server.NewGRPCServer(server.GRPCConfig{}, nil)
	srv.Register(gs)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(b, err)
	b.Cleanup(func() {
		conn.Close()
		gs.Stop()
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			b.Errorf("serve: %v", err)
		}
	})
	client := pdpv1.NewAuthorizationServiceClient(conn)
	ts := serveHandler(b, authzen.New(authzen.Config{}, srv, nil))
	hc := ts.Client()
	url := ts.URL + authzen.PathEvaluation

	callCheck := func() {
		resp, err := client.Check(b.Context(), check)
		if err != nil || resp.GetDecision() != pdpv1.Decision_DECISION_ALLOW {
			b.Fatalf("Check: %v %v", resp.GetDecision(), err)
		}
		seen.take()
	}
	callAuthZEN := func() {
		resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.HasPrefix(out, []byte(`{"decision":true`)) {
			b.Fatalf("AuthZEN: %d %s %v", resp.StatusCode, out, err)
		}
		seen.take()
	}
	b.Run("Check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			callCheck()
		}
	})
	b.Run("AuthZEN", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			callAuthZEN()
		}
	})
	b.Run("Interleaved", func(b *testing.B) {
		b.ReportAllocs()
		var inCheck, inAuthZEN []time.Duration
		for b.Loop() {
			t0 := time.Now()
			callCheck()
			t1 := time.Now()
			callAuthZEN()
			inCheck, inAuthZEN = append(inCheck, t1.Sub(t0)), append(inAuthZEN, time.Since(t1))
		}
		mc, ma := median(inCheck), median(inAuthZEN)
		b.ReportMetric(float64(mc.Nanoseconds()), "check-median-ns")
		b.ReportMetric(float64(ma.Nanoseconds()), "authzen-median-ns")
		b.ReportMetric(float64(mc)/float64(ma), "ratio")
	})
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
