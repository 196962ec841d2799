package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/logbuf"
)

// syncBuffer is where a server logs while the test reads.
type syncBuffer = logbuf.Buffer

// A runningServe is "pdp serve" running in the test's process.
type runningServe struct {
	addr   string
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns
	code   int           // the exit status, once done is closed
}

var servingLine = regexp.MustCompile(`msg=serving addr=(\S+)`)

// startServe runs "pdp serve" with args on a free loopback port and waits
// for its "serving" log line and for health to report SERVING.
func startServe(t *testing.T, args ...string) *runningServe {
	t.Helper()
	return startServeEnv(t, nil, args...)
}

// startServeEnv is startServe in an environment of exactly the variables
// of environ.
func startServeEnv(t *testing.T, environ map[string]string, args ...string) *runningServe {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	s := &runningServe{log: &syncBuffer{}, cancel: cancel, done: make(chan struct{})}
	args = append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)
	go func() {
		defer close(s.done)
		s.code = runEnv(ctx, newEnv(strings.NewReader(""), &bytes.Buffer{}, s.log, mapEnv(environ)), args)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(time.Minute):
			t.Errorf("pdp serve did not stop; log:\n%s", s.log)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	// Wait for the serving line, or for serve to give up first.
	waitCtx, stopWaiting := context.WithDeadline(t.Context(), deadline)
	go func() {
		select {
		case <-s.done:
			stopWaiting()
		case <-waitCtx.Done():
		}
	}()
	m := s.log.Wait(waitCtx, servingLine)
	stopWaiting()
	if m == nil { // serve may have logged the line just before it stopped
		m = servingLine.FindStringSubmatch(s.log.String())
	}
	if m == nil {
		select {
		case <-s.done:
			t.Fatalf("pdp serve exited with %d before serving; log:\n%s", s.code, s.log)
		default:
			t.Fatalf("no serving line; log:\n%s", s.log)
		}
	}
	s.addr = m[1]
	// Health is NOT_SERVING until the first policy snapshot is active; the
	// health watch reports every change of it.
	conn := dialTest(t, s.addr)
	healthCtx, stopHealth := context.WithDeadline(t.Context(), deadline)
	defer stopHealth()
	watch, err := healthpb.NewHealthClient(conn).Watch(healthCtx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err, "health watch")
	for {
		upd, err := watch.Recv()
		if err != nil {
			t.Fatalf("health watch ended before SERVING: %v; log:\n%s", err, s.log)
		}
		if upd.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return s
		}
	}
}

func dialTest(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := dial(addr, clientTLS{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// fetch returns the body of a GET of url.
func fetch(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func healthStatus(ctx context.Context, conn *grpc.ClientConn) (healthpb.HealthCheckResponse_ServingStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return resp.GetStatus(), err
}

// slowBatch is a full BatchCheck whose every item compiles a large session
// policy, so that it is still running when the server is told to stop.
func slowBatch() *pdpv1.BatchCheckRequest {
	policy := func(item int) string {
		var stmts []string
		for i := range 12 {
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"I%dS%d","Effect":"Allow","Action":["mobiletargeting:Get*","mobiletargeting:*Segment*"],`+
				`"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/app-%d/*","Condition":{"StringLike":{"aws:PrincipalTag/team":"t%d*"}}}`,
				item, i, i, i))
		}
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	req := &pdpv1.BatchCheckRequest{
		// Every item is denied, so the batch runs to the end, item after
		// item on one core, as a stopping mode does.
		Mode:      pdpv1.BatchMode_BATCH_MODE_PERMIT_ON_FIRST_PERMIT,
		Principal: analyst,
		Context: map[string]*pdpv1.ContextValue{
			"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}},
		},
	}
	// Each item has session policies of its own, which it compiles: items
	// that share their texts share one compiled set.
	for i := range 1000 {
		req.Items = append(req.Items, &pdpv1.BatchCheckItem{Action: "mobiletargeting:GetSegment", Resource: segment,
			SessionPolicies: []string{policy(i)}})
	}
	return req
}

// TestServeGracefulShutdown runs pdp serve, asks it for a decision, then
// stops it with a call in flight: health turns NOT_SERVING, the call
// completes, and the command exits 0.
func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	// The batch in flight must outlive the stop, not the server's default
	// deadline: under the race detector on a loaded machine it can take
	// longer than that.
	s := startServe(t, "--policies", modelDir, "--grace-period", "1m", "--default-deadline", "1m", "--metrics-listen", "127.0.0.1:0")
	metricsAddr := metricsLine.FindStringSubmatch(s.log.String())
	if metricsAddr == nil {
		t.Fatalf("no metrics line; log:\n%s", s.log)
	}
	conn := dialTest(t, s.addr)
	client := pdpv1.NewAuthorizationServiceClient(conn)

	resp, err := client.Check(t.Context(), &pdpv1.CheckRequest{
		Principal: alice, Action: "mobiletargeting:GetSegment", Resource: segment,
		Context: map[string]*pdpv1.ContextValue{
			"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}},
		},
	})
	if err != nil || resp.GetDecision() != pdpv1.Decision_DECISION_ALLOW || resp.GetRevision() <= 0 {
		t.Fatalf("Check = %v, %v; want Allow at a revision", resp, err)
	}

	// A watcher learns of NOT_SERVING however short the time between it and
	// the listener closing.
	watchCtx, stopWatch := context.WithCancel(t.Context())
	defer stopWatch()
	watch, err := healthpb.NewHealthClient(conn).Watch(watchCtx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if first, err := watch.Recv(); err != nil || first.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first health update %v, %v; want SERVING", first, err)
	}

	type outcome struct {
		resp *pdpv1.BatchCheckResponse
		err  error
		at   time.Time
	}
	batchDone := make(chan outcome, 1)
	batchStart := time.Now()
	go func() {
		resp, err := client.BatchCheck(t.Context(), slowBatch())
		batchDone <- outcome{resp, err, time.Now()}
	}()
	// The call has reached the server once the server counts it as started.
	started := `grpc_server_started_total{grpc_method="BatchCheck",grpc_service="pdp.v1.AuthorizationService",grpc_type="unary"} 1`
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		metrics, err := fetch("http://" + metricsAddr[1] + "/metrics")
		if assert.NoError(c, err) {
			assert.Contains(c, metrics, started)
		}
	}, 30*time.Second, 5*time.Millisecond, "the BatchCheck never reached the server")
	s.cancel()
	stopAt := time.Now()

	if upd, err := watch.Recv(); err != nil || upd.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health update after stop %v, %v; want NOT_SERVING", upd, err)
	}
	stopWatch() // the open stream would hold up the graceful stop

	// Polled, health never goes back to SERVING, and ends unreachable once
	// the listener is closed.
	var seen []string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		probe, err := dial(s.addr, clientTLS{}) // a new connection each time, as a load balancer's probe
		if !assert.NoError(c, err) {
			return
		}
		st, err := healthStatus(t.Context(), probe)
		probe.Close()
		got := st.String()
		if err != nil {
			got = status.Code(err).String()
		}
		if len(seen) == 0 || seen[len(seen)-1] != got {
			seen = append(seen, got)
		}
		assert.Error(c, err, "health still answers")
	}, 30*time.Second, 5*time.Millisecond, "health never became unreachable")
	if want := regexp.MustCompile(`^(SERVING )?(NOT_SERVING )?Unavailable$`); !want.MatchString(strings.Join(seen, " ")) {
		t.Errorf("polled health went %q; want SERVING, then NOT_SERVING, then Unavailable", seen)
	}
	t.Logf("polled health went %q", seen)

	o := <-batchDone
	if o.err != nil || len(o.resp.GetResults()) != 1000 {
		t.Fatalf("BatchCheck in flight at stop = %d results, %v; want 1000 and no error", len(o.resp.GetResults()), o.err)
	}
	for i, r := range o.resp.GetResults() {
		if r.GetError() != nil || r.GetDecision() != pdpv1.Decision_DECISION_IMPLICIT_DENY {
			t.Fatalf("item %d = %v; want ImplicitDeny (the session policy allows only other apps)", i, r)
		}
	}
	if !o.at.After(stopAt) {
		t.Errorf("BatchCheck took %v and finished before the stop: make it slower", o.at.Sub(batchStart))
	}
	t.Logf("BatchCheck took %v, %v after the stop", o.at.Sub(batchStart), o.at.Sub(stopAt))

	select {
	case <-s.done:
		if s.code != 0 {
			t.Errorf("exit %d, want 0; log:\n%s", s.code, s.log)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("pdp serve did not stop; log:\n%s", s.log)
	}
	for _, want := range []string{"shutting down", "msg=stopped"} {
		if !strings.Contains(s.log.String(), want) {
			t.Errorf("log has no %q:\n%s", want, s.log)
		}
	}
	if _, err := client.Check(t.Context(), &pdpv1.CheckRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("Check after stop: %v; want Unavailable", err)
	}
}

// TestServeFails checks the exit status of pdp serve when it cannot start:
// 2 for bad flags, 1 for a policy directory it cannot serve.
func TestServeFails(t *testing.T) {
	t.Parallel()
	broken := filepath.Dir(writeFile(t, "accounts.yaml", "accounts: [\n"))
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{name: "unknown flag", args: []string{"--nope"}, wantCode: 2, wantStderr: []string{"flag provided but not defined: -nope"}},
		{name: "argument", args: []string{"extra"}, wantCode: 2, wantStderr: []string{`unexpected argument "extra"`}},
		{name: "log level", args: []string{"--log-level", "loud"}, wantCode: 2, wantStderr: []string{"-log-level"}},
		{name: "log format", args: []string{"--log-format", "xml"}, wantCode: 2, wantStderr: []string{`invalid value "xml" for flag -log-format: want one of text, json`}},
		{name: "grace period", args: []string{"--grace-period", "soon"}, wantCode: 2, wantStderr: []string{"-grace-period"}},
		{
			name:       "missing policy directory",
			args:       []string{"--policies", "no/such/dir"},
			wantCode:   1,
			wantStderr: []string{"level=ERROR", "serve failed", "no/such/dir"},
		},
		{
			name:       "broken policy directory",
			args:       []string{"--policies", broken},
			wantCode:   1,
			wantStderr: []string{"level=ERROR", "serve failed", "accounts.yaml"},
		},
		{
			name:       "bad listen address",
			args:       []string{"--policies", modelDir, "--listen", "127.0.0.1:http-alt-x"},
			wantCode:   1,
			wantStderr: []string{"level=ERROR", "serve failed", "listen tcp", "http-alt-x"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"serve", "--listen", "127.0.0.1:0"}, tc.args...)
			code, _, stderr := runPDP(t, nil, args...)
			assert.Equal(t, tc.wantCode, code, "exit status; stderr:\n%s", stderr)
			for _, want := range tc.wantStderr {
				assert.Contains(t, stderr, want)
			}
		})
	}
}
