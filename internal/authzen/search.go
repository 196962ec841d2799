package authzen

import (
	"context"
	"encoding/json"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// A SearchQuery is one page of a search: the access question with the
// searched member left empty (Principal for WhoCan, Resource for
// WhichResources, Action for WhatCan), and the page asked for.
type SearchQuery struct {
	Request   *pdpv1.CheckRequest
	PageToken string // "" for the first page
	PageLimit int    // 0: the searcher's default
}

// A SearchPage is one page of answers: the principal ARNs, resource ARNs
// or action names that are allowed without condition (an answer that
// depends on a condition is not a result), and the token of the next page,
// "" after the last.
type SearchPage struct {
	Results   []string
	NextToken string
}

// A Searcher answers the search APIs from pdp's access analysis.
type Searcher interface {
	WhoCan(ctx context.Context, q SearchQuery) (SearchPage, error)
	WhichResources(ctx context.Context, q SearchQuery) (SearchPage, error)
	WhatCan(ctx context.Context, q SearchQuery) (SearchPage, error)
}

// searchKind says which member a search looks for.
type searchKind int

const (
	searchSubject searchKind = iota
	searchResource
	searchAction
)

// searchRequest is the body of a search: an access question and a page.
type searchRequest struct {
	tuple
	Page *struct {
		Token string `json:"token"`
		Limit int    `json:"limit"`
	} `json:"page"`
}

// searchResult is one result: type before id, no empty properties; an
// action result has only its name.
type searchResult struct {
	Type string `json:"type,omitempty"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type searchResponse struct {
	Results []searchResult `json:"results"`
	Page    searchPageOut  `json:"page"`
}

type searchPageOut struct {
	NextToken string `json:"next_token"`
}

// search serves one of the search APIs.
func (h *Handler) search(kind searchKind) func(ctx context.Context, w http.ResponseWriter, body []byte) {
	return func(ctx context.Context, w http.ResponseWriter, body []byte) {
		var req searchRequest
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, decodeMessage(err))
			return
		}
		if err := req.checkSearch(kind); err != nil {
			h.writeStatus(w, err)
			return
		}
		if req.Subject.Type != SubjectType || req.Resource.Type != ResourceType {
			// No entity of another type exists here: nothing matches.
			writeJSON(w, http.StatusOK, searchResponse{Results: []searchResult{}})
			return
		}
		if kind == searchAction {
			req.Action = &action{}
		}
		creq, _, err := mapTuple(&req.tuple)
		if err != nil {
			h.writeStatus(w, err)
			return
		}
		q := SearchQuery{Request: creq}
		if req.Page != nil {
			if req.Page.Limit < 0 {
				writeError(w, http.StatusBadRequest, "page.limit must not be negative")
				return
			}
			q.PageToken, q.PageLimit = req.Page.Token, req.Page.Limit
		}
		var page SearchPage
		switch kind {
		case searchSubject:
			page, err = h.cfg.Searcher.WhoCan(ctx, q)
		case searchResource:
			page, err = h.cfg.Searcher.WhichResources(ctx, q)
		case searchAction:
			page, err = h.cfg.Searcher.WhatCan(ctx, q)
		default:
			err = status.Error(codes.Internal, "unknown search")
		}
		if err != nil {
			h.writeStatus(w, err)
			return
		}
		out := searchResponse{Results: make([]searchResult, 0, len(page.Results)), Page: searchPageOut{NextToken: page.NextToken}}
		for _, r := range page.Results {
			switch kind {
			case searchSubject:
				out.Results = append(out.Results, searchResult{Type: SubjectType, ID: r})
			case searchResource:
				out.Results = append(out.Results, searchResult{Type: ResourceType, ID: r})
			case searchAction:
				out.Results = append(out.Results, searchResult{Name: r})
			}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// searchNotServed answers the search APIs of a handler without a
// Searcher; it tells nothing of the model, so it needs no credentials.
func searchNotServed(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusNotImplemented,
		"the AuthZEN search APIs are not served by this PDP: it lacks pdp.v1.AccessService; use /access/v1/evaluation")
}

// checkSearch tells the first required member a search lacks: the
// searched entity needs only its type (an action search has no action).
func (t *searchRequest) checkSearch(kind searchKind) error {
	switch {
	case t.Subject == nil:
		return badRequest("missing required member: subject")
	case t.Subject.Type == "":
		return badRequest("missing required member: subject.type")
	case kind != searchSubject && t.Subject.ID == "":
		return badRequest("missing required member: subject.id")
	case kind != searchAction && t.Action == nil:
		return badRequest("missing required member: action")
	case kind != searchAction && t.Action.Name == "":
		return badRequest("missing required member: action.name")
	case t.Resource == nil:
		return badRequest("missing required member: resource")
	case t.Resource.Type == "":
		return badRequest("missing required member: resource.type")
	case kind != searchResource && t.Resource.ID == "":
		return badRequest("missing required member: resource.id")
	}
	return nil
}
