package authzen_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/authzen/authzentest"
)

// listSearcher answers every search from fixed lists, paging by offset,
// and remembers the last query.
type listSearcher struct {
	subjects, resources, actions []string
	last                         authzen.SearchQuery
}

func (s *listSearcher) page(q authzen.SearchQuery, all []string) (authzen.SearchPage, error) {
	s.last = q
	from := 0
	if q.PageToken != "" {
		from, _ = strconv.Atoi(q.PageToken)
	}
	limit := q.PageLimit
	if limit == 0 {
		limit = 100
	}
	to := min(from+limit, len(all))
	p := authzen.SearchPage{Results: all[from:to]}
	if to < len(all) {
		p.NextToken = strconv.Itoa(to)
	}
	return p, nil
}

func (s *listSearcher) WhoCan(_ context.Context, q authzen.SearchQuery) (authzen.SearchPage, error) {
	return s.page(q, s.subjects)
}

func (s *listSearcher) WhichResources(_ context.Context, q authzen.SearchQuery) (authzen.SearchPage, error) {
	return s.page(q, s.resources)
}

func (s *listSearcher) WhatCan(_ context.Context, q authzen.SearchQuery) (authzen.SearchPage, error) {
	return s.page(q, s.actions)
}

// TestSearch checks the search endpoints' requests, result shape and
// paging, and that the metadata lists them once a Searcher is set.
func TestSearch(t *testing.T) {
	srv, _, _ := newDecider(t)
	s := &listSearcher{
		subjects:  []string{authzentest.Alice, authzentest.Bob, "arn:aws:iam::111122223333:user/carol"},
		resources: []string{authzentest.SpringSale, authzentest.WinBack},
		actions:   []string{"mobiletargeting:GetCampaign", "mobiletargeting:UpdateCampaign"},
	}
	ts := serveHandler(t, authzen.New(authzen.Config{BaseURL: "https://pdp.test", Searcher: s}, srv, nil))
	target := authzentest.Target{BaseURL: ts.URL, Client: ts.Client()}
	authzentest.Run(t, target, authzentest.MetadataCases("https://pdp.test", true))

	post := func(t *testing.T, path, body string) (int, string) {
		status, _, out := authzentest.Do(t, target, authzentest.Case{Path: path, Body: body})
		return status, string(out)
	}
	const res = `"resource": {"type": "aws_resource", "id": "` + authzentest.SpringSale + `"}`
	const act = `"action": {"name": "mobiletargeting:UpdateCampaign"}`
	const alice = `"subject": {"type": "aws_principal", "id": "` + authzentest.Alice + `"}`

	t.Run("subjects across pages", func(t *testing.T) {
		var got []string
		token := ""
		for range 5 {
			status, body := post(t, authzen.PathSearchSubject, `{"subject": {"type": "aws_principal"}, `+act+`, `+res+
				`, "page": {"limit": 2, "token": "`+token+`"}}`)
			require.Equal(t, http.StatusOK, status, body)
			var out struct {
				Results []map[string]any `json:"results"`
				Page    struct {
					NextToken *string `json:"next_token"`
				} `json:"page"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &out))
			require.NotNil(t, out.Page.NextToken, "next_token is always present")
			for _, r := range out.Results {
				got = append(got, r["id"].(string))
			}
			if token = *out.Page.NextToken; token == "" {
				break
			}
		}
		assert.Equal(t, s.subjects, got)
		assert.Equal(t, "mobiletargeting:UpdateCampaign", s.last.Request.GetAction())
		assert.Equal(t, authzentest.SpringSale, s.last.Request.GetResource())
		assert.Empty(t, s.last.Request.GetPrincipal())
	})
	t.Run("result shape", func(t *testing.T) {
		status, body := post(t, authzen.PathSearchResource, `{`+alice+`, `+act+`, "resource": {"type": "aws_resource"}}`)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, `{"results":[{"type":"aws_resource","id":"`+authzentest.SpringSale+`"},{"type":"aws_resource","id":"`+
			authzentest.WinBack+`"}],"page":{"next_token":""}}`, body)
		status, body = post(t, authzen.PathSearchAction, `{`+alice+`, `+res+`}`)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, `{"results":[{"name":"mobiletargeting:GetCampaign"},{"name":"mobiletargeting:UpdateCampaign"}],"page":{"next_token":""}}`, body)
	})
	t.Run("unknown entity type matches nothing", func(t *testing.T) {
		status, body := post(t, authzen.PathSearchSubject, `{"subject": {"type": "spaceship"}, `+act+`, `+res+`}`)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, `{"results":[],"page":{"next_token":""}}`, body)
	})
	for _, c := range []struct{ name, path, body, want string }{
		{"subject search without subject type", authzen.PathSearchSubject, `{"subject": {}, ` + act + `, ` + res + `}`, "subject.type"},
		{"subject search without action", authzen.PathSearchSubject, `{"subject": {"type": "aws_principal"}, ` + res + `}`, "action"},
		{"resource search without subject id", authzen.PathSearchResource, `{"subject": {"type": "aws_principal"}, ` + act + `, "resource": {"type": "aws_resource"}}`, "subject.id"},
		{"resource search without resource type", authzen.PathSearchResource, `{` + alice + `, ` + act + `, "resource": {}}`, "resource.type"},
		{"action search without resource id", authzen.PathSearchAction, `{` + alice + `, "resource": {"type": "aws_resource"}}`, "resource.id"},
		{"negative page limit", authzen.PathSearchAction, `{` + alice + `, ` + res + `, "page": {"limit": -1}}`, "page.limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, c.path, c.body)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Contains(t, body, c.want)
		})
	}
}
