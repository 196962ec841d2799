package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/pkg/conformance"
)

const publicCorpus = "../../pkg/engine/testdata/public.jsonl"

// readCorpus reads every case of a JSON-lines corpus.
func readCorpus(tb testing.TB, name string) []*conformance.Case {
	tb.Helper()
	f, err := os.Open(name)
	require.NoError(tb, err)
	defer f.Close()
	var cases []*conformance.Case
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		c, err := conformance.Decode(sc.Bytes())
		require.NoError(tb, err, "%s:%d", name, line)
		cases = append(cases, c)
	}
	require.NoError(tb, sc.Err())
	return cases
}

// simulateRequest builds the request that asks Simulate a conformance case:
// every policy as its raw JSON text, every context string as string_value
// and every array as list_value.
func simulateRequest(c *conformance.Case) (*pdpv1.SimulateRequest, error) {
	req := &pdpv1.SimulateRequest{
		ResourcePolicy:      document(c.ResourcePolicy),
		PermissionsBoundary: document(c.PermissionsBoundary),
		Principal:           c.Request.Principal,
		Action:              c.Request.Action,
		Resource:            c.Request.Resource,
		ResourceAccount:     c.Request.ResourceAccount,
		Context:             make(map[string]*pdpv1.ContextValue, len(c.Request.Context)),
	}
	for _, raw := range c.IdentityPolicies {
		req.IdentityPolicies = append(req.IdentityPolicies, string(raw))
	}
	for _, raw := range c.SessionPolicies {
		req.SessionPolicies = append(req.SessionPolicies, string(raw))
	}
	for _, raw := range c.SCPs {
		req.Scps = append(req.Scps, string(raw))
	}
	for k, raw := range c.Request.Context {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			req.Context[k] = str(s)
			continue
		}
		var vs []string
		if err := json.Unmarshal(raw, &vs); err != nil {
			return nil, fmt.Errorf("context[%s]: want a string or a list of strings, got %s", k, raw)
		}
		req.Context[k] = list(vs...)
	}
	return req, nil
}

// document is a policy's JSON text, or "" for an absent or null policy.
func document(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return ""
	}
	return string(raw)
}

var decisionNames = map[string]pdpv1.Decision{
	"Allow":        pdpv1.Decision_DECISION_ALLOW,
	"ExplicitDeny": pdpv1.Decision_DECISION_EXPLICIT_DENY,
	"ImplicitDeny": pdpv1.Decision_DECISION_IMPLICIT_DENY,
}

// TestSimulatePublicCorpus sends every case of the public corpus through
// Simulate over gRPC and requires the expected decision, with and without
// an explanation.
func TestSimulatePublicCorpus(t *testing.T) {
	t.Parallel()
	cases := readCorpus(t, publicCorpus)
	assert.Len(t, cases, 721, "cases read")
	// Simulate needs no snapshot: it must answer before any is activated.
	ts := newServer(t, server.Config{})
	var agreed atomic.Int64
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.ID, func(t *testing.T) {
				t.Parallel()
				want, ok := decisionNames[c.Expect]
				require.True(t, ok, "expect %q is not a decision", c.Expect)
				req, err := simulateRequest(c)
				require.NoError(t, err)
				resp, err := ts.client.Simulate(t.Context(), req)
				require.NoError(t, err, "Simulate (features %v)", c.Features)
				require.Equal(t, want, resp.GetDecision(), "decision (features %v)", c.Features)
				req.Explain = true
				resp, err = ts.client.Simulate(t.Context(), req)
				require.NoError(t, err, "Simulate with explain (features %v)", c.Features)
				require.Equal(t, want, resp.GetDecision(), "with explain: decision (features %v)", c.Features)
				require.NotNil(t, resp.GetExplanation(), "with explain: explanation (features %v)", c.Features)
				agreed.Add(1)
			})
		}
	})
	got := agreed.Load()
	t.Logf("Simulate agreed with %d/%d cases", got, len(cases))
	assert.Equal(t, int64(len(cases)), got, "cases Simulate agreed with")
}
