package authzen_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/authzen/authzentest"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestAccessSearch runs the search cases against the access analysis of
// examples/model: only unconditional answers are results, pages follow the
// service's.
func TestAccessSearch(t *testing.T) {
	srv, _, _ := newDecider(t)
	h := authzen.New(authzen.Config{BaseURL: "https://pdp.test", Searcher: authzen.NewAccessSearcher(server.NewAccess(srv, nil))}, srv, nil)
	ts := serveHandler(t, h)
	target := authzentest.Target{BaseURL: ts.URL, Client: ts.Client()}
	authzentest.Run(t, target, authzentest.MetadataCases("https://pdp.test", true))
	authzentest.Run(t, target, authzentest.SearchCases())
	authzentest.SearchPages(t, target)
}

// TestAccessSearchRefusesBadPageTokens: a page.token is the next_token its
// search issued (for subjects the ARN of the last principal, as the
// README shows; for resources the ARN of the last resource; an action
// search issues none); anything else is 400 naming page.token.
func TestAccessSearchRefusesBadPageTokens(t *testing.T) {
	t.Parallel()
	srv, _, _ := newDecider(t)
	h := authzen.New(authzen.Config{BaseURL: "https://pdp.test", Searcher: authzen.NewAccessSearcher(server.NewAccess(srv, nil))}, srv, nil)
	ts := serveHandler(t, h)
	target := authzentest.Target{BaseURL: ts.URL, Client: ts.Client()}
	const (
		subjects  = `{"subject": {"type": "aws_principal"}, "action": {"name": "mobiletargeting:GetCampaign"}, "resource": {"type": "aws_resource", "id": "` + authzentest.SpringSale + `"}, "page": {"limit": 2, "token": %s}}`
		resources = `{"subject": {"type": "aws_principal", "id": "` + authzentest.Alice + `"}, "action": {"name": "mobiletargeting:GetCampaign"}, "resource": {"type": "aws_resource"}, "page": {"limit": 2, "token": %s}}`
		actions   = `{"subject": {"type": "aws_principal", "id": "` + authzentest.Alice + `"}, "resource": {"type": "aws_resource", "id": "` + authzentest.SpringSale + `"}, "page": {"token": %s}}`
	)
	tests := []struct {
		name       string
		path, body string
		token      string // a JSON string
		wantStatus int
	}{
		{name: "subjects: garbage", path: authzen.PathSearchSubject, body: subjects, token: `"zzz"`, wantStatus: http.StatusBadRequest},
		{name: "subjects: huge", path: authzen.PathSearchSubject, body: subjects, token: `"` + strings.Repeat("z", 5000) + `"`, wantStatus: http.StatusBadRequest},
		{name: "subjects: control characters", path: authzen.PathSearchSubject, body: subjects, token: `"\u0001\n"`, wantStatus: http.StatusBadRequest},
		{name: "subjects: resource ARN", path: authzen.PathSearchSubject, body: subjects, token: `"` + authzentest.SpringSale + `"`, wantStatus: http.StatusBadRequest},
		{name: "subjects: principal ARN", path: authzen.PathSearchSubject, body: subjects, token: `"` + authzentest.Alice + `"`, wantStatus: http.StatusOK},
		{name: "subjects: no token", path: authzen.PathSearchSubject, body: subjects, token: `""`, wantStatus: http.StatusOK},
		{name: "resources: garbage", path: authzen.PathSearchResource, body: resources, token: `"zzz"`, wantStatus: http.StatusBadRequest},
		{name: "resources: resource ARN", path: authzen.PathSearchResource, body: resources, token: `"` + authzentest.SpringSale + `"`, wantStatus: http.StatusOK},
		{name: "actions: any token", path: authzen.PathSearchAction, body: actions, token: `"mobiletargeting:GetApps"`, wantStatus: http.StatusBadRequest},
		{name: "actions: no token", path: authzen.PathSearchAction, body: actions, token: `""`, wantStatus: http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, _, body := authzentest.Do(t, target, authzentest.Case{Path: tc.path, Body: fmt.Sprintf(tc.body, tc.token)})
			assert.Equal(t, tc.wantStatus, status, "%s", body)
			if tc.wantStatus == http.StatusBadRequest {
				assert.Contains(t, string(body), `"message":"page.token: `, "names page.token")
			}
		})
	}
}
