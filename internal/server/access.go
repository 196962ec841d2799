package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/changeset"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/access"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// Access implements pdp.v1.AccessService: questions about the whole model
// at the server's current snapshot (who can, what can, which resources)
// and the impact of a change set or between two revisions, which it reads
// from the store.
type Access struct {
	pdpv1.UnimplementedAccessServiceServer

	srv   *Server
	st    store.Store // nil: Impact is unavailable
	cache *entity.DocCache

	// The access model of the last snapshot asked about; compiling one
	// takes time, so it is kept until the snapshot changes.
	mu    sync.Mutex
	snap  *snapshot.Snapshot
	model *access.Model
}

// NewAccess returns the access service of srv; st, when not nil, serves
// Impact.
func NewAccess(srv *Server, st store.Store) *Access {
	return &Access{srv: srv, st: st, cache: entity.NewDocCache()}
}

// Register adds the service to gs.
func (a *Access) Register(gs *grpc.Server) { pdpv1.RegisterAccessServiceServer(gs, a) }

// Limits of the list answers.
const (
	defaultAccessPage = 1000
	maxAccessPage     = 10000
)

// modelFor returns the access model of the snapshot a request may be
// answered on.
func (a *Access) modelFor(ctx context.Context, minRev int64) (*access.Model, error) {
	snap, err := a.srv.snapshotFor(ctx, minRev)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.snap == snap {
		return a.model, nil
	}
	if snap.Resolved() == nil {
		return nil, errNoSnapshot
	}
	m, err := access.NewModel(a.srv.cat, snap.Resolved(), snap.Revision())
	if err != nil {
		return nil, fmt.Errorf("compile access model at revision %d: %w", snap.Revision(), err)
	}
	a.snap, a.model = snap, m
	return m, nil
}

// accessContext converts a request's context; a value with no kind fixes
// the key as absent.
func accessContext(in map[string]*pdpv1.ContextValue) access.Context {
	if len(in) == 0 {
		return nil
	}
	out := make(access.Context, len(in))
	for k, v := range in {
		switch kind := v.GetKind().(type) {
		case *pdpv1.ContextValue_StringValue:
			out[k] = access.Value{Values: []string{kind.StringValue}}
		case *pdpv1.ContextValue_ListValue:
			out[k] = access.Value{Values: kind.ListValue.GetValues(), Multi: true}
		default:
			out[k] = access.Value{}
		}
	}
	return out
}

func toContextValues(c access.Context) map[string]*pdpv1.ContextValue {
	if c == nil {
		return nil
	}
	out := make(map[string]*pdpv1.ContextValue, len(c))
	for k, v := range c {
		switch {
		case v.Multi:
			out[k] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: v.Values}}}
		case len(v.Values) > 0:
			out[k] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v.Values[0]}}
		default:
			out[k] = &pdpv1.ContextValue{}
		}
	}
	return out
}

// pageSize checks a requested page size.
func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, rpcerr.BadField("page_size", "negative page size %d", n)
	case n == 0:
		return defaultAccessPage, nil
	case n > maxAccessPage:
		return 0, rpcerr.BadField("page_size", "page size %d is over the limit of %d", n, maxAccessPage)
	}
	return int(n), nil
}

// inputError turns the analysis's complaints into request errors.
func inputError(err error) error {
	var ie *access.InputError
	if errors.As(err, &ie) {
		return rpcerr.BadField(ie.Field, "%s", ie.Msg)
	}
	return err
}

// WhoCan lists who may perform an action on a resource.
func (a *Access) WhoCan(ctx context.Context, req *pdpv1.WhoCanRequest) (*pdpv1.WhoCanResponse, error) {
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, a.srv.toStatus(ctx, err)
	}
	m, err := a.modelFor(ctx, req.GetMinRevision())
	if err != nil {
		return nil, a.srv.toStatus(ctx, err)
	}
	list, next, err := m.WhoCan(req.GetAction(), req.GetResource(), access.Options{Context: accessContext(req.GetContext()),
		IncludeDenied: req.GetIncludeDenied(), Page: access.Page{After: req.GetPageToken(), Size: size}})
	if err != nil {
		return nil, a.srv.toStatus(ctx, inputError(err))
	}
	out := &pdpv1.WhoCanResponse{Revision: m.Revision(), NextPageToken: next}
	for _, pa := range list {
		out.Principals = append(out.Principals, &pdpv1.PrincipalAccess{Principal: pa.Principal.ARN, Kind: pa.Principal.Kind,
			Answer: toAccessAnswer(pa.Answer)})
	}
	return out, nil
}

// WhatCan lists what a principal may do on one resource, or where its
// identity policies allow each action.
func (a *Access) WhatCan(ctx context.Context, req *pdpv1.WhatCanRequest) (*pdpv1.WhatCanResponse, error) {
	m, err := a.modelFor(ctx, req.GetMinRevision())
	if err != nil {
		return nil, a.srv.toStatus(ctx, err)
	}
	out := &pdpv1.WhatCanResponse{Revision: m.Revision()}
	if req.GetResource() == "" {
		scopes, err := m.Scopes(req.GetPrincipal())
		if err != nil {
			return nil, a.srv.toStatus(ctx, inputError(err))
		}
		out.Scopes = toTypeScopes(scopes)
		return out, nil
	}
	list, err := m.WhatCan(req.GetPrincipal(), req.GetResource(), access.Options{Context: accessContext(req.GetContext()),
		IncludeDenied: req.GetIncludeDenied()})
	if err != nil {
		return nil, a.srv.toStatus(ctx, inputError(err))
	}
	for _, aa := range list {
		out.Actions = append(out.Actions, &pdpv1.ActionAccess{Action: aa.Action, Answer: toAccessAnswer(aa.Answer)})
	}
	return out, nil
}

// WhichResources lists the resources a principal may perform an action on.
func (a *Access) WhichResources(ctx context.Context, req *pdpv1.WhichResourcesRequest) (*pdpv1.WhichResourcesResponse, error) {
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, a.srv.toStatus(ctx, err)
	}
	m, err := a.modelFor(ctx, req.GetMinRevision())
	if err != nil {
		return nil, a.srv.toStatus(ctx, err)
	}
	res, err := m.WhichResources(req.GetPrincipal(), req.GetAction(), access.Options{Context: accessContext(req.GetContext()),
		IncludeDenied: req.GetIncludeDenied(), Page: access.Page{After: req.GetPageToken(), Size: size}})
	if err != nil {
		return nil, a.srv.toStatus(ctx, inputError(err))
	}
	out := &pdpv1.WhichResourcesResponse{Revision: m.Revision(), NextPageToken: res.Next, Unlisted: toTypeScopes(res.Unlisted),
		EmptyTypes: res.EmptyTypes}
	for _, ra := range res.Listed {
		out.Resources = append(out.Resources, &pdpv1.ResourceAccess{Resource: ra.Resource, Answer: toAccessAnswer(ra.Answer)})
	}
	return out, nil
}

// Impact compares the answers of two models.
func (a *Access) Impact(ctx context.Context, req *pdpv1.ImpactRequest) (*pdpv1.ImpactResponse, error) {
	if a.st == nil {
		return nil, a.srv.toStatus(ctx, errors.New("impact: no store"))
	}
	maxChanges, err := changeset.Limit("max_changes", req.GetMaxChanges())
	if err != nil {
		return nil, a.srv.toStatus(ctx, err)
	}
	var changes []store.Change
	if len(req.GetChanges()) > 0 {
		if changes, err = changeset.FromProto(req.GetChanges()); err != nil {
			return nil, a.srv.toStatus(ctx, err)
		}
		if req.GetToRevision() != 0 {
			return nil, a.srv.toStatus(ctx, rpcerr.BadField("to_revision", "give changes or to_revision, not both"))
		}
	}
	fromM, fromRev, err := a.readModel(ctx, req.GetFromRevision(), "from_revision")
	if err != nil {
		return nil, a.srv.toStatus(ctx, err)
	}
	var im *access.Impact
	if changes != nil {
		im, err = changeset.Impact(a.srv.cat, a.cache, fromM, fromRev, changes)
	} else {
		im, err = a.revisionImpact(ctx, fromM, fromRev, req.GetToRevision())
	}
	if err != nil {
		return nil, a.srv.toStatus(ctx, err)
	}
	return changeset.Response(im, maxChanges), nil
}

// readModel reads the model at a revision (0: the current one).
func (a *Access) readModel(ctx context.Context, rev int64, field string) (snapshot.Model, int64, error) {
	if rev < 0 {
		return nil, 0, rpcerr.BadField(field, "negative revision %d", rev)
	}
	values, rev, err := a.st.Snapshot(ctx, rev)
	if err != nil {
		return nil, 0, err
	}
	m := make(snapshot.Model, len(values))
	for _, v := range values {
		m[v.Key] = v.Value
	}
	return m, rev, nil
}

// revisionImpact compares the model fromM at fromRev with the model at
// toRev (0: the current one).
func (a *Access) revisionImpact(ctx context.Context, fromM snapshot.Model, fromRev, toRev int64) (*access.Impact, error) {
	toM, toRev, err := a.readModel(ctx, toRev, "to_revision")
	if err != nil {
		return nil, err
	}
	from, err := changeset.CompileAccess(a.srv.cat, a.cache, fromM, fromRev, "from_revision")
	if err != nil {
		return nil, err
	}
	to, err := changeset.CompileAccess(a.srv.cat, a.cache, toM, toRev, "to_revision")
	if err != nil {
		return nil, err
	}
	return access.Compare(from, to)
}

func toTerms(ts []engine.ConditionTerm) []*pdpv1.ConditionTerm {
	out := make([]*pdpv1.ConditionTerm, len(ts))
	for i, t := range ts {
		out[i] = &pdpv1.ConditionTerm{Operator: t.Operator, Key: t.Key, Values: t.Values}
	}
	return out
}

func toAccessAnswer(a access.Answer) *pdpv1.AccessAnswer {
	out := &pdpv1.AccessAnswer{Access: changeset.AccessProto(a.Verdict), Conditions: toTerms(a.Conditions),
		AllowedWhen: toContextValues(a.AllowedWhen), DeniedWhen: toContextValues(a.DeniedWhen)}
	for _, s := range a.Statements {
		out.Statements = append(out.Statements, &pdpv1.DecidingStatement{PolicyType: strings.ToLower(s.Type.String()),
			Level: int32(s.Level), PolicyId: s.PolicyID, Sid: s.Sid, Index: int32(s.Index), Effect: s.Effect.String(),
			Certain: s.Outcome == engine.True, OpenConditions: toTerms(s.Open)})
	}
	return out
}

func toTypeScopes(list []access.TypeScope) []*pdpv1.TypeScope {
	out := make([]*pdpv1.TypeScope, len(list))
	for i, ts := range list {
		out[i] = &pdpv1.TypeScope{Action: ts.Action, ResourceType: ts.ResourceType, ArnFormat: ts.ARNFormat,
			Allow: toScopes(ts.Allow), Deny: toScopes(ts.Deny), Listed: int32(ts.Listed)}
	}
	return out
}

func toScopes(list []access.Scope) []*pdpv1.ResourceScope {
	out := make([]*pdpv1.ResourceScope, len(list))
	for i, s := range list {
		out[i] = &pdpv1.ResourceScope{Pattern: s.Pattern, NotResource: s.NotResource, Effect: s.Effect.String(),
			PolicyId: s.PolicyID, Sid: s.Sid, Index: int32(s.Index), Conditions: toTerms(s.Conditions)}
	}
	return out
}
