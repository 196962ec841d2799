package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc/metadata"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

var metricsLine = regexp.MustCompile(`msg="serving metrics" addr=(\S+)`)

// TestServeObservability runs pdp serve with a decision log and metrics,
// makes a Check and a BatchCheck, and finds them in both after shutdown.
func TestServeObservability(t *testing.T) {
	t.Parallel()
	logPath := filepath.Join(t.TempDir(), "decisions.log")
	s := startServe(t, "--policies", modelDir, "--decision-log", logPath, "--decision-log-mask", "aws:RequestedRegion",
		"--metrics-listen", "127.0.0.1:0", "--pprof")
	m := metricsLine.FindStringSubmatch(s.log.String())
	require.NotNil(t, m, "no metrics line; log:\n%s", s.log)
	client := pdpv1.NewAuthorizationServiceClient(dialTest(t, s.addr))
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-request-id", "req-42")
	region := map[string]*pdpv1.ContextValue{"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}}}
	_, err := client.Check(ctx, &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: segment,
		Context: region, Explain: true})
	require.NoError(t, err)
	_, err = client.BatchCheck(ctx, &pdpv1.BatchCheckRequest{Principal: alice, Context: region, Items: []*pdpv1.BatchCheckItem{
		{Action: "mobiletargeting:GetSegment", Resource: segment},
		{Action: "mobiletargeting:NoSuchAction", Resource: segment},
	}})
	require.NoError(t, err)
	body := get(t, "http://"+m[1]+"/metrics")
	for _, want := range []string{
		`pdp_decisions_total{decision="Allow",method="Check"} 1`,
		`pdp_decisions_total{decision="Error",method="BatchCheck"} 1`,
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Check",grpc_service="pdp.v1.AuthorizationService",grpc_type="unary"} 1`,
		`pdp_snapshot_revision `,
		`pdp_decision_log_dropped_total 0`,
	} {
		if !strings.Contains(body, want) {
			assert.Fail(t, "metrics lack a line", "metrics lack %q:\n%s", want, grep(body, "pdp_"))
		}
	}
	assert.Contains(t, get(t, "http://"+m[1]+"/debug/pprof/"), "goroutine", "pprof index")
	s.cancel()
	<-s.done
	f, err := os.Open(logPath)
	require.NoError(t, err)
	defer f.Close()
	var recs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		recs = append(recs, r)
	}
	require.Len(t, recs, 3, "records")
	for _, r := range recs {
		t.Logf("%v", r)
		assert.Equal(t, "req-42", r["request_id"], "request id of record %v", r)
		assert.NotEqual(t, "", r["caller"], "caller of record %v", r)
		assert.Equal(t, "***", r["context"].(map[string]any)["aws:RequestedRegion"], "masked region of record %v", r)
	}
	assert.Equal(t, "Allow", recs[0]["decision"], "decision of the Check")
	assert.NotNil(t, recs[0]["matched"], "statements matched by the Check")
	assert.Equal(t, 1.0, recs[2]["batch_index"], "batch index of the bad item")
	assert.NotNil(t, recs[2]["error"], "error of the bad item")
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grep(s, sub string) string {
	var out []string
	for l := range strings.Lines(s) {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// TestServeDecisionLogQueueFlag checks that the decision log's queue bound
// is listed with its default and that a bound of no bytes stops pdp serve
// before it serves.
func TestServeDecisionLogQueueFlag(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runPDP(t, nil, "help", "serve")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "--decision-log-queue-bytes bytes")
	assert.Contains(t, stdout, "(default 33554432)")
	for _, v := range []string{"0", "-1"} {
		code, _, stderr := runPDP(t, nil, "serve", "--listen", "127.0.0.1:0", "--decision-log-queue-bytes", v)
		assert.Equal(t, exitUsage, code, "stderr:\n%s", stderr)
		assert.Contains(t, stderr, "--decision-log-queue-bytes must be positive, not "+v)
	}
}
