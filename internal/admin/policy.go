package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/changeset"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// PolicyAdmin implements pdp.v1.PolicyService over a store. Every write is
// validated against the whole policy model it would produce: a change set
// with any error is refused whole, with every finding in the details.
type PolicyAdmin struct {
	pdpv1.UnimplementedPolicyServiceServer

	cfg Config
	st  store.Store
	cat *catalog.Catalog
	log *slog.Logger

	// The model writes are validated against, and the parses of its
	// documents, kept from one write to the next.
	wm    *writeModel
	cache *entity.DocCache
}

// DefaultMaxChangesPerCall is the most changes one ApplyChanges call may
// carry unless configured.
const DefaultMaxChangesPerCall = 1000

// Config tunes a PolicyAdmin. Zero values take the defaults.
type Config struct {
	// MaxChangesPerCall is the most changes one ApplyChanges call may
	// carry; past it the call is rejected INVALID_ARGUMENT.
	MaxChangesPerCall int
}

// NewPolicyAdmin returns the policy service over st. log receives what
// the service reports; nil discards it.
func NewPolicyAdmin(cfg Config, cat *catalog.Catalog, st store.Store, log *slog.Logger) *PolicyAdmin {
	if cfg.MaxChangesPerCall <= 0 {
		cfg.MaxChangesPerCall = DefaultMaxChangesPerCall
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &PolicyAdmin{cfg: cfg, st: st, cat: cat, log: log.With("component", "policy"),
		wm: newWriteModel(), cache: entity.NewDocCache()}
}

// authorMetadata is the request metadata key by which a caller that is
// not authenticated names itself.
const authorMetadata = "x-pdp-author"

// author names who makes a change, for the revision's history: the
// authenticated caller's principal ARN, which the caller cannot choose;
// else "anonymous", with the name the x-pdp-author metadata claims and the
// peer's address, e.g. `anonymous as "ann" (peer 10.0.0.7:51234)`.
func author(ctx context.Context) string {
	if p, ok := auth.Caller(ctx); ok {
		return p
	}
	a := "anonymous"
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(authorMetadata); len(v) > 0 && v[0] != "" {
			a += " as " + rpcerr.Quote(v[0])
		}
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		a += " (peer " + p.Addr.String() + ")"
	}
	return a
}

// maxApplyRetries bounds how often a write without expect_revision is
// revalidated when another writer got in between.
const maxApplyRetries = 3

// ApplyChanges validates and applies a change set.
func (a *PolicyAdmin) ApplyChanges(ctx context.Context, req *pdpv1.ApplyChangesRequest) (*pdpv1.ApplyChangesResponse, error) {
	if re := rpcerr.NegativeRevisions(req); re != nil {
		return nil, a.toStatus(ctx, re)
	}
	if n, most := len(req.GetChanges()), a.cfg.MaxChangesPerCall; n > most {
		return nil, a.toStatus(ctx, rpcerr.BadField("changes", "%d changes exceed the limit of %d in one call", n, most))
	}
	changes, err := changeset.FromProto(req.GetChanges())
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	maxImpact, err := changeset.Limit("max_impact_changes", req.GetMaxImpactChanges())
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	// A dry run keeps the model it validates against, to compute the
	// impact on exactly that model once the writer's lock is released.
	var base snapshot.Model
	plan := func(m snapshot.Model) ([]store.Change, error) {
		if req.GetDryRun() {
			base = maps.Clone(m)
		}
		return changes, nil
	}
	rev, warnings, err := a.write(ctx, plan, req.GetExpectRevision(), req.GetDryRun(), req.GetMessage())
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	out := &pdpv1.ApplyChangesResponse{Revision: rev, Warnings: warnings}
	if req.GetDryRun() {
		im, err := changeset.Impact(a.cat, a.cache, base, rev, changes)
		if err != nil {
			return nil, a.toStatus(ctx, err)
		}
		out.Impact = changeset.Response(im, maxImpact)
	}
	return out, nil
}

// write brings the writer's model up to the current revision, asks plan
// for the changes to make to it (plan must not modify the model it is
// given), validates the result and applies it with compare-and-swap.
// Without an expected revision, a conflict with another writer is retried
// on the new model.
func (a *PolicyAdmin) write(ctx context.Context, plan func(snapshot.Model) ([]store.Change, error), expect int64, dryRun bool,
	message string) (int64, []*pdpv1.Finding, error) {
	if err := a.wm.mu.lock(ctx); err != nil {
		return 0, nil, err
	}
	defer a.wm.mu.unlock()
	for attempt := 0; ; attempt++ {
		if err := a.wm.sync(ctx, a.st); err != nil {
			return 0, nil, err
		}
		rev := a.wm.rev
		if expect != 0 && expect != rev {
			return 0, nil, fmt.Errorf("expected revision %d, store is at %d: %w", expect, rev, store.ErrConflict)
		}
		changes, err := plan(a.wm.m)
		if err != nil {
			return 0, nil, err
		}
		warnings, err := a.validate(changes)
		if err != nil || dryRun {
			return rev, warnings, err
		}
		if len(changes) == 0 {
			return rev, warnings, nil
		}
		who := author(ctx)
		newRev, err := a.st.Apply(ctx, store.ChangeSet{Changes: changes, ExpectRevision: rev,
			Author: who, Message: message})
		switch {
		case err == nil:
			a.wm.applied(changes, newRev)
			a.log.InfoContext(ctx, "policy change applied", "revision", newRev, "changes", len(changes), "author", who)
			return newRev, warnings, nil
		case errors.Is(err, store.ErrConflict) && expect == 0 && attempt < maxApplyRetries:
			continue
		default:
			return 0, nil, err
		}
	}
}

// readModel reads the whole model at a revision.
func (a *PolicyAdmin) readModel(ctx context.Context, rev int64) (snapshot.Model, int64, error) {
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

// validate checks the model the writer's model becomes with changes:
// every document parses and validates, every reference resolves. Only the
// part of it the changes can touch is checked (see validationScope); the
// rest was valid before. Every finding is reported: a document that cannot
// be decoded stands in the model as its previous version, or as a
// placeholder of its key, so that the rest is still checked without
// findings that only follow from it.
func (a *PolicyAdmin) validate(changes []store.Change) ([]*pdpv1.Finding, error) {
	current := a.wm.m
	changed := make(snapshot.Model, len(changes))
	var re rpcerr.RequestError
	re.Reason = "INVALID_MODEL"
	for i, c := range changes {
		if c.Op == store.OpDelete {
			if _, ok := current[c.Key]; !ok {
				re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: fmt.Sprintf("changes[%d]", i), Description: fmt.Sprintf("delete %s: no such entity", rpcerr.Quote(c.Key.String()))})
			}
			changed[c.Key] = nil
			continue
		}
		changed[c.Key] = c.Value
		if err := snapshot.DecodeEntity(&entity.Set{}, c.Key, c.Value); err != nil {
			re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: fmt.Sprintf("changes[%d].document", i), Description: err.Error()})
			changed[c.Key] = standIn(current, c.Key) // nil, as if deleted, when there is none
		}
	}
	next := func(k store.Key) ([]byte, bool) {
		if v, ok := changed[k]; ok {
			return v, v != nil
		}
		v, ok := current[k]
		return v, ok
	}
	set, err := a.wm.set(a.wm.validationScope(changes, next))
	if err != nil {
		return nil, rpcerr.BadField("changes", "%v", err)
	}
	res, err := set.ResolveCached(a.cat, a.cache)
	if err != nil {
		var probs entity.Problems
		if !errors.As(err, &probs) {
			return nil, err
		}
		for _, p := range probs {
			desc := p.Error()
			if p.Err != nil {
				desc = p.Err.Error()
			}
			re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: problemField(p), Description: desc})
		}
	}
	if len(re.Violations) > 0 {
		return nil, &re
	}
	var warnings []*pdpv1.Finding
	for _, w := range res.Warnings() {
		warnings = append(warnings, toFinding(w))
	}
	return warnings, nil
}

// standIn is what takes the place of an entity whose new document cannot
// be decoded while the rest of a change set is checked: its current
// document, or the least document of its key (nil if there is none).
func standIn(current snapshot.Model, k store.Key) []byte {
	if old, ok := current[k]; ok {
		return old
	}
	const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	var doc any
	switch k.Kind {
	case store.KindAccount:
		doc = entity.Account{ID: k.ID}
	case store.KindSCP:
		doc = entity.SCP{Name: k.ID, Document: json.RawMessage(allowAll)}
	case store.KindManagedPolicy:
		doc = entity.ManagedPolicy{Name: k.ID, Document: json.RawMessage(allowAll)}
	case store.KindGroup:
		account, name, _ := strings.Cut(k.ID, "/")
		doc = entity.Group{Account: account, Name: name}
	case store.KindUser:
		doc = entity.User{ARN: k.ID}
	case store.KindRole:
		doc = entity.Role{ARN: k.ID}
	case store.KindResource:
		doc = entity.Resource{ARN: k.ID}
	}
	b, err := json.Marshal(doc)
	if err != nil || snapshot.DecodeEntity(&entity.Set{}, k, b) != nil {
		return nil
	}
	return b
}

func problemField(p *entity.Problem) string {
	switch {
	case p.Entity != "" && p.Field != "":
		return p.Entity + "." + p.Field
	case p.Entity != "":
		return p.Entity
	}
	return p.Field
}

func toFinding(p *entity.Problem) *pdpv1.Finding {
	sev := "error"
	if p.Severity == engine.SeverityWarning {
		sev = "warning"
	}
	msg := ""
	if p.Err != nil {
		msg = p.Err.Error()
	}
	return &pdpv1.Finding{Severity: sev, Entity: p.Entity, Field: p.Field, Message: msg}
}

// GetEntity reads one entity.
func (a *PolicyAdmin) GetEntity(ctx context.Context, req *pdpv1.GetEntityRequest) (*pdpv1.GetEntityResponse, error) {
	if re := rpcerr.NegativeRevisions(req); re != nil {
		return nil, a.toStatus(ctx, re)
	}
	key, err := changeset.StoreKey(req.GetKey(), "key")
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	// Resolve the current revision first and read at it, so that a write
	// in between cannot make the reply name a revision it was not read at.
	rev := req.GetRevision()
	if rev == 0 {
		if rev, err = a.st.Revision(ctx); err != nil {
			return nil, a.toStatus(ctx, err)
		}
	}
	v, err := a.st.Get(ctx, key, rev)
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	return &pdpv1.GetEntityResponse{Entity: toEntity(v), Revision: rev}, nil
}

// ListEntities reads one kind, a page at a time, all pages at one revision.
func (a *PolicyAdmin) ListEntities(ctx context.Context, req *pdpv1.ListEntitiesRequest) (*pdpv1.ListEntitiesResponse, error) {
	if re := rpcerr.NegativeRevisions(req); re != nil {
		return nil, a.toStatus(ctx, re)
	}
	kind, ok := changeset.StoreKind(req.GetKind())
	if !ok {
		return nil, a.toStatus(ctx, rpcerr.BadField("kind", "unknown entity kind %v", req.GetKind()))
	}
	size := int(req.GetPageSize())
	switch {
	case size < 0 || size > 1000:
		return nil, a.toStatus(ctx, rpcerr.BadField("page_size", "page size %d is outside 0..1000", size))
	case size == 0:
		size = 100
	}
	tok := pageToken{Revision: req.GetRevision(), Kind: kind}
	if t := req.GetPageToken(); t != "" {
		var re *rpcerr.RequestError
		if tok, re = parsePageToken(t, kind, req.GetRevision()); re != nil {
			return nil, a.toStatus(ctx, re)
		}
	}
	values, rev, err := a.st.List(ctx, kind, tok.Revision, store.Page{Size: size + 1, After: tok.After})
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	out := &pdpv1.ListEntitiesResponse{Revision: rev}
	if len(values) > size {
		values = values[:size]
		out.NextPageToken = pageToken{Revision: rev, Kind: kind, After: values[size-1].Key.ID}.encode()
	}
	for _, v := range values {
		out.Entities = append(out.Entities, toEntity(v))
	}
	return out, nil
}

// GetHistory lists the revisions of one entity, or of a range.
func (a *PolicyAdmin) GetHistory(ctx context.Context, req *pdpv1.GetHistoryRequest) (*pdpv1.GetHistoryResponse, error) {
	if re := rpcerr.NegativeRevisions(req); re != nil {
		return nil, a.toStatus(ctx, re)
	}
	var (
		infos []store.RevisionInfo
		err   error
	)
	if req.GetKey() != nil {
		key, kerr := changeset.StoreKey(req.GetKey(), "key")
		if kerr != nil {
			return nil, a.toStatus(ctx, kerr)
		}
		infos, err = a.st.History(ctx, key)
	} else {
		infos, err = a.st.Revisions(ctx, req.GetFromRevision(), req.GetToRevision())
	}
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	out := &pdpv1.GetHistoryResponse{}
	for _, in := range infos {
		out.Revisions = append(out.Revisions, toRevisionInfo(in))
	}
	return out, nil
}

// Diff lists the changes between two revisions.
func (a *PolicyAdmin) Diff(ctx context.Context, req *pdpv1.DiffRequest) (*pdpv1.DiffResponse, error) {
	if re := rpcerr.NegativeRevisions(req); re != nil {
		return nil, a.toStatus(ctx, re)
	}
	to := req.GetToRevision()
	if to == 0 {
		var err error
		if to, err = a.st.Revision(ctx); err != nil {
			return nil, a.toStatus(ctx, err)
		}
	}
	changes, err := store.Diff(ctx, a.st, req.GetFromRevision(), to)
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	return &pdpv1.DiffResponse{Changes: changeset.ToProto(changes), FromRevision: req.GetFromRevision(), ToRevision: to}, nil
}

// Rollback makes the model what it was at a past revision.
func (a *PolicyAdmin) Rollback(ctx context.Context, req *pdpv1.RollbackRequest) (*pdpv1.RollbackResponse, error) {
	if re := rpcerr.NegativeRevisions(req); re != nil {
		return nil, a.toStatus(ctx, re)
	}
	if req.GetToRevision() <= 0 {
		// Revision 0 would read the current model and change nothing.
		return nil, a.toStatus(ctx, rpcerr.BadField("to_revision", "want the revision to roll back to, 1 or more"))
	}
	old, _, err := a.readModel(ctx, req.GetToRevision())
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	msg := req.GetMessage()
	if msg == "" {
		msg = "rollback to revision " + strconv.FormatInt(req.GetToRevision(), 10)
	}
	rev, warnings, err := a.write(ctx, func(current snapshot.Model) ([]store.Change, error) {
		return modelDiff(current, old), nil
	}, req.GetExpectRevision(), false, msg)
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	return &pdpv1.RollbackResponse{Revision: rev, Warnings: warnings}, nil
}

// Export writes the model at a revision as one bundle.
func (a *PolicyAdmin) Export(ctx context.Context, req *pdpv1.ExportRequest) (*pdpv1.ExportResponse, error) {
	if re := rpcerr.NegativeRevisions(req); re != nil {
		return nil, a.toStatus(ctx, re)
	}
	m, rev, err := a.readModel(ctx, req.GetRevision())
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	set, err := m.Set()
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	bundle, err := set.Bundle()
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	return &pdpv1.ExportResponse{Bundle: string(bundle), Revision: rev}, nil
}

// Import makes the model equal to a bundle.
func (a *PolicyAdmin) Import(ctx context.Context, req *pdpv1.ImportRequest) (*pdpv1.ImportResponse, error) {
	if re := rpcerr.NegativeRevisions(req); re != nil {
		return nil, a.toStatus(ctx, re)
	}
	name := "bundle.yaml"
	if t := strings.TrimSpace(req.GetBundle()); strings.HasPrefix(t, "{") {
		name = "bundle.json"
	}
	set, err := entity.ParseBundle(name, []byte(req.GetBundle()))
	if err != nil {
		return nil, a.toStatus(ctx, rpcerr.BadField("bundle", "%v", err))
	}
	puts, err := snapshot.SetValues(set)
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	target := make(snapshot.Model, len(puts))
	for _, c := range puts {
		target[c.Key] = c.Value
	}
	var made []store.Change
	rev, warnings, err := a.write(ctx, func(current snapshot.Model) ([]store.Change, error) {
		made = modelDiff(current, target)
		return made, nil
	}, req.GetExpectRevision(), req.GetDryRun(), req.GetMessage())
	if err != nil {
		return nil, a.toStatus(ctx, err)
	}
	return &pdpv1.ImportResponse{Revision: rev, Changes: changeset.ToProto(made), Warnings: warnings}, nil
}

// Watch streams changes after a revision.
func (a *PolicyAdmin) Watch(req *pdpv1.WatchRequest, stream pdpv1.PolicyService_WatchServer) error {
	ctx := stream.Context()
	if re := rpcerr.NegativeRevisions(req); re != nil {
		return a.toStatus(ctx, re)
	}
	from := req.GetFromRevision()
	if from == 0 {
		var err error
		if from, err = a.st.Revision(ctx); err != nil {
			return a.toStatus(ctx, err)
		}
	}
	for ev, err := range a.st.Watch(ctx, from) {
		if err != nil {
			return a.toStatus(ctx, err)
		}
		resp := &pdpv1.WatchResponse{Revision: ev.Revision, Progress: ev.Progress}
		if !ev.Progress {
			resp.Info = toRevisionInfo(ev.Info)
			resp.Changes = changeset.ToProto(ev.Changes)
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
	return a.toStatus(ctx, ctx.Err())
}

// modelDiff lists the changes that turn from into to, in key order. A
// document that says the same as the one it would replace, written
// differently, is no change: an export imported back changes nothing.
func modelDiff(from, to snapshot.Model) []store.Change {
	var out []store.Change
	for k, v := range to {
		if old, ok := from[k]; !ok || !sameDocument(k, old, v) {
			out = append(out, store.Change{Op: store.OpPut, Key: k, Value: v})
		}
	}
	for k := range from {
		if _, ok := to[k]; !ok {
			out = append(out, store.Change{Op: store.OpDelete, Key: k})
		}
	}
	sortChanges(out)
	return out
}

// sameDocument reports whether two documents of an entity are equal, or
// decode to the same entity.
func sameDocument(k store.Key, a, b []byte) bool {
	if string(a) == string(b) {
		return true
	}
	ca, cb := canonical(k, a), canonical(k, b)
	return ca != nil && string(ca) == string(cb)
}

// canonical is a document as setValues writes it, or nil if it cannot be
// decoded.
func canonical(k store.Key, doc []byte) []byte {
	var s entity.Set
	if snapshot.DecodeEntity(&s, k, doc) != nil {
		return nil
	}
	cs, err := snapshot.SetValues(&s)
	if err != nil || len(cs) != 1 {
		return nil
	}
	return cs[0].Value
}

// Register adds the policy service to a gRPC server.
func (a *PolicyAdmin) Register(gs *grpc.Server) {
	pdpv1.RegisterPolicyServiceServer(gs, a)
}
