package server

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// The AWS policy simulator's bounds on paging: MaxItems defaults to 100 and
// may be at most 1000.
const (
	simDefaultMaxItems = 100
	simMaxItems        = 1000
	// simMaxNames bounds ActionNames and ResourceArns, so that one page
	// costs at most simMaxItems × simMaxNames evaluations.
	simMaxNames = 1000
)

// simInput is a simulator request checked and compiled: the policies, the
// questions, and where each policy came from.
type simInput struct {
	policies engine.Policies // Resource left nil: see resourcePolicy
	// resourcePolicy applies to every resource not in perResource.
	resourcePolicy *engine.PolicySet
	perResource    map[string]*engine.PolicySet
	sources        map[string]*policySource // by engine policy ID
	actions        []string
	resources      []string // "*" when the request gave none
	listed         bool     // the request gave ResourceArns
	caller         string   // "" means a caller of each resource's account
	owner          string   // ResourceOwner's account
	ctx            *engine.Context
}

// policySource says where a compiled policy came from, to report its
// statements as AWS does.
type policySource struct {
	field string // the request field that gave it, for problems
	id    string // SourcePolicyId
	typ   string // SourcePolicyType
	doc   *engine.Document
	text  []byte // nil for the model's policies: no end positions
}

// simRequest is what the two Simulate RPCs share, read from either.
type simRequest struct {
	policyInputs    []string
	boundaryInputs  []string
	actions         []string
	resources       []string
	resourcePolicy  string
	resourceOwner   string
	caller          string
	contextEntries  []*pdpv1.ContextEntry
	handling        string
	maxItems        int32
	marker          string
	sessionInputs   []string
	sessionTags     map[string]string
	perResource     map[string]string
	orgInputs       []string // custom only
	exclusions      []string // principal only
	policySourceARN string   // principal only
}

func customRequest(r *pdpv1.SimulateCustomPolicyRequest) *simRequest {
	return &simRequest{
		policyInputs: r.GetPolicyInputList(), boundaryInputs: r.GetPermissionsBoundaryPolicyInputList(),
		actions: r.GetActionNames(), resources: r.GetResourceArns(), resourcePolicy: r.GetResourcePolicy(),
		resourceOwner: r.GetResourceOwner(), caller: r.GetCallerArn(), contextEntries: r.GetContextEntries(),
		handling: r.GetResourceHandlingOption(), maxItems: r.GetMaxItems(), marker: r.GetMarker(),
		sessionInputs: r.GetSessionPolicyInputList(), sessionTags: r.GetSessionTags(),
		perResource: r.GetResourcePolicies(), orgInputs: r.GetOrganizationsPolicyInputList(),
	}
}

func principalRequest(r *pdpv1.SimulatePrincipalPolicyRequest) *simRequest {
	return &simRequest{
		policyInputs: r.GetPolicyInputList(), boundaryInputs: r.GetPermissionsBoundaryPolicyInputList(),
		actions: r.GetActionNames(), resources: r.GetResourceArns(), resourcePolicy: r.GetResourcePolicy(),
		resourceOwner: r.GetResourceOwner(), caller: r.GetCallerArn(), contextEntries: r.GetContextEntries(),
		handling: r.GetResourceHandlingOption(), maxItems: r.GetMaxItems(), marker: r.GetMarker(),
		sessionInputs: r.GetSessionPolicyInputList(), sessionTags: r.GetSessionTags(),
		perResource: r.GetResourcePolicies(), exclusions: r.GetPolicyExclusionList(),
		policySourceARN: r.GetPolicySourceArn(),
	}
}

// checkShape checks what does not need the policies: actions, resources,
// owner, caller, paging bounds, the handling option and the limits on
// sizes. It returns the page size.
func (sr *simRequest) checkShape(l Limits) (int, *rpcerr.RequestError) {
	re := &rpcerr.RequestError{Reason: "INVALID_REQUEST"}
	bad := func(field, format string, args ...any) {
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	if len(sr.actions) == 0 {
		bad("ActionNames", "give at least one action")
	}
	if len(sr.actions) > simMaxNames {
		bad("ActionNames", "%d actions exceed the limit of %d", len(sr.actions), simMaxNames)
	}
	for i, a := range sr.actions {
		svc, name, ok := strings.Cut(a, ":")
		switch {
		case !ok || svc == "" || name == "":
			bad(fmt.Sprintf("ActionNames[%d]", i), `malformed action %q: want "service:Action"`, a)
		case strings.ContainsAny(a, "*?"):
			bad(fmt.Sprintf("ActionNames[%d]", i), "action %q has a wildcard: the simulator decides actions, not patterns", a)
		}
	}
	if len(sr.resources) > simMaxNames {
		bad("ResourceArns", "%d resources exceed the limit of %d", len(sr.resources), simMaxNames)
	}
	for i, r := range sr.resources {
		if r != "*" && !engine.IsARN(r) {
			bad(fmt.Sprintf("ResourceArns[%d]", i), `malformed resource %q: want an ARN or "*"`, r)
		}
	}
	for arn := range sr.perResource {
		if !slices.Contains(sr.resources, arn) {
			bad("ResourcePolicies["+arn+"]", "resource %q is not in ResourceArns", arn)
		}
	}
	if sr.resourceOwner != "" {
		if _, ok := ownerAccount(sr.resourceOwner); !ok {
			bad("ResourceOwner", "malformed owner %q: want arn:aws:iam::ACCOUNT:root", sr.resourceOwner)
		}
	}
	if sr.caller != "" {
		if _, err := engine.ParsePrincipalARN(sr.caller); err != nil {
			bad("CallerArn", "%v", err)
		}
	}
	if sr.handling != "" {
		bad("ResourceHandlingOption", "pdp has no resource handling scenarios (%q): leave it empty", sr.handling)
	}
	if len(sr.boundaryInputs) > 1 {
		bad("PermissionsBoundaryPolicyInputList", "%d boundaries: a principal has at most one", len(sr.boundaryInputs))
	}
	page := int(sr.maxItems)
	switch {
	case page == 0:
		page = simDefaultMaxItems
	case page < 0 || page > simMaxItems:
		bad("MaxItems", "%d is out of range: want 1 to %d", sr.maxItems, simMaxItems)
	}
	for _, p := range []struct {
		field string
		docs  []string
	}{
		{"PolicyInputList", sr.policyInputs},
		{"PermissionsBoundaryPolicyInputList", sr.boundaryInputs},
		{"SessionPolicyInputList", sr.sessionInputs},
		{"OrganizationsPolicyInputList", sr.orgInputs},
		{"ResourcePolicy", optional(sr.resourcePolicy)},
	} {
		if le := l.checkPolicies(p.field, p.docs); le != nil {
			re.Violations = append(re.Violations, le.Violations...)
		}
	}
	for arn, doc := range sr.perResource {
		if len(doc) > l.MaxPolicyBytes {
			bad("ResourcePolicies["+arn+"]", "the document is %d bytes, over the limit of %d", len(doc), l.MaxPolicyBytes)
		}
	}
	if len(re.Violations) > 0 {
		return 0, re
	}
	return page, nil
}

// ownerAccount reads the account of a ResourceOwner ARN,
// arn:PARTITION:iam::ACCOUNT:root.
func ownerAccount(arn string) (string, bool) {
	f := strings.Split(arn, ":")
	if len(f) != 6 || f[0] != "arn" || f[2] != "iam" || f[5] != "root" || !engine.IsAccountID(f[4]) {
		return "", false
	}
	return f[4], true
}

// contextKeyTypes maps the simulator's ContextKeyType values to the type
// whose values CheckContextValue checks, and whether the type is a list.
var contextKeyTypes = map[string]struct {
	base catalog.KeyType
	list bool
}{
	"string": {catalog.String, false}, "stringList": {catalog.String, true},
	"numeric": {catalog.Numeric, false}, "numericList": {catalog.Numeric, true},
	"boolean": {catalog.Bool, false}, "booleanList": {catalog.Bool, true},
	"ip": {catalog.IPAddress, false}, "ipList": {catalog.IPAddress, true},
	"binary": {catalog.Binary, false}, "binaryList": {catalog.Binary, true},
	"date": {catalog.Date, false}, "dateList": {catalog.Date, true},
}

// simContext builds the request context from the ContextEntries, checking
// every value against its ContextKeyType, and adds the session tags as
// aws:PrincipalTag/KEY.
func simContext(entries []*pdpv1.ContextEntry, tags map[string]string, l Limits) (*engine.Context, *rpcerr.RequestError) {
	re := &rpcerr.RequestError{Reason: "INVALID_REQUEST"}
	bad := func(field, format string, args ...any) {
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	if n := len(entries) + len(tags); n > l.MaxContextKeys {
		return nil, rpcerr.BadField("ContextEntries", "%d context keys exceed the limit of %d", n, l.MaxContextKeys)
	}
	ctx := engine.NewContext(len(entries) + len(tags))
	seen := make(map[string]string, len(entries))
	for i, e := range entries {
		field := fmt.Sprintf("ContextEntries[%d]", i)
		name, values := e.GetContextKeyName(), e.GetContextKeyValues()
		if name == "" {
			bad(field+".ContextKeyName", "missing context key name")
			continue
		}
		if prev, dup := seen[strings.ToLower(name)]; dup {
			bad(field+".ContextKeyName", "key %q is given twice (see %s)", name, prev)
			continue
		}
		seen[strings.ToLower(name)] = field
		typ := e.GetContextKeyType()
		if typ == "" {
			typ = "stringList"
			if len(values) == 1 {
				typ = "string"
			}
		}
		kt, ok := contextKeyTypes[typ]
		if !ok {
			bad(field+".ContextKeyType", "unknown type %q for key %q: want string, stringList, numeric, numericList, "+
				"boolean, booleanList, ip, ipList, binary, binaryList, date or dateList", typ, name)
			continue
		}
		if !kt.list && len(values) != 1 {
			bad(field+".ContextKeyValues", "key %q of type %s takes one value, not %d", name, typ, len(values))
			continue
		}
		if len(values) > l.MaxContextValues {
			bad(field+".ContextKeyValues", "%d values exceed the limit of %d", len(values), l.MaxContextValues)
			continue
		}
		valid := true
		for j, v := range values {
			err := engine.CheckContextValue(kt.base, v)
			if err == nil && kt.base == catalog.Binary {
				if _, berr := base64.StdEncoding.DecodeString(v); berr != nil {
					err = fmt.Errorf("want base64, not %q", v)
				}
			}
			if err == nil && len(v) > l.MaxValueBytes {
				err = fmt.Errorf("%d bytes, over the limit of %d", len(v), l.MaxValueBytes)
			}
			if err != nil {
				bad(fmt.Sprintf("%s.ContextKeyValues[%d]", field, j), "key %q of type %s: %v", name, typ, err)
				valid = false
			}
		}
		if !valid {
			continue
		}
		if kt.list {
			ctx.SetMulti(name, slices.Clone(values))
		} else {
			ctx.Set(name, values[0])
		}
	}
	for _, k := range sortedTagKeys(tags) {
		name := "aws:PrincipalTag/" + k
		if prev, dup := seen[strings.ToLower(name)]; dup {
			bad("SessionTags["+k+"]", "key %q is given in %s too", name, prev)
			continue
		}
		ctx.Set(name, tags[k])
	}
	if len(re.Violations) > 0 {
		return nil, re
	}
	return ctx, nil
}

func sortedTagKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// inputDoc is one policy given as text, with the request field that held
// it (for errors) and its SourcePolicyId (for results).
type inputDoc struct {
	field string // e.g. "PolicyInputList[0]"
	id    string // e.g. "PolicyInputList.1"
	typ   string // SourcePolicyType
	text  string
}

// inputDocs names the documents of one list field as AWS does:
// FIELD.1, FIELD.2, …
func inputDocs(field string, texts []string) []inputDoc {
	out := make([]inputDoc, len(texts))
	for i, t := range texts {
		out[i] = inputDoc{field: fmt.Sprintf("%s[%d]", field, i), id: fmt.Sprintf("%s.%d", field, i+1), text: t}
	}
	return out
}

// parseInputs parses documents given as text as policies of type typ,
// recording their sources; problems become violations naming the field.
func parseInputs(docs []inputDoc, typ engine.PolicyType, sources map[string]*policySource, re *rpcerr.RequestError) []*engine.Document {
	var out []*engine.Document
	for _, in := range docs {
		doc, err := engine.Parse([]byte(in.text), engine.ParseOptions{ID: in.id, Type: typ})
		if err != nil {
			malformed(re, in.field, err)
			continue
		}
		sources[in.id] = &policySource{field: in.field, id: in.id, typ: in.typ, doc: doc, text: []byte(in.text)}
		out = append(out, doc)
	}
	return out
}

// compileDocs compiles documents into one set; problems name the request
// field each document came from.
func (s *Server) compileDocs(docs []*engine.Document, sources map[string]*policySource, re *rpcerr.RequestError) *engine.PolicySet {
	ps, err := engine.Compile(s.cat, docs...)
	if err != nil {
		re.Reason = "MALFORMED_POLICY_DOCUMENT"
		var perrs engine.Errors
		if errors.As(err, &perrs) && len(perrs) > 0 {
			for _, pe := range perrs {
				if pe.Severity == engine.SeverityError {
					field := "PolicySourceArn" // a policy of the model
					if src := sources[pe.PolicyID]; src != nil && src.field != "" {
						field = src.field
					}
					re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: field, Description: pe.Error()})
				}
			}
		} else {
			re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "PolicyInputList", Description: err.Error()})
		}
		return nil
	}
	return ps
}

// malformed notes a document that does not parse, naming its field; the
// description carries the line and column of each problem.
func malformed(re *rpcerr.RequestError, field string, err error) {
	re.Reason = "MALFORMED_POLICY_DOCUMENT"
	var perrs engine.Errors
	if errors.As(err, &perrs) {
		for _, pe := range perrs {
			if pe.Severity == engine.SeverityError {
				re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: field, Description: pe.Error()})
			}
		}
		return
	}
	re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: field, Description: err.Error()})
}
