package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// auditLines decodes the audit records among lines of text, skipping
// lines that are not JSON objects with a method.
func auditLines(t *testing.T, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) == nil && r["method"] != nil {
			out = append(out, r)
		}
	}
	return out
}

// auditCalls makes a read and a write on the admin API of a server at
// addr, which serves examples/model on loopback without credentials.
func auditCalls(t *testing.T, addr string) {
	t.Helper()
	admin := pdpv1.NewPolicyServiceClient(dialTest(t, addr))
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-request-id", "req-7")
	_, err := admin.GetEntity(ctx, &pdpv1.GetEntityRequest{Key: &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: alice}})
	require.NoError(t, err)
	carol := "arn:aws:iam::111122223333:user/carol"
	_, err = admin.ApplyChanges(ctx, &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{{
		Op: pdpv1.ChangeOp_CHANGE_OP_PUT, Key: &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: carol},
		Document: `{"arn":"` + carol + `"}`,
	}}})
	require.NoError(t, err)
}

// checkAuditRecords checks the records auditCalls leaves.
func checkAuditRecords(t *testing.T, recs []map[string]any) {
	t.Helper()
	require.Len(t, recs, 3, "GetEntity, then ApplyChanges' attempt and outcome")
	for i, want := range []struct{ method, outcome string }{
		{"/pdp.v1.PolicyService/GetEntity", "ok"},
		{"/pdp.v1.PolicyService/ApplyChanges", "attempt"},
		{"/pdp.v1.PolicyService/ApplyChanges", "ok"},
	} {
		assert.Equal(t, want.method, recs[i]["method"], "record %d", i)
		assert.Equal(t, want.outcome, recs[i]["outcome"], "record %d", i)
		assert.Equal(t, "anonymous", recs[i]["principal"], "record %d", i)
		assert.Equal(t, "req-7", recs[i]["request_id"], "record %d", i)
	}
	assert.Equal(t, recs[2]["revision_before"].(float64)+1, recs[2]["revision_after"], "the write made one revision")
}

// TestServeAuditLogFile runs pdp serve with --audit-log FILE and finds a
// read and a write in the file, and their count in the metrics.
func TestServeAuditLogFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	s := startServe(t, "--policies", modelDir, "--audit-log", path, "--audit-log-max-bytes", "1000000", "--audit-log-backups", "2",
		"--drain-delay", "0", "--metrics-listen", "127.0.0.1:0")
	assert.Contains(t, s.log.String(), `msg="writing the admin audit log" path=`+path)
	m := metricsLine.FindStringSubmatch(s.log.String())
	require.NotNil(t, m, "no metrics line; log:\n%s", s.log)
	auditCalls(t, s.addr)
	body := get(t, "http://"+m[1]+"/metrics")
	assert.Contains(t, body, `pdp_audit_log_records_total{result="written"} 3`)
	assert.Contains(t, body, `pdp_audit_log_records_total{result="failed"} 0`)
	s.cancel()
	<-s.done
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	checkAuditRecords(t, auditLines(t, string(data)))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "audit records name principals: not for other users")
}

// TestServeAuditLogStdout runs pdp serve with --audit-log - and finds a
// read and a write on its standard output.
func TestServeAuditLogStdout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--policies", modelDir, "--audit-log", "-", "--drain-delay", "0"},
			strings.NewReader(""), stdout, stderr)
	}()
	t.Cleanup(cancel)
	waitCtx, stopWaiting := context.WithTimeout(ctx, 30*time.Second)
	m := stderr.Wait(waitCtx, servingLine)
	stopWaiting()
	require.NotNil(t, m, "no serving line; log:\n%s", stderr)
	auditCalls(t, m[1])
	cancel()
	select {
	case code := <-done:
		require.Equal(t, exitOK, code, "log:\n%s", stderr)
	case <-time.After(time.Minute):
		require.FailNow(t, "pdp serve did not stop", "log:\n%s", stderr)
	}
	checkAuditRecords(t, auditLines(t, stdout.String()))
}

// TestServeAuditLogFlags checks that bad audit log settings stop pdp serve
// before it serves.
func TestServeAuditLogFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "negative size", args: []string{"--audit-log-max-bytes", "-1"}, wantCode: exitUsage,
			wantStderr: `invalid value "-1" for flag -audit-log-max-bytes: -1 is negative: want 0 or more`},
		{name: "negative backups", args: []string{"--audit-log-backups", "-3"}, wantCode: exitUsage,
			wantStderr: `invalid value "-3" for flag -audit-log-backups: -3 is negative: want 0 or more`},
		{name: "not a number", args: []string{"--audit-log-backups", "many"}, wantCode: exitUsage,
			wantStderr: `invalid value "many" for flag -audit-log-backups: want a whole number`},
		{name: "missing directory", args: []string{"--policies", modelDir, "--audit-log", filepath.Join(t.TempDir(), "no", "audit.log")},
			wantCode: exitFailure, wantStderr: "audit log: log file: open "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runPDP(t, nil, append([]string{"serve", "--listen", "127.0.0.1:0"}, tc.args...)...)
			assert.Equal(t, tc.wantCode, code, "stderr:\n%s", stderr)
			assert.Contains(t, stderr, tc.wantStderr)
		})
	}
}
