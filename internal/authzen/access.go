package authzen

import (
	"context"
	"math"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// An AccessService answers who can, what can and which resources:
// pdp.v1.AccessService, of which *server.Access is the implementation.
type AccessService interface {
	WhoCan(ctx context.Context, req *pdpv1.WhoCanRequest) (*pdpv1.WhoCanResponse, error)
	WhatCan(ctx context.Context, req *pdpv1.WhatCanRequest) (*pdpv1.WhatCanResponse, error)
	WhichResources(ctx context.Context, req *pdpv1.WhichResourcesRequest) (*pdpv1.WhichResourcesResponse, error)
}

// AccessSearcher answers the search APIs with an AccessService. A result
// is a principal, resource or action whose answer is ACCESS_ALLOWED: an
// answer that depends on condition keys the request leaves open
// (ACCESS_CONDITIONAL) is not a result, since AuthZEN has no way to say
// "allowed if". Pages are the service's: a page may hold fewer results
// than page.limit when some of its answers were conditional.
type AccessSearcher struct{ svc AccessService }

// NewAccessSearcher returns the searcher of svc.
func NewAccessSearcher(svc AccessService) *AccessSearcher { return &AccessSearcher{svc: svc} }

// pageSize is an AuthZEN page.limit as a page size (0: the service's
// default); larger values are capped, and the service refuses what it
// cannot serve.
func pageSize(limit int) int32 {
	return int32(min(limit, math.MaxInt32))
}

// WhoCan lists the principals allowed the query's action on its resource.
func (s *AccessSearcher) WhoCan(ctx context.Context, q SearchQuery) (SearchPage, error) {
	r := q.Request
	resp, err := s.svc.WhoCan(ctx, &pdpv1.WhoCanRequest{Action: r.GetAction(), Resource: r.GetResource(), Context: r.GetContext(),
		PageSize: pageSize(q.PageLimit), PageToken: q.PageToken, MinRevision: r.GetMinRevision()})
	if err != nil {
		return SearchPage{}, pageTokenError(err)
	}
	page := SearchPage{NextToken: resp.GetNextPageToken()}
	for _, p := range resp.GetPrincipals() {
		if p.GetAnswer().GetAccess() == pdpv1.Access_ACCESS_ALLOWED {
			page.Results = append(page.Results, p.GetPrincipal())
		}
	}
	return page, nil
}

// WhichResources lists the listed resources the query's principal is
// allowed its action on.
func (s *AccessSearcher) WhichResources(ctx context.Context, q SearchQuery) (SearchPage, error) {
	r := q.Request
	resp, err := s.svc.WhichResources(ctx, &pdpv1.WhichResourcesRequest{Principal: r.GetPrincipal(), Action: r.GetAction(),
		Context: r.GetContext(), PageSize: pageSize(q.PageLimit), PageToken: q.PageToken, MinRevision: r.GetMinRevision()})
	if err != nil {
		return SearchPage{}, pageTokenError(err)
	}
	page := SearchPage{NextToken: resp.GetNextPageToken()}
	for _, res := range resp.GetResources() {
		if res.GetAnswer().GetAccess() == pdpv1.Access_ACCESS_ALLOWED {
			page.Results = append(page.Results, res.GetResource())
		}
	}
	return page, nil
}

// WhatCan lists the actions the query's principal is allowed on its
// resource, all in one page (WhatCan does not page).
func (s *AccessSearcher) WhatCan(ctx context.Context, q SearchQuery) (SearchPage, error) {
	if q.PageToken != "" {
		return SearchPage{}, badRequest("page.token: an action search answers in one page and issues no page token: leave page.token out")
	}
	r := q.Request
	resp, err := s.svc.WhatCan(ctx, &pdpv1.WhatCanRequest{Principal: r.GetPrincipal(), Resource: r.GetResource(),
		Context: r.GetContext(), MinRevision: r.GetMinRevision()})
	if err != nil {
		return SearchPage{}, err
	}
	var page SearchPage
	for _, a := range resp.GetActions() {
		if a.GetAnswer().GetAccess() == pdpv1.Access_ACCESS_ALLOWED {
			page.Results = append(page.Results, a.GetAction())
		}
	}
	return page, nil
}

// pageTokenError names the search's page.token where the service refused
// its page_token, so that the 400 names the member the caller sent.
func pageTokenError(err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		return err
	}
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			if v.GetField() == "page_token" {
				return badRequest("page.token: %s", v.GetDescription())
			}
		}
	}
	return err
}
