package authzen_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/authzen/authzentest"
)

// TestProtocol runs the conformance table against the handler, open.
func TestProtocol(t *testing.T) {
	srv, _, _ := newDecider(t)
	ts := httptest.NewUnstartedServer(nil)
	ts.Config.Handler = authzen.New(authzen.Config{BaseURL: "https://pdp.example.com/"}, srv, nil)
	ts.Start()
	t.Cleanup(ts.Close)
	target := authzentest.Target{BaseURL: ts.URL, Client: ts.Client()}
	authzentest.Run(t, target, authzentest.Cases())
	authzentest.Run(t, target, authzentest.MetadataCases("https://pdp.example.com/", false))
}

// TestProtocolAuthenticated runs it with authentication required: a
// request without a token is 401, the metadata stays public.
func TestProtocolAuthenticated(t *testing.T) {
	srv, cat, _ := newDecider(t)
	h := authzen.New(authzen.Config{BaseURL: "http://pdp.test", Guard: newGuard(t, cat)}, srv, nil)
	ts := serveHandler(t, h)
	target := authzentest.Target{BaseURL: ts.URL, Client: ts.Client(), Token: "s3cret-token"}
	authzentest.Run(t, target, authzentest.MetadataCases("http://pdp.test", false))
	authzentest.Run(t, target, authzentest.Cases()[:3])

	status, _, _ := authzentest.Do(t, authzentest.Target{BaseURL: ts.URL, Client: ts.Client(), Token: "wrong"},
		authzentest.Case{Path: authzen.PathEvaluation, Body: `{}`})
	assert.Equal(t, http.StatusUnauthorized, status)
}

// TestDecisionLog: AuthZEN decisions reach the decision hooks as Check's
// do, with the endpoint as method, the request id and the caller.
func TestDecisionLog(t *testing.T) {
	srv, cat, seen := newDecider(t)
	ts := serveHandler(t, authzen.New(authzen.Config{Guard: newGuard(t, cat)}, srv, nil))
	target := authzentest.Target{BaseURL: ts.URL, Client: ts.Client(), Token: testToken}
	c := authzentest.Cases()[0]
	c.Header = map[string]string{"X-Request-ID": "req-7"}
	status, _, _ := authzentest.Do(t, target, c)
	require.Equal(t, http.StatusOK, status)
	recs := seen.take()
	require.Len(t, recs, 1)
	assert.Equal(t, authzen.MethodEvaluation, recs[0].Method)
	assert.Equal(t, "req-7", recs[0].RequestID)
	assert.Equal(t, authzentest.Alice, recs[0].Caller)
	assert.Equal(t, "Allow", recs[0].Decision)
	assert.Equal(t, "mobiletargeting:UpdateCampaign", recs[0].Action)
}
