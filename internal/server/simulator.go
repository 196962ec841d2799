package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/store"
)

// Simulator implements pdp.v1.SimulatorService: the AWS IAM policy
// simulator's API over the engine. Custom simulations need nothing but
// the catalog; principal simulations read the server's current snapshot.
type Simulator struct {
	pdpv1.UnimplementedSimulatorServiceServer

	s *Server
}

// NewSimulator returns the simulator service of s.
func NewSimulator(s *Server) *Simulator { return &Simulator{s: s} }

// Register adds the simulator service to a gRPC server.
func (m *Simulator) Register(gs *grpc.Server) { pdpv1.RegisterSimulatorServiceServer(gs, m) }

// SimulateCustomPolicy decides every action on every resource against the
// policies the request carries.
func (m *Simulator) SimulateCustomPolicy(ctx context.Context, req *pdpv1.SimulateCustomPolicyRequest) (*pdpv1.SimulateCustomPolicyResponse, error) {
	sr := customRequest(req)
	page, re := sr.checkShape(m.s.cfg.Limits)
	if re != nil {
		return nil, m.s.toStatus(ctx, re)
	}
	fp := fingerprint("SimulateCustomPolicy", req, func(c *pdpv1.SimulateCustomPolicyRequest) { c.MaxItems, c.Marker = 0, "" })
	start, re := pageStart(sr.marker, fp, len(sr.actions))
	if re != nil {
		return nil, m.s.toStatus(ctx, re)
	}
	in, err := m.s.customInput(sr)
	if err != nil {
		return nil, m.s.toStatus(ctx, err)
	}
	results, next := in.page(start, in.pageSize(page))
	resp := &pdpv1.SimulateCustomPolicyResponse{EvaluationResults: results}
	if next > 0 {
		resp.IsTruncated, resp.Marker = true, makeMarker(next, fp)
	}
	return resp, nil
}

// SimulatePrincipalPolicy decides every action on every resource against
// the policies the served model gives the principal, with the request's
// additions and exclusions.
func (m *Simulator) SimulatePrincipalPolicy(ctx context.Context, req *pdpv1.SimulatePrincipalPolicyRequest) (*pdpv1.SimulatePrincipalPolicyResponse, error) {
	sr := principalRequest(req)
	page, re := sr.checkShape(m.s.cfg.Limits)
	if re != nil {
		return nil, m.s.toStatus(ctx, re)
	}
	fp := fingerprint("SimulatePrincipalPolicy", req, func(c *pdpv1.SimulatePrincipalPolicyRequest) { c.MaxItems, c.Marker = 0, "" })
	start, re := pageStart(sr.marker, fp, len(sr.actions))
	if re != nil {
		return nil, m.s.toStatus(ctx, re)
	}
	in, err := m.s.principalInput(ctx, sr)
	if err != nil {
		return nil, m.s.toStatus(ctx, err)
	}
	results, next := in.page(start, in.pageSize(page))
	resp := &pdpv1.SimulatePrincipalPolicyResponse{EvaluationResults: results}
	if next > 0 {
		resp.IsTruncated, resp.Marker = true, makeMarker(next, fp)
	}
	return resp, nil
}

// GetContextKeysForCustomPolicy lists the condition keys the given
// policies reference.
func (m *Simulator) GetContextKeysForCustomPolicy(ctx context.Context, req *pdpv1.GetContextKeysForCustomPolicyRequest) (*pdpv1.GetContextKeysForCustomPolicyResponse, error) {
	if re := m.s.cfg.Limits.checkPolicies("PolicyInputList", req.GetPolicyInputList()); re != nil {
		return nil, m.s.toStatus(ctx, re)
	}
	if len(req.GetPolicyInputList()) == 0 {
		return nil, m.s.toStatus(ctx, rpcerr.BadField("PolicyInputList", "give at least one policy document"))
	}
	re := &rpcerr.RequestError{Reason: "INVALID_REQUEST"}
	docs := parseInputs(inputDocs("PolicyInputList", req.GetPolicyInputList()), engine.IdentityPolicy, map[string]*policySource{}, re)
	if len(re.Violations) > 0 {
		return nil, m.s.toStatus(ctx, re)
	}
	return &pdpv1.GetContextKeysForCustomPolicyResponse{ContextKeyNames: contextKeys(docs)}, nil
}

// GetContextKeysForPrincipalPolicy lists the condition keys the
// principal's identity policies and the given ones reference.
func (m *Simulator) GetContextKeysForPrincipalPolicy(ctx context.Context, req *pdpv1.GetContextKeysForPrincipalPolicyRequest) (*pdpv1.GetContextKeysForPrincipalPolicyResponse, error) {
	if re := m.s.cfg.Limits.checkPolicies("PolicyInputList", req.GetPolicyInputList()); re != nil {
		return nil, m.s.toStatus(ctx, re)
	}
	entry, _, err := m.s.simPrincipal(ctx, req.GetPolicySourceArn())
	if err != nil {
		return nil, m.s.toStatus(ctx, err)
	}
	re := &rpcerr.RequestError{Reason: "INVALID_REQUEST"}
	docs := parseInputs(inputDocs("PolicyInputList", req.GetPolicyInputList()), engine.IdentityPolicy, map[string]*policySource{}, re)
	if len(re.Violations) > 0 {
		return nil, m.s.toStatus(ctx, re)
	}
	docs = append(slices.Clone(entry.IdentityDocs()), docs...)
	return &pdpv1.GetContextKeysForPrincipalPolicyResponse{ContextKeyNames: contextKeys(docs)}, nil
}

// customInput checks and compiles a SimulateCustomPolicy request. AWS
// requires a policy in PolicyInputList; pdp also answers questions that
// only a resource policy (or no policy) decides.
func (s *Server) customInput(sr *simRequest) (*simInput, error) {
	in := &simInput{sources: make(map[string]*policySource), actions: sr.actions, caller: sr.caller}
	re := &rpcerr.RequestError{Reason: "INVALID_REQUEST"}
	if sr.caller == "" && (sr.resourcePolicy != "" || len(sr.perResource) > 0) {
		// "CallerArn is required if you include a ResourcePolicy so that
		// the policy's Principal element has a value to use in evaluating
		// the policy." (SimulateCustomPolicy)
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "CallerArn", Description: "a resource policy needs a caller to match its Principal element"})
	}
	in.setResources(sr)
	var cre *rpcerr.RequestError
	if in.ctx, cre = simContext(sr.contextEntries, sr.sessionTags, s.cfg.Limits); cre != nil {
		re.Violations = append(re.Violations, cre.Violations...)
	}
	identity := parseInputs(inputDocs("PolicyInputList", sr.policyInputs), engine.IdentityPolicy, in.sources, re)
	boundary := parseInputs(inputDocs("PermissionsBoundaryPolicyInputList", sr.boundaryInputs), engine.BoundaryPolicy, in.sources, re)
	session := parseInputs(inputDocs("SessionPolicyInputList", sr.sessionInputs), engine.SessionPolicy, in.sources, re)
	orgs := parseInputs(inputDocs("OrganizationsPolicyInputList", sr.orgInputs), engine.SCPPolicy, in.sources, re)
	resource, perResource := s.parseResourcePolicies(sr, in.sources, re)
	if len(re.Violations) > 0 {
		return nil, re
	}
	in.policies.Identity = s.compileDocs(identity, in.sources, re)
	if len(boundary) > 0 {
		in.policies.Boundary = s.compileDocs(boundary, in.sources, re)
	}
	if len(session) > 0 {
		in.policies.Session = s.compileDocs(session, in.sources, re)
	}
	for _, d := range orgs {
		in.policies.SCPs = append(in.policies.SCPs, s.compileDocs([]*engine.Document{d}, in.sources, re))
	}
	s.compileResourcePolicies(in, resource, perResource, re)
	if len(re.Violations) > 0 {
		return nil, re
	}
	return in, nil
}

// parseResourcePolicies parses ResourcePolicy and the per-resource
// policies of the ResourcePolicies extension.
func (s *Server) parseResourcePolicies(sr *simRequest, sources map[string]*policySource, re *rpcerr.RequestError) (*engine.Document, map[string]*engine.Document) {
	var resource *engine.Document
	if sr.resourcePolicy != "" {
		if d := parseInputs([]inputDoc{{field: "ResourcePolicy", id: "ResourcePolicy", typ: "resource", text: sr.resourcePolicy}},
			engine.ResourcePolicy, sources, re); len(d) == 1 {
			resource = d[0]
		}
	}
	per := make(map[string]*engine.Document, len(sr.perResource))
	for _, arn := range sortedTagKeys(sr.perResource) {
		id := "ResourcePolicies." + arn
		if d := parseInputs([]inputDoc{{field: "ResourcePolicies[" + arn + "]", id: id, typ: "resource", text: sr.perResource[arn]}},
			engine.ResourcePolicy, sources, re); len(d) == 1 {
			per[arn] = d[0]
		}
	}
	return resource, per
}

func (s *Server) compileResourcePolicies(in *simInput, resource *engine.Document, per map[string]*engine.Document, re *rpcerr.RequestError) {
	if resource != nil {
		in.resourcePolicy = s.compileDocs([]*engine.Document{resource}, in.sources, re)
	}
	if len(per) > 0 {
		in.perResource = make(map[string]*engine.PolicySet, len(per))
		for arn, d := range per {
			in.perResource[arn] = s.compileDocs([]*engine.Document{d}, in.sources, re)
		}
	}
}

func (in *simInput) setResources(sr *simRequest) {
	in.resources, in.listed = sr.resources, len(sr.resources) > 0
	if !in.listed {
		in.resources = []string{"*"}
	}
	in.owner, _ = ownerAccount(sr.resourceOwner)
}

// simPrincipal finds the user or role a principal simulation is about, in
// the current snapshot, which it returns too: the principal's policies and
// its account's SCPs are read from one snapshot.
func (s *Server) simPrincipal(ctx context.Context, arn string) (*snapshot.Principal, *snapshot.Snapshot, error) {
	if arn == "" {
		return nil, nil, rpcerr.BadField("PolicySourceArn", "missing the ARN of the user or role to simulate")
	}
	pa, err := engine.ParsePrincipalARN(arn)
	if err != nil {
		return nil, nil, rpcerr.BadField("PolicySourceArn", "%v", err)
	}
	if pa.Kind != engine.PrincipalUser && pa.Kind != engine.PrincipalRole {
		return nil, nil, rpcerr.BadField("PolicySourceArn", "%q is not a user or role: pdp simulates the policies of users and roles", arn)
	}
	snap, err := s.snapshotFor(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	entry, ok := snap.Principal(pa)
	if !ok || !entry.Names(arn, pa) {
		return nil, nil, fmt.Errorf("principal %q is not in the policy model: %w", arn, store.ErrNotFound)
	}
	return entry, snap, nil
}

// principalInput checks and compiles a SimulatePrincipalPolicy request:
// the principal's policies from the current snapshot, less those the
// PolicyExclusionList names, plus those the request gives.
func (s *Server) principalInput(ctx context.Context, sr *simRequest) (*simInput, error) {
	entry, snap, err := s.simPrincipal(ctx, sr.policySourceARN)
	if err != nil {
		return nil, err
	}
	in := &simInput{sources: make(map[string]*policySource), actions: sr.actions, caller: sr.caller}
	if in.caller == "" {
		// "If you do not specify a CallerArn, it defaults to the ARN of the
		// user that you specify in PolicySourceArn." (SimulatePrincipalPolicy)
		in.caller = entry.ARN()
	}
	in.setResources(sr)
	re := &rpcerr.RequestError{Reason: "INVALID_REQUEST"}
	var cre *rpcerr.RequestError
	if in.ctx, cre = simContext(sr.contextEntries, sr.sessionTags, s.cfg.Limits); cre != nil {
		re.Violations = append(re.Violations, cre.Violations...)
	}
	used := make([]bool, len(sr.exclusions))
	keep := func(d *engine.Document) bool {
		src := modelSource(d)
		for i, x := range sr.exclusions {
			if x == src.id || x == d.ID {
				used[i] = true
				return false
			}
		}
		in.sources[d.ID] = src
		return true
	}
	var identity []*engine.Document
	for _, d := range entry.IdentityDocs() {
		if keep(d) {
			identity = append(identity, d)
		}
	}
	var boundary []*engine.Document
	if entry.BoundaryDoc() != nil && keep(entry.BoundaryDoc()) && len(sr.boundaryInputs) == 0 {
		boundary = []*engine.Document{entry.BoundaryDoc()}
	}
	var levels [][]*engine.Document
	for _, level := range snap.SCPDocs(entry.Account()) {
		var kept []*engine.Document
		for _, d := range level {
			if keep(d) {
				kept = append(kept, d)
			}
		}
		levels = append(levels, kept)
	}
	for i, u := range used {
		if !u {
			re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: fmt.Sprintf("PolicyExclusionList[%d]", i), Description: fmt.Sprintf("no policy %q applies to %q", sr.exclusions[i], sr.policySourceARN)})
		}
	}
	identity = append(identity, parseInputs(inputDocs("PolicyInputList", sr.policyInputs), engine.IdentityPolicy, in.sources, re)...)
	boundary = append(boundary, parseInputs(inputDocs("PermissionsBoundaryPolicyInputList", sr.boundaryInputs), engine.BoundaryPolicy, in.sources, re)...)
	session := parseInputs(inputDocs("SessionPolicyInputList", sr.sessionInputs), engine.SessionPolicy, in.sources, re)
	resource, perResource := s.parseResourcePolicies(sr, in.sources, re)
	if len(re.Violations) > 0 {
		return nil, re
	}
	in.policies.Identity = s.compileDocs(identity, in.sources, re)
	if len(boundary) > 0 {
		in.policies.Boundary = s.compileDocs(boundary, in.sources, re)
	}
	if len(session) > 0 {
		in.policies.Session = s.compileDocs(session, in.sources, re)
	}
	for _, level := range levels {
		in.policies.SCPs = append(in.policies.SCPs, s.compileDocs(level, in.sources, re))
	}
	s.compileResourcePolicies(in, resource, perResource, re)
	if len(re.Violations) > 0 {
		return nil, re
	}
	return in, nil
}

// modelSource names a policy of the model as AWS reports a principal's
// policies: its name, and whether it is the user's or role's inline
// policy, a group's inline policy, or a managed policy. SCPs have no
// SourcePolicyType of their own in AWS's list: they are "none".
func modelSource(d *engine.Document) *policySource {
	src := &policySource{id: d.ID, typ: "none", doc: d}
	id := d.ID
	switch {
	case strings.HasPrefix(id, "inline:"):
		rest := strings.TrimPrefix(id, "inline:")
		kind, after, _ := strings.Cut(rest, "/")
		_, name, _ := strings.Cut(after, ":")
		src.id, src.typ = name, kind // "user" or "role"
	case strings.HasPrefix(id, "group:"):
		_, rest, _ := strings.Cut(strings.TrimPrefix(id, "group:"), ":")
		switch {
		case strings.HasPrefix(rest, "inline:"):
			src.id, src.typ = strings.TrimPrefix(rest, "inline:"), "group"
		case strings.HasPrefix(rest, "managed:"):
			src.id, src.typ = strings.TrimPrefix(rest, "managed:"), "user-managed"
		}
	case strings.HasPrefix(id, "managed:"):
		src.id, src.typ = strings.TrimPrefix(id, "managed:"), "user-managed"
	case strings.HasPrefix(id, "boundary:"):
		src.id, src.typ = strings.TrimPrefix(id, "boundary:"), "user-managed"
	case strings.HasPrefix(id, "scp:"):
		src.id = strings.TrimPrefix(id, "scp:")
	}
	return src
}

// fingerprint identifies a request apart from its paging, so that a Marker
// is honoured only for the request that produced it.
func fingerprint[T proto.Message](rpc string, req T, clearPaging func(T)) string {
	c := proto.Clone(req).(T)
	clearPaging(c)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil { // not for a message that was just unmarshalled
		b = nil
	}
	sum := sha256.Sum256(append([]byte(rpc+"\x00"), b...))
	return hex.EncodeToString(sum[:8])
}

// makeMarker returns the Marker of the page that begins at action index
// next.
func makeMarker(next int, fp string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1." + strconv.Itoa(next) + "." + fp))
}

// pageStart reads a Marker: the index of the first action of the page.
func pageStart(marker, fp string, actions int) (int, *rpcerr.RequestError) {
	if marker == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(marker)
	parts := strings.Split(string(raw), ".")
	if err != nil || len(parts) != 3 || parts[0] != "v1" {
		return 0, rpcerr.BadField("Marker", "malformed marker %q: pass the Marker of the previous response unchanged", marker)
	}
	if parts[2] != fp {
		return 0, rpcerr.BadField("Marker", "the marker belongs to another request: send the same request with the new Marker")
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n <= 0 || n >= actions {
		return 0, rpcerr.BadField("Marker", "malformed marker %q: pass the Marker of the previous response unchanged", marker)
	}
	return n, nil
}
