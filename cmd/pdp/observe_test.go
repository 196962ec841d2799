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
	if m == nil {
		t.Fatalf("no metrics line; log:\n%s", s.log)
	}
	client := pdpv1.NewAuthorizationServiceClient(dialTest(t, s.addr))
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-request-id", "req-42")
	region := map[string]*pdpv1.ContextValue{"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}}}
	if _, err := client.Check(ctx, &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: segment,
		Context: region, Explain: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.BatchCheck(ctx, &pdpv1.BatchCheckRequest{Principal: alice, Context: region, Items: []*pdpv1.BatchCheckItem{
		{Action: "mobiletargeting:GetSegment", Resource: segment},
		{Action: "mobiletargeting:NoSuchAction", Resource: segment},
	}}); err != nil {
		t.Fatal(err)
	}
	body := get(t, "http://"+m[1]+"/metrics")
	for _, want := range []string{
		`pdp_decisions_total{decision="Allow",method="Check"} 1`,
		`pdp_decisions_total{decision="Error",method="BatchCheck"} 1`,
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Check",grpc_service="pdp.v1.AuthorizationService",grpc_type="unary"} 1`,
		`pdp_snapshot_revision `,
		`pdp_decision_log_dropped_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, grep(body, "pdp_"))
		}
	}
	if !strings.Contains(get(t, "http://"+m[1]+"/debug/pprof/"), "goroutine") {
		t.Error("no pprof index")
	}
	s.cancel()
	<-s.done
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for _, r := range recs {
		t.Logf("%v", r)
		if r["request_id"] != "req-42" || r["caller"] == "" || r["context"].(map[string]any)["aws:RequestedRegion"] != "***" {
			t.Errorf("record %v", r)
		}
	}
	if recs[0]["decision"] != "Allow" || recs[0]["matched"] == nil || recs[2]["batch_index"] != 1.0 || recs[2]["error"] == nil {
		t.Errorf("records %v", recs)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
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
