package server

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// The simulator's names of the three decisions.
const (
	simAllowed      = "allowed"
	simExplicitDeny = "explicitDeny"
	simImplicitDeny = "implicitDeny"
)

func simDecision(d engine.Decision) string {
	switch d {
	case engine.Allow:
		return simAllowed
	case engine.ExplicitDeny:
		return simExplicitDeny
	}
	return simImplicitDeny
}

// restrictiveness orders decisions: an explicit deny over an implicit deny
// over an allow.
func restrictiveness(d string) int {
	switch d {
	case simExplicitDeny:
		return 2
	case simImplicitDeny:
		return 1
	}
	return 0
}

// Keys of EvalDecisionDetails: one per policy type that took part.
var detailKeys = map[engine.PolicyType]string{
	engine.IdentityPolicy: "IAM Policy",
	engine.ResourcePolicy: "Resource Policy",
	engine.BoundaryPolicy: "Permissions Boundary Policy",
	engine.SessionPolicy:  "Session Policy",
}

// simMaxDecisions bounds the decisions one page makes (actions ×
// resources), so that a page stays within a message's size: "IAM might
// return fewer results, even when there are more results available"
// (MaxItems).
const simMaxDecisions = 2000

// pageSize returns how many actions a page of at most maxItems holds.
func (in *simInput) pageSize(maxItems int) int {
	return max(1, min(maxItems, simMaxDecisions/len(in.resources)))
}

// page decides the actions from index start, at most size of them, and
// returns their results with the index of the next page's first action
// (0 when this page is the last).
func (in *simInput) page(start, size int) ([]*pdpv1.EvaluationResult, int) {
	end := min(start+size, len(in.actions))
	out := make([]*pdpv1.EvaluationResult, 0, end-start)
	for _, a := range in.actions[start:end] {
		out = append(out, in.action(a))
	}
	if end < len(in.actions) {
		return out, end
	}
	return out, 0
}

// action decides one action on every resource. The top-level result
// aggregates the resources: "The top-level EvalDecision reflects the most
// restrictive decision across all resources" (EvaluationResult).
func (in *simInput) action(action string) *pdpv1.EvaluationResult {
	er := &pdpv1.EvaluationResult{EvalActionName: action, EvalResourceName: "*", EvalDecision: simAllowed}
	if len(in.resources) == 1 {
		er.EvalResourceName = in.resources[0]
	}
	var per []*pdpv1.ResourceSpecificResult
	var orgs *bool
	for _, r := range in.resources {
		rr, allowedByOrgs := in.decide(action, r)
		per = append(per, rr)
		if restrictiveness(rr.EvalResourceDecision) > restrictiveness(er.EvalDecision) {
			er.EvalDecision = rr.EvalResourceDecision
		}
		orgs = andDetail(orgs, allowedByOrgs)
	}
	// "if only one statement denies that operation, then the explicit deny
	// overrides any allow. In addition, the deny statement is the only
	// entry included in the result." (EvaluationResult.MatchedStatements)
	seen := map[string]bool{}
	missing := map[string]string{}
	var boundary *bool
	for _, rr := range per {
		if er.EvalDecision != simExplicitDeny || rr.EvalResourceDecision == simExplicitDeny {
			for _, st := range rr.MatchedStatements {
				k := st.GetSourcePolicyId() + "\x00" + st.GetStartPosition().String()
				if !seen[k] {
					seen[k] = true
					er.MatchedStatements = append(er.MatchedStatements, st)
				}
			}
		}
		for _, k := range rr.MissingContextValues {
			if _, ok := missing[strings.ToLower(k)]; !ok {
				missing[strings.ToLower(k)] = k
			}
		}
		if d := rr.PermissionsBoundaryDecisionDetail; d != nil {
			boundary = andDetail(boundary, d.AllowedByPermissionsBoundary)
		}
		for k, v := range rr.EvalDecisionDetails {
			if er.EvalDecisionDetails == nil {
				er.EvalDecisionDetails = map[string]string{}
			}
			if old, ok := er.EvalDecisionDetails[k]; !ok || restrictiveness(v) > restrictiveness(old) {
				er.EvalDecisionDetails[k] = v
			}
		}
	}
	er.MissingContextValues = sortedValues(missing)
	if boundary != nil {
		er.PermissionsBoundaryDecisionDetail = &pdpv1.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: boundary}
	}
	if orgs != nil {
		er.OrganizationsDecisionDetail = &pdpv1.OrganizationsDecisionDetail{AllowedByOrganizations: orgs}
	}
	// "If you include a list of resources, then any missing context values
	// are instead included under the ResourceSpecificResults section."
	// (EvaluationResult.MissingContextValues) Without a list, the one
	// resource is "*" and its result is the top-level result.
	if in.listed {
		er.ResourceSpecificResults = per
	}
	return er
}

// andDetail folds one resource's "allowed by" into the action's: allowed
// only if allowed on every resource that reports it.
func andDetail(acc, v *bool) *bool {
	switch {
	case v == nil:
		return acc
	case acc == nil:
		return proto.Bool(*v)
	}
	return proto.Bool(*acc && *v)
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

// decide evaluates one action on one resource, and says whether the SCPs
// allowed it (nil when there are none).
func (in *simInput) decide(action, resource string) (*pdpv1.ResourceSpecificResult, *bool) {
	p := in.policies
	p.Resource = in.resourcePolicy
	if ps, ok := in.perResource[resource]; ok {
		p.Resource = ps
	}
	req := engine.Request{Principal: in.callerFor(resource), Action: action, Resource: resource, Context: in.ctx}
	if in.owner != "" && resourceAccountField(resource) == "" {
		// "the owner of any simulated resource that does not identify its
		// owner in the resource ARN" (ResourceOwner)
		req.ResourceAccount = in.owner
	}
	d, ex := engine.EvaluateExplain(&p, &req)
	rr := &pdpv1.ResourceSpecificResult{EvalResourceName: resource, EvalResourceDecision: simDecision(d),
		MissingContextValues: slices.Clone(ex.MissingKeys)}
	for _, m := range ex.Matched {
		if d == engine.ExplicitDeny && m.Effect != engine.EffectDeny {
			continue
		}
		if st := in.statement(m); st != nil {
			rr.MatchedStatements = append(rr.MatchedStatements, st)
		}
	}
	var orgs *bool
	scpDenied := false
	levels := 0
	for _, v := range ex.Verdicts {
		switch {
		case v.Type == engine.SCPPolicy:
			levels++
			ok := v.Allowed && !v.Denied
			scpDenied = scpDenied || !ok
			orgs = andDetail(orgs, &ok)
		case v.Type == engine.BoundaryPolicy:
			rr.PermissionsBoundaryDecisionDetail = &pdpv1.PermissionsBoundaryDecisionDetail{
				AllowedByPermissionsBoundary: proto.Bool(v.Allowed && !v.Denied)}
		}
	}
	if len(p.SCPs) > 0 && levels < len(p.SCPs) {
		// Evaluation stopped at a level that did not allow.
		orgs = proto.Bool(false)
		scpDenied = true
	}
	// EvalDecisionDetails: "This parameter is populated for only
	// cross-account simulations. … If an Organizations SCP included in the
	// evaluation denies access, the simulation ends. In this case, policy
	// evaluation does not proceed any further and this parameter is not
	// returned." (EvaluationResult)
	if ex.CrossAccount && !scpDenied {
		for _, v := range ex.Verdicts {
			if k, ok := detailKeys[v.Type]; ok {
				if rr.EvalDecisionDetails == nil {
					rr.EvalDecisionDetails = map[string]string{}
				}
				rr.EvalDecisionDetails[k] = verdictDecision(v)
			}
		}
	}
	return rr, orgs
}

func verdictDecision(v engine.Verdict) string {
	switch {
	case v.Denied:
		return simExplicitDeny
	case v.Allowed:
		return simAllowed
	}
	return simImplicitDeny
}

// callerFor returns the caller of a request on resource. Without a
// CallerArn, the caller is of the resource's own account: the simulation
// is of the policies, not of a cross-account call.
func (in *simInput) callerFor(resource string) string {
	if in.caller != "" {
		return in.caller
	}
	account := resourceAccountField(resource)
	if account == "" {
		account = in.owner
	}
	if account == "" {
		account = "000000000000"
	}
	return "arn:aws:iam::" + account + ":user/simulated-caller"
}

// resourceAccountField returns the account field of an ARN, "" for "*" or
// an ARN without one.
func resourceAccountField(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 6 {
		return ""
	}
	return f[4]
}

// statement reports a matched statement as AWS does: the policy's
// SourcePolicyId and type, and where the statement is in the policy's
// text.
func (in *simInput) statement(m engine.MatchedStatement) *pdpv1.Statement {
	src := in.sources[m.PolicyID]
	if src == nil {
		return &pdpv1.Statement{SourcePolicyId: m.PolicyID}
	}
	st := &pdpv1.Statement{SourcePolicyId: src.id, SourcePolicyType: src.typ}
	i := slices.IndexFunc(src.doc.Statements, func(s *engine.Statement) bool { return s.Index == m.Index })
	if i < 0 {
		return st
	}
	start := src.doc.Statements[i].Pos
	if start.Line == 0 {
		return st
	}
	st.StartPosition, st.EndPosition = statementSpan(src.text, start)
	return st
}

// statementSpan returns AWS's StartPosition and EndPosition of the
// statement whose opening brace is at open: the column just after the
// opening brace and the column just after the closing one. (For
// {"Version":"2012-10-17","Statement":{…}} AWS reports Column 38 for the
// brace at column 37.) Without the text, the end is unknown.
func statementSpan(text []byte, open engine.Pos) (start, end *pdpv1.Position) {
	start = &pdpv1.Position{Line: int32(open.Line), Column: int32(open.Col + 1)}
	off := offsetOf(text, open)
	if off < 0 || off >= len(text) || text[off] != '{' {
		return start, nil
	}
	depth, inString, escaped := 0, false, false
	for i := off; i < len(text); i++ {
		c := text[i]
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				p := positionOf(text, i)
				return start, &pdpv1.Position{Line: int32(p.Line), Column: int32(p.Col + 1)}
			}
		}
	}
	return start, nil
}

// offsetOf returns the byte offset of a 1-based line and rune column, or
// -1 when the text has no such position.
func offsetOf(text []byte, p engine.Pos) int {
	line, col := 1, 1
	for i := 0; i < len(text); {
		if line == p.Line && col == p.Col {
			return i
		}
		r, n := utf8.DecodeRune(text[i:])
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += n
	}
	return -1
}

// positionOf returns the 1-based line and rune column of a byte offset.
func positionOf(text []byte, off int) engine.Pos {
	p := engine.Pos{Line: 1, Col: 1}
	for i := 0; i < off; {
		r, n := utf8.DecodeRune(text[i:])
		if r == '\n' {
			p.Line, p.Col = p.Line+1, 1
		} else {
			p.Col++
		}
		i += n
	}
	return p
}

// policyVariable finds ${key} in element values; ${*}, ${?} and ${$} are
// escapes, not keys.
var policyVariable = regexp.MustCompile(`\$\{([^}]+)\}`)

// contextKeys lists the context keys the documents reference, in their
// conditions or as policy variables, sorted without regard to case, each
// once (in the spelling met first).
func contextKeys(docs []*engine.Document) []string {
	keys := map[string]string{}
	add := func(k string) {
		k = strings.TrimSpace(k)
		if k == "" || k == "*" || k == "?" || k == "$" {
			return
		}
		if _, ok := keys[strings.ToLower(k)]; !ok {
			keys[strings.ToLower(k)] = k
		}
	}
	vars := func(s string) {
		if !strings.Contains(s, "${") {
			return
		}
		for _, m := range policyVariable.FindAllStringSubmatch(s, -1) {
			name, _, _ := strings.Cut(m[1], ",") // ${key, 'default'}
			add(name)
		}
	}
	for _, d := range docs {
		for _, st := range d.Statements {
			for _, c := range st.Conditions {
				add(c.Key)
				for _, v := range c.Values {
					vars(v.Text)
				}
			}
			res, _ := st.Resources()
			for _, r := range res {
				vars(r.Value)
			}
		}
	}
	return sortedValues(keys)
}
