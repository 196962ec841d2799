package extauthz_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/decidetest"
	"github.com/pdp-dev/pdp/internal/extauthz"
	"github.com/pdp-dev/pdp/internal/extauthz/routes"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestAgreementOfTheThreeDoors: for 5,000 generated requests over
// examples/model, Check and AuthZEN's evaluation give the same decision,
// and ext_authz gives it too for every request an AWS client could send
// through Envoy: the request is rebuilt from the action and resource
// through the route table in reverse, with the principal in a verified
// JWT, the region in the host, the source address in the peer, TLS for
// aws:SecureTransport and the request tags in the body.
func TestAgreementOfTheThreeDoors(t *testing.T) {
	e, srv, _ := newEnvParts(t, extauthz.Config{PrincipalFrom: extauthz.PrincipalFromJWT})
	ts := httptest.NewServer(authzen.New(authzen.Config{}, srv, nil))
	t.Cleanup(ts.Close)
	var actions []string
	for _, a := range loadCatalog(t).Actions() {
		actions = append(actions, a.FullName)
	}
	gen := decidetest.NewGenerator(3, 4, actions)
	agreed, routed, apis := map[string]int{}, map[string]int{}, map[string]int{}
	for i := range 5000 {
		r := gen.Next()
		want := "Refused"
		resp, checkErr := srv.Check(context.Background(), r.Check)
		if checkErr == nil {
			want, _ = server.DecisionName(resp.GetDecision())
		}
		body, err := decidetest.EvaluationBody(r)
		require.NoError(t, err)
		got, err := decidetest.Evaluate(ts.Client(), ts.URL+authzen.PathEvaluation, body)
		require.NoError(t, err, "request %d", i)
		if checkErr != nil {
			require.Equal(t, http.StatusBadRequest, got.Status, "request %d: Check refused it (%v)", i, checkErr)
		} else {
			require.Equal(t, http.StatusOK, got.Status, "request %d", i)
			require.Equal(t, want, got.Decision, "request %d: %s", i, body)
			require.Equal(t, resp.GetDecision() == pdpv1.Decision_DECISION_ALLOW, got.Allowed, "request %d", i)
		}
		agreed[want]++

		hr, ok := throughEnvoy(r.Check)
		if !ok {
			continue
		}
		e.seen.take() // Check's and the evaluation's records
		out, err := e.authz.Check(t.Context(), envoyRequest(t, hr))
		require.NoError(t, err, "request %d", i)
		a := decode(t, out)
		require.Equal(t, want, a.headers[extauthz.HeaderDecision], "request %d: %v as %s %s %s: %s", i, r.Check, hr.method, hr.path, hr.body, a.message)
		if want != "Refused" {
			records := e.seen.take()
			require.Len(t, records, 1, "request %d", i)
			require.Equal(t, r.Check.Action, records[0].Action, "request %d", i)
			require.Equal(t, r.Check.Resource, records[0].Resource, "request %d", i)
		}
		routed[want]++
		apis[map[bool]string{true: "sms-voice", false: "pinpoint"}[hr.headers["x-amz-target"] != ""]]++
	}
	t.Logf("Check and AuthZEN agreed: %v; ext_authz agreed on the routable ones: %v (%v)", agreed, routed, apis)
	for _, d := range []string{"Allow", "ExplicitDeny", "ImplicitDeny", "Refused"} {
		require.Positive(t, agreed[d], d)
		require.Positive(t, routed[d], "routable %s", d)
	}
	require.Positive(t, apis["pinpoint"], "routed through Pinpoint's REST routes")
	require.Positive(t, apis["sms-voice"], "routed through SMS and voice v2's JSON routes")
	total := 0
	for _, n := range routed {
		total += n
	}
	require.GreaterOrEqual(t, total, 1000, "routable requests")
}

// throughEnvoy is the request an AWS client sends for req through Envoy,
// when one does: the context must hold only what ext_authz derives from
// the HTTP request, and a route of the action must lead to the resource.
func throughEnvoy(req *pdpv1.CheckRequest) (httpReq, bool) {
	str := func(k string) string { return req.Context[k].GetStringValue() }
	ip, secure, region := str("aws:SourceIp"), str("aws:SecureTransport"), str("aws:RequestedRegion")
	team, tagged := req.Context["aws:RequestTag/team"]
	if ip == "" || secure == "" || region == "" || len(req.SessionTags) > 0 {
		return httpReq{}, false
	}
	partition, account := "aws", ""
	if parts := strings.SplitN(req.Principal, ":", 6); len(parts) == 6 {
		partition, account = parts[1], parts[4]
	}
	where := routes.Where{Partition: partition, Region: region, Account: account}
	hr := httpReq{jwt: jwtOf(map[string]any{"sub": req.Principal}), sourceIP: ip, tls: secure == "true"}
	for _, rt := range routes.REST() {
		if rt.Action != req.Action || (tagged && rt.Method != "POST" && rt.Method != "PUT") {
			continue
		}
		params, ok := map[string]string{}, false
		if rt.Resource == routes.ARNParam {
			params["resource-arn"], ok = req.Resource, strings.HasPrefix(req.Resource, "arn:")
		} else {
			params, ok = bind(rt.Resource, where, req.Resource)
		}
		if !ok {
			continue
		}
		path := rt.Path
		for name, v := range params {
			path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(v))
		}
		if strings.Contains(path, "{") {
			continue
		}
		hr.method, hr.path, hr.host = rt.Method, path, "pinpoint."+region+".amazonaws.com"
		if rt.Method == "POST" || rt.Method == "PUT" {
			b := map[string]any{}
			if tagged {
				b["tags"] = map[string]any{"team": team.GetStringValue()}
			}
			data, _ := json.Marshal(b)
			hr.body = string(data)
		}
		return hr, true
	}
	for _, rt := range routes.JSON() {
		if rt.Action != req.Action {
			continue
		}
		b, ok := bodyFor(rt, where, req.Resource)
		if !ok {
			continue
		}
		if tagged {
			b["Tags"] = []any{map[string]any{"Key": "team", "Value": team.GetStringValue()}}
		}
		data, _ := json.Marshal(b)
		r := sms("", rt.Operation, string(data))
		r.host = "sms-voice." + region + ".amazonaws.com"
		r.jwt, r.sourceIP, r.tls = hr.jwt, ip, hr.tls
		return r, true
	}
	return httpReq{}, false
}

// bodyFor is the body of a JSON operation naming resource: no identifier
// for "*", else the one identifier whose kind's template leads to it.
func bodyFor(rt routes.JSONRoute, where routes.Where, resource string) (map[string]any, bool) {
	for _, id := range rt.Resources {
		if id.Required && resource == "*" {
			return nil, false
		}
	}
	if resource == "*" {
		return map[string]any{}, true
	}
	for i, id := range rt.Resources {
		others := true
		for j, o := range rt.Resources {
			others = others && (j == i || !o.Required)
		}
		if !others {
			continue
		}
		if len(id.Kinds) == 0 {
			if strings.HasPrefix(resource, "arn:") {
				return map[string]any{id.Field: resource}, true
			}
			continue
		}
		for _, k := range id.Kinds {
			params, ok := bind(k.ARN, where, resource)
			if !ok || kindOf(id, params[id.Field]) != k.IDPrefix {
				continue
			}
			b := map[string]any{}
			for name, v := range params {
				b[name] = v
			}
			return b, true
		}
	}
	return nil, false
}

// kindOf is the IDPrefix of the kind ext_authz picks for value v.
func kindOf(id routes.Identifier, v string) string {
	for _, k := range id.Kinds {
		if k.IDPrefix != "" && strings.HasPrefix(v, k.IDPrefix) {
			return k.IDPrefix
		}
	}
	return ""
}

var variable = regexp.MustCompile(`\{([^}]+)\}`)

// bind matches arn against template (its ${...} parts filled from where)
// and returns the values of its {name} variables, checked by expanding
// the template with them again.
func bind(template string, where routes.Where, arn string) (map[string]string, bool) {
	filled := strings.NewReplacer("${Partition}", where.Partition, "${Region}", where.Region, "${Account}", where.Account).Replace(template)
	var pattern strings.Builder
	pattern.WriteString("^")
	last := 0
	var names []string
	for _, m := range variable.FindAllStringSubmatchIndex(filled, -1) {
		pattern.WriteString(regexp.QuoteMeta(filled[last:m[0]]))
		pattern.WriteString(`([^/]+)`)
		names = append(names, filled[m[2]:m[3]])
		last = m[1]
	}
	pattern.WriteString(regexp.QuoteMeta(filled[last:]) + "$")
	m := regexp.MustCompile(pattern.String()).FindStringSubmatch(arn)
	if m == nil {
		return nil, false
	}
	params := map[string]string{}
	for i, n := range names {
		params[n] = m[i+1]
	}
	again, err := routes.Expand(template, where, func(n string) (string, bool) { v, ok := params[n]; return v, ok })
	return params, err == nil && again == arn
}
