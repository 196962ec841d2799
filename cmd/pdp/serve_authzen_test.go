package main

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/logbuf"
)

var authzenLine = regexp.MustCompile(`msg="serving AuthZEN" addr=(\S+) policy_decision_point=(\S+)`)

// TestServeAuthZEN runs pdp serve with the AuthZEN API, its address from
// the environment: an evaluation is decided and counted with the other
// decisions, and the API stops with the server.
func TestServeAuthZEN(t *testing.T) {
	t.Parallel()
	s := startServeEnv(t, map[string]string{"PDP_HTTP_LISTEN": "127.0.0.1:0"}, "--policies", modelDir, "--metrics-listen", "127.0.0.1:0")
	m := authzenLine.FindStringSubmatch(s.log.String())
	require.NotNil(t, m, "no AuthZEN line; log:\n%s", s.log)
	assert.Equal(t, "http://"+m[1], m[2], "the default policy_decision_point is the listen address")
	metrics := metricsLine.FindStringSubmatch(s.log.String())
	require.NotNil(t, metrics, "no metrics line; log:\n%s", s.log)

	body := `{"subject": {"type": "aws_principal", "id": "` + alice + `"}, "action": {"name": "mobiletargeting:GetSegment"}, ` +
		`"resource": {"type": "aws_resource", "id": "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users"}, ` +
		`"context": {"aws:RequestedRegion": "us-east-1"}}`
	resp, err := http.Post("http://"+m[1]+"/access/v1/evaluation", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", out)
	assert.Equal(t, `{"decision":true,"context":{"pdp":{"decision":"Allow","revision":1}}}`, string(out))
	assert.Contains(t, get(t, "http://"+metrics[1]+"/metrics"), `pdp_decisions_total{decision="Allow",method="AuthZENEvaluation"} 1`)

	s.cancel()
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		require.FailNow(t, "pdp serve did not stop", "log:\n%s", s.log)
	}
	assert.Equal(t, exitOK, s.code, "log:\n%s", s.log)
	_, err = http.Post("http://"+m[1]+"/access/v1/evaluation", "application/json", strings.NewReader(body))
	assert.Error(t, err, "the AuthZEN listener is closed once pdp serve returned")
}

// TestServeAuthZENFlags: a plaintext AuthZEN listener that is not loopback,
// and a base URL without a listener, are usage errors.
func TestServeAuthZENFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"plaintext beyond loopback", []string{"--http-listen", "0.0.0.0:0"}, "would serve plaintext"},
		{"base URL without listener", []string{"--authzen-base-url", "https://pdp.example.com"}, "needs -http-listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &logbuf.Buffer{}
			code := runEnv(t.Context(), newEnv(strings.NewReader(""), &bytes.Buffer{}, log, mapEnv(nil)),
				append([]string{"serve", "--listen", "127.0.0.1:0", "--policies", modelDir}, tc.args...))
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, log.String(), tc.want)
		})
	}
}
