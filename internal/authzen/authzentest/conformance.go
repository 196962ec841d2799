// Package authzentest is a conformance client of the AuthZEN Authorization
// API 1.0 as pdp serves it over examples/model. It knows only the
// specification and the README's mapping: it speaks raw HTTP and JSON and
// imports nothing of the server, so that the same table checks the
// handler in process and the real binary over the network.
package authzentest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Target is a PDP under test.
type Target struct {
	BaseURL string       // scheme://host:port, as the metadata names it
	Client  *http.Client // with the TLS roots of the server
	Token   string       // bearer token; "" when the PDP requires none
}

// A Case is one request and what the specification says of its answer.
type Case struct {
	Name        string
	Method      string // POST when empty
	Path        string
	ContentType string // application/json when empty; "-" for none
	Header      map[string]string
	Body        string
	NoAuth      bool // send no token: 401 when the target requires one, unless Public
	Public      bool // answered without credentials
	WantStatus  int
	WantBody    string                    // exact body, when set
	Check       func(t *testing.T, v any) // checks the decoded body, when set
	CheckRaw    func(t *testing.T, h http.Header, body []byte)
}

// Principals, actions and resources of examples/model.
const (
	Alice      = "arn:aws:iam::111122223333:user/alice"
	Bob        = "arn:aws:iam::111122223333:user/bob"
	SpringSale = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale"
	WinBack    = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/retention-app/campaigns/win-back"
)

func subject(id string) string {
	return `{"type": "aws_principal", "id": "` + id + `"}`
}

func resource(id string) string {
	return `{"type": "aws_resource", "id": "` + id + `"}`
}

func act(name string) string { return `{"name": "` + name + `"}` }

// secureCtx is the context of the README's Allow.
const secureCtx = `{"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true"}`

// eval is an evaluation request body.
func eval(sub, action, res, ctx string) string {
	parts := []string{}
	if sub != "" {
		parts = append(parts, `"subject": `+sub)
	}
	if action != "" {
		parts = append(parts, `"action": `+action)
	}
	if res != "" {
		parts = append(parts, `"resource": `+res)
	}
	if ctx != "" {
		parts = append(parts, `"context": `+ctx)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// allowBody is alice updating the spring sale campaign over TLS: Allow.
var allowBody = eval(subject(Alice), act("mobiletargeting:UpdateCampaign"), resource(SpringSale), secureCtx)

// pdpDecision checks decision and context.pdp.decision of an evaluation.
func pdpDecision(want bool, iam string) func(t *testing.T, v any) {
	return func(t *testing.T, v any) {
		m := v.(map[string]any)
		assert.Equal(t, want, m["decision"])
		pdp, _ := dig(m, "context", "pdp").(map[string]any)
		require.NotNil(t, pdp, "context.pdp")
		assert.Equal(t, iam, pdp["decision"])
		assert.Greater(t, pdp["revision"], float64(0))
	}
}

// errorNames checks a 400's message names what is wrong.
func errorNames(what string) func(t *testing.T, v any) {
	return func(t *testing.T, v any) {
		msg, _ := dig(v, "error", "message").(string)
		assert.Contains(t, msg, what)
	}
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// batch is an evaluations body of defaults and items.
func batch(defaults, semantic string, items ...string) string {
	b := "{" + defaults
	if defaults != "" {
		b += ", "
	}
	b += `"evaluations": [` + strings.Join(items, ", ") + `]`
	if semantic != "" {
		b += `, "options": {"evaluations_semantic": "` + semantic + `"}`
	}
	return b + "}"
}

// Cases is the protocol table.
func Cases() []Case {
	const ev, evs = "/access/v1/evaluation", "/access/v1/evaluations"
	allowItem := `{"resource": ` + resource(SpringSale) + `}`
	denyItem := `{"subject": ` + subject(Bob) + `}`
	defaults := `"subject": ` + subject(Alice) + `, "action": ` + act("mobiletargeting:UpdateCampaign") +
		`, "resource": ` + resource(SpringSale) + `, "context": ` + secureCtx
	cases := []Case{
		{Name: "allow", Path: ev, Body: allowBody, WantStatus: 200, Check: pdpDecision(true, "Allow")},
		{Name: "explicit deny is 200 false", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:DeleteCampaign"),
			resource(SpringSale), `{"aws:RequestedRegion": "us-east-1"}`), WantStatus: 200, Check: pdpDecision(false, "ExplicitDeny")},
		{Name: "implicit deny is 200 false", Path: ev, Body: eval(subject(Bob), act("mobiletargeting:UpdateCampaign"),
			resource(SpringSale), secureCtx), WantStatus: 200, Check: pdpDecision(false, "ImplicitDeny")},
		{Name: "boolean context value", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:UpdateCampaign"),
			resource(SpringSale), `{"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": true}`), WantStatus: 200,
			Check: pdpDecision(true, "Allow")},
		{Name: "unknown members ignored", Path: ev, Body: `{"subject": {"type": "aws_principal", "id": "` + Alice +
			`", "extra": 1}, "action": {"name": "mobiletargeting:UpdateCampaign", "extra": [1]}, "resource": ` +
			resource(SpringSale) + `, "context": ` + secureCtx + `, "extra": {"a": "b"}}`, WantStatus: 200,
			Check: pdpDecision(true, "Allow")},
		{Name: "explanation on request", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:DeleteCampaign"),
			resource(SpringSale), `{"aws:RequestedRegion": "us-east-1", "pdp": {"explain": true}}`), WantStatus: 200,
			Check: func(t *testing.T, v any) {
				assert.Equal(t, false, dig(v, "decision"))
				assert.NotNil(t, dig(v, "context", "pdp", "explanation", "matched"))
			}},
		{Name: "content type with charset", Path: ev, ContentType: "application/json; charset=utf-8", Body: allowBody,
			WantStatus: 200, Check: pdpDecision(true, "Allow")},
		{Name: "wrong content type", Path: ev, ContentType: "text/plain", Body: allowBody, WantStatus: 400,
			Check: errorNames("Content-Type")},
		{Name: "no content type", Path: ev, ContentType: "-", Body: allowBody, WantStatus: 400, Check: errorNames("Content-Type")},
		{Name: "empty body", Path: ev, Body: "", WantStatus: 400, Check: errorNames("empty")},
		{Name: "malformed body", Path: ev, Body: `{"subject": `, WantStatus: 400, Check: errorNames("malformed")},
		{Name: "array body", Path: ev, Body: `[]`, WantStatus: 400, Check: errorNames("malformed")},
		{Name: "null body", Path: ev, Body: `null`, WantStatus: 400, Check: errorNames("malformed")},
		{Name: "invalid UTF-8 in a string", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:UpdateCampaign"),
			resource(SpringSale), "{\"aws:RequestedRegion\": \"us-east-1\xff\"}"), WantStatus: 400,
			Check: errorNames("context.aws:RequestedRegion")},
		{Name: "duplicate member", Path: ev, Body: `{"subject": ` + subject(Alice) + ", " + eval(subject(Bob),
			act("mobiletargeting:UpdateCampaign"), resource(SpringSale), secureCtx)[1:], WantStatus: 400,
			Check: errorNames(`duplicate key "subject"`)},
		{Name: "duplicate member in the context", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:UpdateCampaign"),
			resource(SpringSale), `{"aws:RequestedRegion": "eu-west-1", "aws:RequestedRegion": "us-east-1"}`), WantStatus: 400,
			Check: errorNames(`duplicate key "aws:RequestedRegion"`)},
		{Name: "pdp min_revision not an integer", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:UpdateCampaign"),
			resource(SpringSale), `{"pdp": {"min_revision": 1.5}}`), WantStatus: 400,
			Check: errorNames("context.pdp.min_revision: want a non-negative integer, not 1.5")},
		{Name: "pdp min_revision a string", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:UpdateCampaign"),
			resource(SpringSale), `{"pdp": {"min_revision": "2"}}`), WantStatus: 400,
			Check: errorNames(`context.pdp.min_revision: want a non-negative integer, not "2"`)},
		{Name: "pdp explain not a boolean", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:UpdateCampaign"),
			resource(SpringSale), `{"pdp": {"explain": "yes"}}`), WantStatus: 400,
			Check: errorNames(`context.pdp.explain: want a boolean (true or false), not "yes"`)},
		{Name: "pdp options not an object", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:UpdateCampaign"),
			resource(SpringSale), `{"pdp": true}`), WantStatus: 400,
			Check: errorNames(`context.pdp: want an object such as {"explain": true}, not true`)},
		{Name: "batch pdp option not a boolean", Path: evs, Body: "{" + defaults + `, "evaluations": [` + allowItem +
			`], "options": {"pdp": {"decision_context": "yes"}}}`, WantStatus: 400,
			Check: errorNames(`options.pdp.decision_context: want a boolean (true or false), not "yes"`)},
		{Name: "member of the wrong type", Path: ev, Body: `{"subject": "alice"}`, WantStatus: 400, Check: errorNames("subject")},
		{Name: "action name of the wrong type", Path: ev, Body: eval(subject(Alice), `{"name": 123}`, resource(SpringSale), ""),
			WantStatus: 400, Check: errorNames("action.name")},
		{Name: "evaluations item takes a missing type from the default", Path: evs, Body: batch(`"subject": `+subject(Alice)+
			`, "action": `+act("mobiletargeting:UpdateCampaign")+`, "resource": {"type": "aws_resource"}, "context": `+secureCtx, "",
			`{"resource": {"id": "`+SpringSale+`"}}`, `{"subject": {"id": "`+Bob+`"}, "resource": {"id": "`+SpringSale+`"}}`),
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":true},{"decision":false}]}`},
		{Name: "evaluations empty list is one evaluation", Path: evs, Body: "{" + defaults + `, "evaluations": []}`, WantStatus: 200,
			Check: pdpDecision(true, "Allow")},
		{Name: "unsupported subject type", Path: ev, Body: eval(`{"type": "user", "id": "alice"}`,
			act("mobiletargeting:GetSegment"), resource(SpringSale), ""), WantStatus: 400, Check: errorNames("aws_principal")},
		{Name: "unknown action is 400", Path: ev, Body: eval(subject(Alice), act("mobiletargeting:GetCampaignz"),
			resource(SpringSale), ""), WantStatus: 400, Check: errorNames("GetCampaignz")},
		{Name: "request id echoed", Path: ev, Body: allowBody, Header: map[string]string{"X-Request-ID": "req-42"}, WantStatus: 200,
			CheckRaw: func(t *testing.T, h http.Header, _ []byte) { assert.Equal(t, "req-42", h.Get("X-Request-ID")) }},
		{Name: "evaluations execute_all", Path: evs, Body: batch(defaults, "execute_all", allowItem, denyItem, allowItem),
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":true},{"decision":false},{"decision":true}]}`},
		{Name: "evaluations default semantic is execute_all", Path: evs, Body: batch(defaults, "", denyItem, allowItem),
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":false},{"decision":true}]}`},
		{Name: "evaluations deny_on_first_deny stops at the deny", Path: evs,
			Body: batch(defaults, "deny_on_first_deny", allowItem, denyItem, allowItem), WantStatus: 200,
			WantBody: `{"evaluations":[{"decision":true},{"decision":false}]}`},
		{Name: "evaluations permit_on_first_permit stops at the permit", Path: evs,
			Body: batch(defaults, "permit_on_first_permit", denyItem, allowItem, denyItem), WantStatus: 200,
			WantBody: `{"evaluations":[{"decision":false},{"decision":true}]}`},
		{Name: "evaluations permit_on_first_permit without a permit runs all", Path: evs,
			Body: batch(defaults, "permit_on_first_permit", denyItem, denyItem), WantStatus: 200,
			WantBody: `{"evaluations":[{"decision":false},{"decision":false}]}`},
		{Name: "evaluations items override defaults", Path: evs, Body: batch(`"subject": `+subject(Alice)+`, "context": `+secureCtx, "",
			`{"action": `+act("mobiletargeting:UpdateCampaign")+`, "resource": `+resource(SpringSale)+`}`,
			`{"action": `+act("mobiletargeting:DeleteCampaign")+`, "resource": `+resource(SpringSale)+`}`,
			`{"subject": `+subject(Bob)+`, "action": `+act("mobiletargeting:UpdateCampaign")+`, "resource": `+resource(SpringSale)+`}`),
			WantStatus: 200, WantBody: `{"evaluations":[{"decision":true},{"decision":false},{"decision":false}]}`},
		{Name: "evaluations item problem is that item's deny", Path: evs, Body: batch(defaults, "",
			allowItem, `{"action": `+act("mobiletargeting:GetCampaignz")+`}`, `{"action": {}}`, allowItem),
			WantStatus: 200, Check: func(t *testing.T, v any) {
				items, _ := dig(v, "evaluations").([]any)
				require.Len(t, items, 4)
				assert.Equal(t, map[string]any{"decision": true}, items[0])
				assert.Equal(t, false, dig(items[1], "decision"))
				assert.Equal(t, float64(400), dig(items[1], "context", "error", "status"))
				assert.Contains(t, dig(items[1], "context", "error", "message"), "GetCampaignz")
				assert.Contains(t, dig(items[2], "context", "error", "message"), "action.name")
				assert.Equal(t, map[string]any{"decision": true}, items[3])
			}},
		{Name: "evaluations item problem stops deny_on_first_deny", Path: evs, Body: batch(defaults, "deny_on_first_deny",
			`{"action": `+act("mobiletargeting:GetCampaignz")+`}`, allowItem), WantStatus: 200,
			Check: func(t *testing.T, v any) { assert.Len(t, dig(v, "evaluations"), 1) }},
		{Name: "evaluations decision context on request", Path: evs,
			Body: `{` + defaults + `, "evaluations": [{}], "options": {"pdp": {"decision_context": true}}}`, WantStatus: 200,
			Check: func(t *testing.T, v any) {
				items, _ := dig(v, "evaluations").([]any)
				require.Len(t, items, 1)
				assert.Equal(t, "Allow", dig(items[0], "context", "pdp", "decision"))
			}},
		{Name: "evaluations without items is one evaluation", Path: evs, Body: "{" + defaults + "}", WantStatus: 200,
			Check: pdpDecision(true, "Allow")},
		{Name: "evaluations unknown semantic", Path: evs, Body: batch(defaults, "first_wins", allowItem), WantStatus: 400,
			Check: errorNames("evaluations_semantic")},
		{Name: "evaluations empty body", Path: evs, Body: " ", WantStatus: 400, Check: errorNames("empty")},
		// Items that take every member from the defaults cost a decision
		// for three bytes: a batch is bounded as BatchCheck's is (the
		// default --max-batch).
		{Name: "evaluations over the batch limit", Path: evs, Body: batch(defaults, "", slices.Repeat([]string{"{}"}, 1001)...),
			WantStatus: 400, Check: errorNames("evaluations: 1001 items exceed the maximum batch size of 1000")},
		{Name: "evaluations at the batch limit", Path: evs, Body: batch(defaults, "", slices.Repeat([]string{"{}"}, 1000)...),
			WantStatus: 200, Check: func(t *testing.T, v any) {
				items, _ := dig(v, "evaluations").([]any)
				assert.Len(t, items, 1000)
			}},
		{Name: "evaluations wrong content type", Path: evs, ContentType: "application/xml", Body: batch(defaults, "", allowItem),
			WantStatus: 400, Check: errorNames("Content-Type")},
		{Name: "GET evaluation is refused", Method: "GET", Path: ev, WantStatus: 405},
		{Name: "body over the limit", Path: ev, Body: `{"context": {"k": "` + strings.Repeat("x", 5<<20) + `"}}`, WantStatus: 413},
		{Name: "caller value echoed clipped", Path: ev, Body: eval(`{"type": "`+strings.Repeat("t", 3000)+`", "id": "x"}`,
			act("mobiletargeting:GetSegment"), resource(SpringSale), ""), WantStatus: 400, Check: func(t *testing.T, v any) {
			msg, _ := dig(v, "error", "message").(string)
			assert.Less(t, len(msg), 600)
			assert.Contains(t, msg, "3000 bytes")
		}},
	}
	for _, m := range []struct{ body, what string }{
		{eval("", act("a:b"), resource(SpringSale), ""), "subject"},
		{eval(`{"id": "`+Alice+`"}`, act("a:b"), resource(SpringSale), ""), "subject.type"},
		{eval(`{"type": "aws_principal"}`, act("a:b"), resource(SpringSale), ""), "subject.id"},
		{eval(subject(Alice), "", resource(SpringSale), ""), "action"},
		{eval(subject(Alice), `{}`, resource(SpringSale), ""), "action.name"},
		{eval(subject(Alice), act("a:b"), "", ""), "resource"},
		{eval(subject(Alice), act("a:b"), `{"id": "x"}`, ""), "resource.type"},
		{eval(subject(Alice), act("a:b"), `{"type": "aws_resource"}`, ""), "resource.id"},
	} {
		cases = append(cases, Case{Name: "missing " + m.what, Path: ev, Body: m.body, WantStatus: 400,
			Check: errorNames("missing required member: " + m.what)})
	}
	return cases
}

// MetadataCases checks the PDP metadata of a PDP whose identifier is
// baseURL, and the search endpoints: listed and served when search, else
// absent from the metadata and answered 501 Not Implemented.
func MetadataCases(baseURL string, search bool) []Case {
	paths := map[string]string{
		"access_evaluation_endpoint": "/access/v1/evaluation", "access_evaluations_endpoint": "/access/v1/evaluations",
		"search_subject_endpoint": "/access/v1/search/subject", "search_resource_endpoint": "/access/v1/search/resource",
		"search_action_endpoint": "/access/v1/search/action",
	}
	cases := []Case{
		{Name: "metadata", Method: "GET", Path: "/.well-known/authzen-configuration", NoAuth: true, Public: true, WantStatus: 200,
			Check: func(t *testing.T, v any) {
				assert.Equal(t, baseURL, dig(v, "policy_decision_point"))
				for k, p := range paths {
					if !search && strings.HasPrefix(k, "search_") {
						assert.Nil(t, dig(v, k), k)
						continue
					}
					assert.Equal(t, strings.TrimSuffix(baseURL, "/")+p, dig(v, k), k)
				}
			}},
		{Name: "evaluation without credentials", Path: "/access/v1/evaluation", Body: allowBody, NoAuth: true, WantStatus: 200},
	}
	if !search {
		for _, p := range []string{"subject", "resource", "action"} {
			cases = append(cases, Case{Name: "search " + p + " not served", Path: "/access/v1/search/" + p,
				Body: eval(subject(Alice), act("mobiletargeting:GetSegment"), resource(SpringSale), ""), WantStatus: 501,
				Check: errorNames("search")})
		}
	}
	return cases
}

// Searchers of examples/model that the search cases expect.
const (
	Analyst     = "arn:aws:iam::111122223333:role/analyst"
	ActiveUsers = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users"
)

// SearchCases checks the search APIs over examples/model: the result
// shape, empty results for unknown types, and required members.
func SearchCases() []Case {
	region := `{"aws:RequestedRegion": "us-east-1"}`
	return []Case{
		{Name: "search subject", Path: "/access/v1/search/subject", Body: eval(`{"type": "aws_principal"}`,
			act("mobiletargeting:GetSegment"), resource(ActiveUsers), region), WantStatus: 200,
			WantBody: `{"results":[{"type":"aws_principal","id":"` + Analyst + `"},{"type":"aws_principal","id":"` + Alice +
				`"},{"type":"aws_principal","id":"` + Bob + `"}],"page":{"next_token":""}}`},
		{Name: "search resource", Path: "/access/v1/search/resource", Body: eval(subject(Alice), act("mobiletargeting:GetSegment"),
			`{"type": "aws_resource"}`, region), WantStatus: 200,
			WantBody: `{"results":[{"type":"aws_resource","id":"` + ActiveUsers + `"}],"page":{"next_token":""}}`},
		{Name: "search action", Path: "/access/v1/search/action", Body: eval(subject(Alice), "", resource(SpringSale), secureCtx),
			WantStatus: 200, Check: func(t *testing.T, v any) {
				var names []any
				for _, r := range dig(v, "results").([]any) {
					assert.Len(t, r, 1, "an action result is its name only")
					names = append(names, dig(r, "name"))
				}
				assert.Contains(t, names, "mobiletargeting:UpdateCampaign")
				assert.NotContains(t, names, "mobiletargeting:DeleteCampaign")
				assert.Equal(t, "", dig(v, "page", "next_token"))
			}},
		{Name: "search unknown subject type", Path: "/access/v1/search/subject", Body: eval(`{"type": "spaceship"}`,
			act("mobiletargeting:GetSegment"), resource(ActiveUsers), ""), WantStatus: 200, WantBody: `{"results":[],"page":{"next_token":""}}`},
		{Name: "search subject without action", Path: "/access/v1/search/subject", Body: eval(`{"type": "aws_principal"}`, "",
			resource(ActiveUsers), ""), WantStatus: 400, Check: errorNames("missing required member: action")},
		{Name: "search resource without subject id", Path: "/access/v1/search/resource", Body: eval(`{"type": "aws_principal"}`,
			act("mobiletargeting:GetSegment"), `{"type": "aws_resource"}`, ""), WantStatus: 400, Check: errorNames("subject.id")},
		{Name: "search action without resource", Path: "/access/v1/search/action", Body: eval(subject(Alice), "", "", ""),
			WantStatus: 400, Check: errorNames("missing required member: resource")},
	}
}

// SearchPages pages through a subject search one result at a time and
// checks it finds what one page does: every page has at most one result,
// next_token is "" only on the last.
func SearchPages(t *testing.T, target Target) {
	t.Run("search subject across pages", func(t *testing.T) {
		var got []string
		token := ""
		for range 10 {
			c := Case{Path: "/access/v1/search/subject", Body: `{"subject": {"type": "aws_principal"}, "action": {"name": ` +
				`"mobiletargeting:GetSegment"}, "resource": ` + resource(ActiveUsers) + `, "context": {"aws:RequestedRegion": "us-east-1"}, ` +
				`"page": {"limit": 1, "token": "` + token + `"}}`}
			status, _, body := Do(t, target, c)
			require.Equal(t, http.StatusOK, status, "%s", body)
			var out struct {
				Results []struct{ ID string } `json:"results"`
				Page    struct {
					NextToken *string `json:"next_token"`
				} `json:"page"`
			}
			require.NoError(t, json.Unmarshal(body, &out))
			require.LessOrEqual(t, len(out.Results), 1)
			require.NotNil(t, out.Page.NextToken)
			for _, r := range out.Results {
				got = append(got, r.ID)
			}
			if token = *out.Page.NextToken; token == "" {
				break
			}
		}
		assert.Equal(t, "", token, "paging ends")
		assert.Equal(t, []string{Analyst, Alice, Bob}, got)
	})
}

// Run sends every case to target and checks the answers.
func Run(t *testing.T, target Target, cases []Case) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			status, h, body := Do(t, target, c)
			want := c.WantStatus
			if c.NoAuth && !c.Public && target.Token != "" {
				want = http.StatusUnauthorized
			}
			require.Equal(t, want, status, "body: %.300s", body)
			if want == http.StatusUnauthorized && want != c.WantStatus {
				assert.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
				return
			}
			if want >= 200 && want < 300 || want == 400 || want == 413 || want == 401 || want == 501 {
				assert.Equal(t, "application/json", h.Get("Content-Type"))
			}
			if c.WantBody != "" {
				assert.Equal(t, c.WantBody, string(body))
			}
			if c.Check != nil {
				var v any
				require.NoError(t, json.Unmarshal(body, &v), "body: %.300s", body)
				c.Check(t, v)
			}
			if c.CheckRaw != nil {
				c.CheckRaw(t, h, body)
			}
		})
	}
}

// Do sends one case and returns the status, headers and body.
func Do(t *testing.T, target Target, c Case) (int, http.Header, []byte) {
	t.Helper()
	method := c.Method
	if method == "" {
		method = http.MethodPost
	}
	var rd io.Reader
	if c.Body != "" || method == http.MethodPost {
		rd = bytes.NewBufferString(c.Body)
	}
	req, err := http.NewRequest(method, target.BaseURL+c.Path, rd)
	require.NoError(t, err)
	switch c.ContentType {
	case "":
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json")
		}
	case "-":
	default:
		req.Header.Set("Content-Type", c.ContentType)
	}
	for k, v := range c.Header {
		req.Header.Set(k, v)
	}
	if target.Token != "" && !c.NoAuth {
		req.Header.Set("Authorization", "Bearer "+target.Token)
	}
	resp, err := target.Client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, body
}
