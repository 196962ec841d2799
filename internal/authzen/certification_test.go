package authzen_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/authzen/authzentest"
	"github.com/pdp-dev/pdp/internal/server"
)

// The AuthZEN certification fixture (subjects alice and bob, records
// record-1 and record-2, actions read, write, delete) is the IAM model in
// testdata/certification. A scenario request names the fixture's entities;
// fixtureRequest maps them the way a PEP in front of pdp would (README,
// "AuthZEN"): users are principal ARNs, records are Pinpoint app ARNs,
// actions are Pinpoint actions. Properties pass through unchanged and are
// ignored: the model's tags (bob's role, the records' status) decide.
var (
	fixtureSubjects  = map[string]string{"alice": "arn:aws:iam::111122223333:user/alice", "bob": "arn:aws:iam::111122223333:user/bob"}
	fixtureResources = map[string]string{
		"record-1": "arn:aws:mobiletargeting:us-east-1:111122223333:apps/record-1",
		"record-2": "arn:aws:mobiletargeting:us-east-1:111122223333:apps/record-2",
	}
	fixtureActions = map[string]string{"read": "mobiletargeting:GetApp", "write": "mobiletargeting:UpdateApplicationSettings",
		"delete": "mobiletargeting:DeleteApp"}
)

// fixtureRequest rewrites the fixture's names in a scenario request body.
func fixtureRequest(t *testing.T, body string) string {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	rewrite := func(m map[string]any) {
		if s, ok := m["subject"].(map[string]any); ok {
			if s["type"] == "user" {
				s["type"] = "aws_principal"
			}
			if id, ok := s["id"].(string); ok {
				s["id"] = fixtureSubjects[id]
				if s["id"] == "" {
					s["id"] = "arn:aws:iam::111122223333:user/" + id
				}
			}
		}
		if r, ok := m["resource"].(map[string]any); ok {
			if r["type"] == "record" {
				r["type"] = "aws_resource"
			}
			if id, ok := r["id"].(string); ok {
				r["id"] = fixtureResources[id]
			}
		}
		if a, ok := m["action"].(map[string]any); ok {
			if n, ok := a["name"].(string); ok {
				a["name"] = fixtureActions[n]
			}
		}
	}
	rewrite(v)
	if items, ok := v["evaluations"].([]any); ok {
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				rewrite(m)
			}
		}
	}
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return string(out)
}

// TestCertificationScenario runs the AuthZEN 1.0 certification scenario's
// Basic, Batch, Search and Discovery tests over the fixture model; each
// subtest is named by its test id. Not here: c-2-2-6 and c-2-2-7 (IAM has
// no action properties: the mapping ignores action.properties, so soft and
// hard delete cannot differ) and c-4-6-1 (what can refuses a principal
// the model does not hold with 400 rather than answering nothing).
func TestCertificationScenario(t *testing.T) {
	srv, _, _ := newDeciderOf(t, "testdata/certification")
	ts := serveHandler(t, authzen.New(authzen.Config{BaseURL: "https://pdp.example.com",
		Searcher: authzen.NewAccessSearcher(server.NewAccess(srv, nil))}, srv, nil))
	target := authzentest.Target{BaseURL: ts.URL, Client: ts.Client()}
	const ev, evs = authzen.PathEvaluation, authzen.PathEvaluations
	const (
		aliceRead1  = `"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}`
		bobWrite1   = `"subject": {"type": "user", "id": "bob"}, "action": {"name": "write"}, "resource": {"type": "record", "id": "record-1"}`
		aliceWrite2 = `"subject": {"type": "user", "id": "alice"}, "action": {"name": "write"}, "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}`
	)
	decision := func(want bool) func(*testing.T, any) {
		return func(t *testing.T, v any) { assert.Equal(t, want, v.(map[string]any)["decision"]) }
	}
	cases := []authzentest.Case{
		{Name: "c-2-2-1", Path: ev, Body: "{" + aliceRead1 + "}", WantStatus: 200, Check: decision(true)},
		{Name: "c-2-2-2", Path: ev, Body: "{" + bobWrite1 + "}", WantStatus: 200, Check: decision(false)},
		{Name: "c-2-2-3", Path: ev, Body: "{" + aliceRead1 + `, "context": {"time": "2025-06-27T18:03-07:00", "ip": "192.168.1.1"}}`,
			WantStatus: 200, Check: decision(true)},
		{Name: "c-2-2-4", Path: ev, Body: "{" + aliceWrite2 + "}", WantStatus: 200, Check: decision(false)},
		{Name: "c-2-2-5", Path: ev, Body: `{"subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}, "action": {"name": "write"}, ` +
			`"resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}`, WantStatus: 200, Check: decision(true)},
		{Name: "c-2-2-8", Path: ev, Body: `{"subject": {"type": "user", "id": "alice", "properties": {"department": "Sales", "role": "manager"}}, ` +
			`"action": {"name": "read", "properties": {"method": "GET"}}, "resource": {"type": "record", "id": "record-1", ` +
			`"properties": {"status": "active", "owner": "bob"}}}`, WantStatus: 200, Check: decision(true)},
		{Name: "c-2-2-9", Path: ev, Body: "{" + aliceRead1 + `, "foo": "bar", "futureField": {"nested": true}}`, WantStatus: 200, Check: decision(true)},
		{Name: "c-2-4-1 subject", Path: ev, Body: `{"action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}`, WantStatus: 400},
		{Name: "c-2-4-1 action", Path: ev, Body: `{"subject": {"type": "user", "id": "alice"}, "resource": {"type": "record", "id": "record-1"}}`, WantStatus: 400},
		{Name: "c-2-4-1 resource", Path: ev, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}}`, WantStatus: 400},
		{Name: "c-2-4-2 subject.type", Path: ev, Body: `{"subject": {"id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}`, WantStatus: 400},
		{Name: "c-2-4-2 subject.id", Path: ev, Body: `{"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}`, WantStatus: 400},
		{Name: "c-2-4-2 action.name", Path: ev, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {}, "resource": {"type": "record", "id": "record-1"}}`, WantStatus: 400},
		{Name: "c-2-4-2 resource.type", Path: ev, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"id": "record-1"}}`, WantStatus: 400},
		{Name: "c-2-4-2 resource.id", Path: ev, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record"}}`, WantStatus: 400},
		{Name: "c-2-4-6 subject string", Path: ev, Body: `{"subject": "alice", "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}`, WantStatus: 400},
		{Name: "c-2-4-6 action.name number", Path: ev, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": 123}, "resource": {"type": "record", "id": "record-1"}}`, WantStatus: 400},
		{Name: "c-3-2-1", Path: evs, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "evaluations": [` +
			`{"resource": {"type": "record", "id": "record-1"}}, {"resource": {"type": "record", "id": "record-2"}}]}`,
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":true},{"decision":true}]}`},
		{Name: "c-3-2-2", Path: evs, Body: `{"subject": {"type": "user", "id": "bob"}, "resource": {"type": "record", "id": "record-1"}, ` +
			`"evaluations": [{"action": {"name": "read"}}, {"action": {"name": "write"}}]}`,
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":true},{"decision":false}]}`},
		{Name: "c-3-2-3", Path: evs, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": "write"}, "evaluations": [` +
			`{"resource": {"type": "record", "id": "record-1", "properties": {"status": "active"}}}, ` +
			`{"resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}]}`,
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":true},{"decision":false}]}`},
		{Name: "c-3-2-4", Path: evs, Body: `{"action": {"name": "write"}, "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}, ` +
			`"evaluations": [{"subject": {"type": "user", "id": "alice"}}, {"subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}}]}`,
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":false},{"decision":true}]}`},
		{Name: "c-3-2-5", Path: evs, Body: `{"evaluations": [{` + aliceRead1 + `}, {` + bobWrite1 + `}]}`,
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":true},{"decision":false}]}`},
		{Name: "c-3-2-6", Path: evs, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "context": {"time": "2025-06-27T18:03-07:00"}, ` +
			`"evaluations": [{"resource": {"type": "record", "id": "record-1"}}, {"resource": {"type": "record", "id": "record-2"}, ` +
			`"context": {"time": "2025-06-27T19:00-07:00", "source": "batch-override"}}]}`,
			WantStatus: 200, Check: func(t *testing.T, v any) { assert.Len(t, v.(map[string]any)["evaluations"], 2) }},
		{Name: "c-3-2-7", Path: evs, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": "write"}, "resource": {"type": "record"}, ` +
			`"evaluations": [{"resource": {"id": "record-1", "properties": {"status": "active"}}}, ` +
			`{"resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}]}`,
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":true},{"decision":false}]}`},
		{Name: "c-3-4-1", Path: evs, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "evaluations": [` +
			`{"resource": {"type": "record", "id": "record-1"}}, {}]}`, WantStatus: 200, Check: func(t *testing.T, v any) {
			items := v.(map[string]any)["evaluations"].([]any)
			require.Len(t, items, 2)
			assert.Equal(t, true, items[0].(map[string]any)["decision"])
			assert.Equal(t, false, items[1].(map[string]any)["decision"])
		}},
		{Name: "c-3-4-2", Path: evs, Body: "{" + aliceRead1 + "}", WantStatus: 200, Check: decision(true)},
		{Name: "c-3-4-3", Path: evs, Body: "{" + aliceRead1 + `, "evaluations": []}`, WantStatus: 200, Check: decision(true)},
	}
	const ss, sr, sa = authzen.PathSearchSubject, authzen.PathSearchResource, authzen.PathSearchAction
	results := func(want ...string) func(*testing.T, any) {
		return func(t *testing.T, v any) {
			var got []string
			for _, r := range v.(map[string]any)["results"].([]any) {
				m := r.(map[string]any)
				if id, ok := m["id"].(string); ok {
					got = append(got, id)
				} else {
					got = append(got, m["name"].(string))
				}
			}
			for _, w := range want {
				assert.Contains(t, got, w)
			}
			if len(want) == 0 {
				assert.Empty(t, got)
			}
		}
	}
	const readOn1 = `"action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}`
	cases = append(cases,
		authzentest.Case{Name: "c-4-2-1", Path: ss, Body: `{"subject": {"type": "user"}, ` + readOn1 + `}`, WantStatus: 200,
			Check: results(fixtureSubjects["alice"], fixtureSubjects["bob"])},
		authzentest.Case{Name: "c-4-2-2", Path: ss, Body: `{"subject": {"type": "user"}, ` + readOn1 + `, "context": {"time": "2025-06-27T18:03-07:00"}}`,
			WantStatus: 200, Check: results(fixtureSubjects["alice"], fixtureSubjects["bob"])},
		authzentest.Case{Name: "c-4-2-4", Path: ss, Body: `{"subject": {"type": "user"}, "action": {"name": "write"}, ` +
			`"resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}`, WantStatus: 200, Check: results(fixtureSubjects["bob"])},
		authzentest.Case{Name: "c-4-3-1", Path: sr, Body: `{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record"}}`,
			WantStatus: 200, Check: results(fixtureResources["record-1"])},
		authzentest.Case{Name: "c-4-3-3", Path: sr, Body: `{"subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}, ` +
			`"action": {"name": "write"}, "resource": {"type": "record"}}`, WantStatus: 200, Check: results(fixtureResources["record-2"])},
		authzentest.Case{Name: "c-4-4-1", Path: sa, Body: `{"subject": {"type": "user", "id": "alice"}, "resource": {"type": "record", "id": "record-1"}}`,
			WantStatus: 200, Check: results(fixtureActions["read"], fixtureActions["write"])},
		authzentest.Case{Name: "c-4-4-2", Path: sa, Body: `{"subject": {"type": "user", "id": "alice"}, "resource": {"type": "record", "id": "record-1"}, ` +
			`"context": {"time": "2025-06-27T18:03-07:00"}}`, WantStatus: 200, Check: results(fixtureActions["read"], fixtureActions["write"])},
		authzentest.Case{Name: "c-4-4-3", Path: sa, Body: `{"subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}, ` +
			`"resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}`, WantStatus: 200, Check: results(fixtureActions["write"])},
		authzentest.Case{Name: "c-4-5-1", Path: ss, Body: `{"subject": {"type": "user"}, ` + readOn1 + `, "page": {"limit": 1}}`, WantStatus: 200,
			Check: func(t *testing.T, v any) {
				assert.Len(t, v.(map[string]any)["results"], 1)
				assert.IsType(t, "", v.(map[string]any)["page"].(map[string]any)["next_token"])
			}},
		authzentest.Case{Name: "c-4-6-2", Path: ss, Body: `{"subject": {"type": "spaceship"}, ` + readOn1 + `}`, WantStatus: 200, Check: results()},
		authzentest.Case{Name: "c-4-7-1 subject", Path: ss, Body: `{"subject": {"type": "user"}, "resource": {"type": "record", "id": "record-1"}}`, WantStatus: 400},
		authzentest.Case{Name: "c-4-7-1 resource", Path: sr, Body: `{"action": {"name": "read"}, "resource": {"type": "record"}}`, WantStatus: 400},
		authzentest.Case{Name: "c-4-7-1 action", Path: sa, Body: `{"subject": {"type": "user", "id": "alice"}}`, WantStatus: 400},
		authzentest.Case{Name: "c-4-7-2 subject", Path: ss, Body: `{"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record"}}`, WantStatus: 400},
		authzentest.Case{Name: "c-4-7-2 resource", Path: sr, Body: `{"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record"}}`, WantStatus: 400},
	)
	for i := range cases {
		cases[i].Body = fixtureRequest(t, cases[i].Body)
	}
	cases = append(cases,
		authzentest.Case{Name: "c-2-4-3", Path: ev, ContentType: "text/plain", Body: fixtureRequest(t, "{"+aliceRead1+"}"), WantStatus: 400},
		authzentest.Case{Name: "c-2-4-4", Path: ev, Body: `{"subject": {`, WantStatus: 400},
		authzentest.Case{Name: "c-2-4-5", Path: ev, Body: "", WantStatus: 400},
		authzentest.Case{Name: "c-2-5-1", Path: ev, Body: fixtureRequest(t, "{"+aliceRead1+"}"), Header: map[string]string{"X-Request-ID": "cert-1"},
			WantStatus: 200, CheckRaw: func(t *testing.T, h http.Header, _ []byte) { assert.Equal(t, "cert-1", h.Get("X-Request-ID")) }},
		authzentest.Case{Name: "c-2-5-2", Path: ev, Body: fixtureRequest(t, "{"+aliceRead1+"}"), WantStatus: 200, Check: decision(true)},
		authzentest.Case{Name: "c-6", Method: "GET", Path: "/.well-known/authzen-configuration", WantStatus: 200,
			Check: func(t *testing.T, v any) {
				m := v.(map[string]any)
				assert.Equal(t, "https://pdp.example.com", m["policy_decision_point"])
				assert.Equal(t, "https://pdp.example.com/access/v1/evaluation", m["access_evaluation_endpoint"])
				assert.Equal(t, "https://pdp.example.com/access/v1/evaluations", m["access_evaluations_endpoint"])
			}},
	)
	authzentest.Run(t, target, cases)

	t.Run("c-2-6", func(t *testing.T) { // idempotency
		c := authzentest.Case{Path: ev, Body: fixtureRequest(t, "{"+bobWrite1+"}")}
		for range 5 {
			status, _, body := authzentest.Do(t, target, c)
			require.Equal(t, http.StatusOK, status)
			assert.JSONEq(t, `{"decision": false, "context": {"pdp": {"decision": "ImplicitDeny", "revision": 1}}}`, string(body))
		}
	})
}
