package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/policytest"
)

// testAsker answers the who_can and what_can expectations of pdp test
// through the AccessService: the one of a live server, or one in-process
// over the snapshot the cases are decided on. Every question lists denied
// answers too, so that an expected principal or action the model does not
// have is told apart from one that is denied.
type testAsker struct {
	cat         *catalog.Catalog
	access      accessClient
	minRevision int64
	timeout     time.Duration // of each call; 0 for none
}

// withTimeout bounds one call.
func (a *testAsker) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if a.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, a.timeout)
}

// whoCanPageSize is the largest page the server returns.
const whoCanPageSize = 10000

func (a *testAsker) WhoCan(ctx context.Context, q *policytest.WhoCan) (policytest.Answers, error) {
	req := &pdpv1.WhoCanRequest{Action: q.Action, Resource: q.Resource, Context: testContext(q.Context),
		IncludeDenied: true, PageSize: whoCanPageSize, MinRevision: a.minRevision}
	var out policytest.Answers
	for page := range maxAccessPages {
		resp, err := a.whoCanPage(ctx, req)
		if err != nil {
			return policytest.Answers{}, errors.New(callErrorText(err))
		}
		if page > 0 && resp.GetRevision() != out.Revision {
			return policytest.Answers{}, fmt.Errorf("the model changed from revision %d to %d between pages of the answer", out.Revision, resp.GetRevision())
		}
		out.Revision = resp.GetRevision()
		for _, p := range resp.GetPrincipals() {
			out.List = append(out.List, testAnswer(p.GetPrincipal(), p.GetAnswer()))
		}
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			return out, nil
		}
		req.MinRevision = out.Revision
	}
	return policytest.Answers{}, fmt.Errorf("the answer has more than %d pages", maxAccessPages)
}

func (a *testAsker) whoCanPage(ctx context.Context, req *pdpv1.WhoCanRequest) (*pdpv1.WhoCanResponse, error) {
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	return a.access.WhoCan(ctx, req)
}

func (a *testAsker) WhatCan(ctx context.Context, q *policytest.WhatCan) (policytest.Answers, error) {
	var unknown []string
	for _, n := range slices.Concat(q.Allowed, q.Conditional) {
		if _, ok := a.cat.Action(n); ok {
			continue
		}
		msg := fmt.Sprintf("unknown action %q", n)
		if sug, ok := a.cat.SuggestAction(n); ok {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		unknown = append(unknown, msg)
	}
	if len(unknown) > 0 {
		return policytest.Answers{}, errors.New(strings.Join(unknown, "; "))
	}
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	resp, err := a.access.WhatCan(ctx, &pdpv1.WhatCanRequest{Principal: q.Principal, Resource: q.On(),
		Context: testContext(q.Context), IncludeDenied: true, MinRevision: a.minRevision})
	if err != nil {
		return policytest.Answers{}, errors.New(callErrorText(err))
	}
	out := policytest.Answers{Revision: resp.GetRevision()}
	for _, aa := range resp.GetActions() {
		out.List = append(out.List, testAnswer(aa.GetAction(), aa.GetAnswer()))
	}
	return out, nil
}

// testAnswer turns one answer of the service into what the expectations
// compare: the verdict, the keys that decide a conditional answer, and the
// statements that decide an allowed or explicitly denied one.
func testAnswer(name string, a *pdpv1.AccessAnswer) policytest.Answer {
	out := policytest.Answer{Name: name, Verdict: accessName(a.GetAccess())}
	switch a.GetAccess() {
	case pdpv1.Access_ACCESS_CONDITIONAL:
		for _, c := range a.GetConditions() {
			if !slices.Contains(out.Keys, c.GetKey()) {
				out.Keys = append(out.Keys, c.GetKey())
			}
		}
	case pdpv1.Access_ACCESS_ALLOWED, pdpv1.Access_ACCESS_EXPLICIT_DENY:
		for _, s := range a.GetStatements() {
			if s.GetCertain() {
				out.Deciding = append(out.Deciding, policytest.StatementRef{Policy: s.GetPolicyId(), Index: int(s.GetIndex()), Sid: s.GetSid()})
			}
		}
	}
	return out
}

// testContext converts the context of a case or expectation.
func testContext(in map[string]policytest.ContextValue) map[string]*pdpv1.ContextValue {
	out := make(map[string]*pdpv1.ContextValue, len(in))
	for k, v := range in {
		if v.Multi {
			out[k] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: v.Values}}}
		} else {
			out[k] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v.Values[0]}}
		}
	}
	return out
}
