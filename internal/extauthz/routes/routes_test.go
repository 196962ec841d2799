package routes_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/extauthz/routes"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

// operations reads the operation names of a committed model.
func operations(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("model", file))
	require.NoError(t, err)
	var m struct {
		Operations map[string]json.RawMessage `json:"operations"`
	}
	require.NoError(t, json.Unmarshal(data, &m))
	var names []string
	for n := range m.Operations {
		names = append(names, n)
	}
	return names
}

// TestEveryOperationRouted checks the tables against the models: every
// operation has exactly one route.
func TestEveryOperationRouted(t *testing.T) {
	rest := map[string]int{}
	for _, r := range routes.REST() {
		rest[r.Operation]++
	}
	for _, op := range operations(t, "pinpoint-2016-12-01.min.json") {
		assert.Equal(t, 1, rest[op], "Pinpoint operation %s", op)
	}
	js := map[string]int{}
	for _, r := range routes.JSON() {
		js[r.Operation]++
	}
	for _, op := range operations(t, "pinpoint-sms-voice-v2-2022-03-31.min.json") {
		assert.Equal(t, 1, js[op], "SMS and voice v2 operation %s", op)
	}
}

// TestRoutesAgreeWithCatalog checks that every route's action is in the
// catalog, and that every action of the two services is either routed or
// listed as unrouted, for a reason that holds.
func TestRoutesAgreeWithCatalog(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	routed := map[string]bool{}
	for _, r := range routes.REST() {
		a, ok := cat.Action(r.Action)
		if assert.True(t, ok, "route %s: action %s not in the catalog", r.Operation, r.Action) {
			assert.Equal(t, r.Action, a.FullName, "route %s: the catalog spells the action differently", r.Operation)
		}
		routed[r.Action] = true
		if r.ResourceType != "" {
			svc, _ := cat.Service("mobiletargeting")
			rt, ok := svc.ResourceType(r.ResourceType)
			require.True(t, ok, r.ResourceType)
			arn := strings.NewReplacer("${Partition}", "aws", "${Region}", "us-east-1", "${Account}", "111122223333").Replace(r.Resource)
			arn = strings.NewReplacer("{", "", "}", "").Replace(arn)
			assert.True(t, rt.Matches(arn), "route %s: %s is not a %s ARN", r.Operation, arn, rt.Name)
		}
	}
	for _, r := range routes.JSON() {
		_, ok := cat.Action(r.Action)
		assert.True(t, ok, "route %s: action %s not in the catalog", r.Operation, r.Action)
		routed[r.Action] = true
	}
	unrouted := map[string]bool{}
	for _, u := range routes.NotRouted() {
		assert.False(t, routed[u.Action], "%s is routed and listed as unrouted", u.Action)
		unrouted[u.Action] = true
	}
	for _, prefix := range []string{"mobiletargeting", "sms-voice"} {
		svc, ok := cat.Service(prefix)
		require.True(t, ok)
		for _, a := range svc.Actions {
			assert.True(t, routed[a.FullName] || unrouted[a.FullName], "action %s neither routed nor listed as unrouted", a.FullName)
		}
	}
}

func TestMatchREST(t *testing.T) {
	tbl := routes.New()
	tests := []struct {
		name, method, path string
		wantOp             string
		wantParams         map[string]string
	}{
		{name: "segment", method: "GET", path: "/v1/apps/a1/segments/s1", wantOp: "GetSegment",
			wantParams: map[string]string{"application-id": "a1", "segment-id": "s1"}},
		{name: "literal beats parameter", method: "GET", path: "/v1/templates/t1/email", wantOp: "GetEmailTemplate",
			wantParams: map[string]string{"template-name": "t1"}},
		{name: "encoded ARN", method: "POST", path: "/v1/tags/arn%3Aaws%3Amobiletargeting%3Aus-east-1%3A111122223333%3Aapps%2Fa1",
			wantOp: "TagResource", wantParams: map[string]string{"resource-arn": "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1"}},
		{name: "wrong method", method: "PATCH", path: "/v1/apps/a1"},
		{name: "unknown path", method: "GET", path: "/v2/apps/a1"},
		{name: "empty parameter", method: "GET", path: "/v1/apps//segments/s1"},
		{name: "bad escape", method: "GET", path: "/v1/apps/%zz"},
		{name: "relative", method: "GET", path: "v1/apps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, ok := tbl.MatchREST(tc.method, tc.path)
			if tc.wantOp == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.wantOp, m.Route.Operation)
			for k, v := range tc.wantParams {
				got, ok := m.Param(k)
				assert.True(t, ok, k)
				assert.Equal(t, v, got, k)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	w := routes.Where{Partition: "aws", Region: "eu-west-1", Account: "111122223333"}
	params := func(m map[string]string) routes.Params {
		return func(n string) (string, bool) { v, ok := m[n]; return v, ok }
	}
	tests := []struct {
		name, template string
		params         map[string]string
		where          routes.Where
		want, wantErr  string
	}{
		{name: "bound", template: "arn:${Partition}:mobiletargeting:${Region}:${Account}:apps/{application-id}",
			params: map[string]string{"application-id": "a1"}, where: w, want: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/a1"},
		{name: "missing parameter", template: "arn:${Partition}:x:${Region}:${Account}:pool/{PoolId}", where: w, wantErr: "missing PoolId"},
		{name: "no region", template: "arn:${Partition}:x:${Region}:${Account}:apps", where: routes.Where{Partition: "aws", Account: "1"},
			wantErr: "no region for the resource ARN"},
		{name: "unknown variable", template: "arn:${Nope}", where: w, wantErr: "unbound variable ${Nope}"},
		{name: "slash in an ID", template: "arn:${Partition}:x:${Region}:${Account}:apps/{application-id}",
			params: map[string]string{"application-id": "a/segments/s"}, where: w, wantErr: `malformed ID: application-id "a/segments/s"`},
		{name: "dot-dot ID", template: "arn:${Partition}:x:${Region}:${Account}:apps/{application-id}",
			params: map[string]string{"application-id": ".."}, where: w, wantErr: `malformed ID: application-id ".."`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := routes.Expand(tc.template, tc.where, params(tc.params))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
