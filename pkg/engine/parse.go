package engine

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pdp-dev/pdp/pkg/engine/internal/jsonpos"
)

// maxErrors bounds how many problems one document reports, so that a huge
// broken document cannot make a huge error.
const maxErrors = 100

// maxDepth bounds JSON nesting; an IAM policy needs six levels.
const maxDepth = 32

// ParseOptions says which policy is parsed and what role it plays.
type ParseOptions struct {
	ID   string     // names the policy in errors
	Type PolicyType // decides whether Principal is allowed
}

// Parse reads an IAM JSON policy document strictly: unknown elements, values
// of the wrong JSON type, duplicate keys, both Action and NotAction, a missing
// Effect, and a Principal outside a resource-based policy are errors. On
// failure the error is an Errors listing every problem found, each with its
// line and column.
//
// Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
func Parse(src []byte, opts ParseOptions) (*Document, error) {
	p := &parser{opts: opts}
	root, err := jsonpos.Parse(src, jsonpos.Limits{MaxDepth: maxDepth})
	if err != nil {
		var se *jsonpos.SyntaxError
		if !errors.As(err, &se) {
			return nil, err
		}
		p.add(-1, "", "", pos(se.Pos), CodeSyntax, "invalid JSON: %s", se.Msg)
		return nil, p.errs
	}
	doc := &Document{ID: opts.ID, Type: opts.Type, Size: sizeWithoutSpace(src)}
	p.document(root, doc)
	if len(p.errs) > 0 {
		sortErrors(p.errs)
		return nil, p.errs
	}
	return doc, nil
}

type parser struct {
	opts ParseOptions
	errs Errors
}

// statementCtx names the statement a problem belongs to.
type statementCtx struct {
	index int
	sid   string
}

func pos(p jsonpos.Pos) Pos { return Pos{Line: p.Line, Col: p.Col} }

func (p *parser) add(stmt int, sid, field string, at Pos, code Code, format string, args ...any) {
	if len(p.errs) == maxErrors {
		p.errs = append(p.errs, &PolicyError{PolicyID: p.opts.ID, Statement: -1, Code: CodeTooManyErrors,
			Msg: fmt.Sprintf("more than %d problems; stopped reporting", maxErrors)})
	}
	if len(p.errs) > maxErrors {
		return
	}
	p.errs = append(p.errs, &PolicyError{
		PolicyID: p.opts.ID, Statement: stmt, Sid: sid, Field: field,
		Line: at.Line, Col: at.Col, Code: code, Msg: fmt.Sprintf(format, args...),
	})
}

func (p *parser) addIn(s statementCtx, field string, at Pos, code Code, format string, args ...any) {
	p.add(s.index, s.sid, field, at, code, format, args...)
}

func (p *parser) document(root *jsonpos.Value, doc *Document) {
	if root.Kind != jsonpos.Object {
		p.add(-1, "", "", pos(root.Pos), CodeWrongType, "a policy document must be a JSON object, not %s", root.Kind)
		return
	}
	var stmts *jsonpos.Value
	for _, m := range root.Members {
		switch m.Key {
		case "Version":
			doc.Version = p.version(m.Value)
		case "Id":
			if s, ok := p.str(statementCtx{index: -1}, "Id", m.Value); ok {
				doc.IDElement = s
			}
		case "Statement":
			stmts = m.Value
		default:
			p.add(-1, "", m.Key, pos(m.KeyPos), CodeUnknownElement,
				"unknown element %q (a policy has Version, Id and Statement)%s", m.Key, Suggest(m.Key, documentElements))
		}
	}
	if stmts == nil {
		p.add(-1, "", "Statement", pos(root.Pos), CodeMissingElement, "missing Statement")
		return
	}
	switch stmts.Kind {
	case jsonpos.Object:
		doc.Statements = append(doc.Statements, p.statement(0, stmts))
	case jsonpos.Array:
		for i, v := range stmts.Elems {
			if v.Kind != jsonpos.Object {
				p.add(i, "", "", pos(v.Pos), CodeWrongType, "a statement must be an object, not %s", v.Kind)
				continue
			}
			doc.Statements = append(doc.Statements, p.statement(i, v))
		}
	default:
		p.add(-1, "", "Statement", pos(stmts.Pos), CodeWrongType,
			"Statement must be an object or an array of objects, not %s", stmts.Kind)
	}
}

func (p *parser) version(v *jsonpos.Value) string {
	s, ok := p.str(statementCtx{index: -1}, "Version", v)
	if !ok {
		return ""
	}
	if s != VersionCurrent && s != VersionLegacy {
		p.add(-1, "", "Version", pos(v.Pos), CodeInvalidValue,
			"Version must be %q or %q, not %q", VersionCurrent, VersionLegacy, s)
	}
	return s
}

var (
	documentElements  = []string{"Version", "Id", "Statement"}
	statementElements = []string{"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
		"Principal", "NotPrincipal", "Condition"}
)

func (p *parser) statement(index int, v *jsonpos.Value) *Statement {
	st := &Statement{Index: index, Pos: pos(v.Pos)}
	sc := statementCtx{index: index}
	// The Sid goes first so that every later problem can name it.
	if m, ok := v.Get("Sid"); ok {
		if s, ok := p.str(sc, "Sid", m.Value); ok {
			st.Sid, sc.sid = s, s
		}
	}
	hasEffect := false
	for _, m := range v.Members {
		switch m.Key {
		case "Sid":
		case "Effect":
			hasEffect = true
			st.Effect = p.effect(sc, m.Value)
		case "Action":
			st.Action, st.ActionPos = p.stringList(sc, "Action", m.Value), pos(m.KeyPos)
		case "NotAction":
			st.NotAction, st.ActionPos = p.stringList(sc, "NotAction", m.Value), pos(m.KeyPos)
		case "Resource":
			st.Resource, st.ResourcePos = p.stringList(sc, "Resource", m.Value), pos(m.KeyPos)
		case "NotResource":
			st.NotResource, st.ResourcePos = p.stringList(sc, "NotResource", m.Value), pos(m.KeyPos)
		case "Principal":
			st.Principal, st.PrincipalPos = p.principal(sc, "Principal", m.Value), pos(m.KeyPos)
		case "NotPrincipal":
			st.NotPrincipal, st.PrincipalPos = p.principal(sc, "NotPrincipal", m.Value), pos(m.KeyPos)
		case "Condition":
			st.Conditions, st.ConditionPos = p.conditions(sc, m.Value), pos(m.KeyPos)
		default:
			p.addIn(sc, m.Key, pos(m.KeyPos), CodeUnknownElement,
				"unknown element %q%s", m.Key, Suggest(m.Key, statementElements))
		}
	}
	p.statementShape(sc, v, st, hasEffect)
	return st
}

// statementShape checks which elements a statement must have, may not
// combine, and may hold in this type of policy.
func (p *parser) statementShape(sc statementCtx, v *jsonpos.Value, st *Statement, hasEffect bool) {
	at := pos(v.Pos)
	if !hasEffect {
		p.addIn(sc, "Effect", at, CodeMissingElement, `missing Effect ("Allow" or "Deny")`)
	}
	p.exclusive(sc, v, "Action", "NotAction", true)
	p.exclusive(sc, v, "Resource", "NotResource", true)
	if p.opts.Type == ResourcePolicy {
		p.exclusive(sc, v, "Principal", "NotPrincipal", true)
		return
	}
	for _, name := range []string{"Principal", "NotPrincipal"} {
		if m, ok := v.Get(name); ok {
			p.addIn(sc, name, pos(m.KeyPos), CodePrincipalNotAllowed,
				"%s is not allowed in %s policies (only resource-based policies name principals)", name, p.opts.Type)
		}
	}
}

// exclusive requires exactly one of two paired elements (or at most one when
// required is false).
func (p *parser) exclusive(sc statementCtx, v *jsonpos.Value, a, b string, required bool) {
	ma, okA := v.Get(a)
	_, okB := v.Get(b)
	switch {
	case okA && okB:
		p.addIn(sc, a, pos(ma.KeyPos), CodeConflictingElements, "a statement cannot have both %s and %s", a, b)
	case !okA && !okB && required:
		p.addIn(sc, a, pos(v.Pos), CodeMissingElement, "missing %s or %s", a, b)
	}
}

func (p *parser) effect(sc statementCtx, v *jsonpos.Value) Effect {
	s, ok := p.str(sc, "Effect", v)
	switch {
	case !ok:
	case s == "Allow":
		return EffectAllow
	case s == "Deny":
		return EffectDeny
	default:
		p.addIn(sc, "Effect", pos(v.Pos), CodeInvalidValue, `Effect must be "Allow" or "Deny", not %q`, s)
	}
	return EffectAllow
}

func (p *parser) str(sc statementCtx, field string, v *jsonpos.Value) (string, bool) {
	if v.Kind != jsonpos.String {
		p.addIn(sc, field, pos(v.Pos), CodeWrongType, "%s must be a string, not %s", field, v.Kind)
		return "", false
	}
	return v.Str, true
}

// stringList reads an element that is one string or a non-empty array of
// strings (Action, Resource and their Not forms).
func (p *parser) stringList(sc statementCtx, field string, v *jsonpos.Value) []Text {
	switch v.Kind {
	case jsonpos.String:
		if v.Str == "" {
			p.addIn(sc, field, pos(v.Pos), CodeInvalidValue, "%s must not be empty", field)
		}
		return []Text{{Value: v.Str, Pos: pos(v.Pos)}}
	case jsonpos.Array:
		if len(v.Elems) == 0 {
			p.addIn(sc, field, pos(v.Pos), CodeInvalidValue, "%s must list at least one value", field)
		}
		out := make([]Text, 0, len(v.Elems))
		for i, e := range v.Elems {
			f := fmt.Sprintf("%s[%d]", field, i)
			if e.Kind != jsonpos.String {
				p.addIn(sc, f, pos(e.Pos), CodeWrongType, "%s must be a string, not %s", f, e.Kind)
				continue
			}
			if e.Str == "" {
				p.addIn(sc, f, pos(e.Pos), CodeInvalidValue, "%s must not be empty", f)
			}
			out = append(out, Text{Value: e.Str, Pos: pos(e.Pos)})
		}
		return out
	}
	p.addIn(sc, field, pos(v.Pos), CodeWrongType, "%s must be a string or an array of strings, not %s", field, v.Kind)
	return []Text{}
}

var principalTypes = []string{"AWS", "Service", "Federated", "CanonicalUser"}

// principal reads "*" or an object mapping principal types to one ARN,
// account id or service name, or a list of them.
func (p *parser) principal(sc statementCtx, field string, v *jsonpos.Value) *Principal {
	pr := &Principal{}
	switch v.Kind {
	case jsonpos.String:
		if v.Str != "*" {
			p.addIn(sc, field, pos(v.Pos), CodeInvalidValue,
				`%s must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}, not %q`, field, v.Str)
		}
		pr.Any = true
		return pr
	case jsonpos.Object:
	default:
		p.addIn(sc, field, pos(v.Pos), CodeWrongType, "%s must be \"*\" or an object, not %s", field, v.Kind)
		return pr
	}
	if len(v.Members) == 0 {
		p.addIn(sc, field, pos(v.Pos), CodeInvalidValue, "%s must name at least one principal", field)
	}
	for _, m := range v.Members {
		f := field + "." + m.Key
		if !slices.Contains(principalTypes, m.Key) {
			p.addIn(sc, f, pos(m.KeyPos), CodeInvalidValue,
				"unknown principal type %q (expected AWS, Service, Federated or CanonicalUser)%s", m.Key, Suggest(m.Key, principalTypes))
			continue
		}
		for _, t := range p.stringList(sc, f, m.Value) {
			if m.Key == "AWS" && t.Value == "*" {
				pr.Any = true
			}
			pr.Entries = append(pr.Entries, PrincipalEntry{Type: m.Key, Value: t.Value, Pos: t.Pos})
		}
	}
	return pr
}

// conditions reads {"Operator": {"key": value or [values]}}. Operators and
// keys are checked by Validate; here only the JSON shape is.
func (p *parser) conditions(sc statementCtx, v *jsonpos.Value) []*Condition {
	if v.Kind != jsonpos.Object {
		p.addIn(sc, "Condition", pos(v.Pos), CodeWrongType, "Condition must be an object, not %s", v.Kind)
		return nil
	}
	var out []*Condition
	for _, op := range v.Members {
		f := "Condition." + op.Key
		if op.Value.Kind != jsonpos.Object {
			p.addIn(sc, f, pos(op.Value.Pos), CodeWrongType,
				"condition operator %q must map condition keys to values, not be %s", op.Key, op.Value.Kind)
			continue
		}
		if len(op.Value.Members) == 0 {
			p.addIn(sc, f, pos(op.Value.Pos), CodeInvalidValue, "condition operator %q tests no condition key", op.Key)
		}
		for _, key := range op.Value.Members {
			c := &Condition{Operator: op.Key, OperatorPos: pos(op.KeyPos), Key: key.Key, KeyPos: pos(key.KeyPos)}
			c.Values = p.condValues(sc, f+"."+key.Key, key.Value)
			out = append(out, c)
		}
	}
	return out
}

func (p *parser) condValues(sc statementCtx, field string, v *jsonpos.Value) []CondValue {
	if v.Kind != jsonpos.Array {
		if cv, ok := p.condValue(sc, field, v); ok {
			return []CondValue{cv}
		}
		return nil
	}
	out := make([]CondValue, 0, len(v.Elems))
	for i, e := range v.Elems {
		if cv, ok := p.condValue(sc, fmt.Sprintf("%s[%d]", field, i), e); ok {
			out = append(out, cv)
		}
	}
	return out
}

func (p *parser) condValue(sc statementCtx, field string, v *jsonpos.Value) (CondValue, bool) {
	cv := CondValue{Text: v.Str, Pos: pos(v.Pos)}
	switch v.Kind {
	case jsonpos.String:
		cv.Kind = KindString
	case jsonpos.Number:
		cv.Kind = KindNumber
	case jsonpos.Bool:
		cv.Kind, cv.Text = KindBool, "false"
		if v.Bool {
			cv.Text = "true"
		}
	default:
		p.addIn(sc, field, pos(v.Pos), CodeWrongType,
			"a condition value must be a string, number or boolean, not %s", v.Kind)
		return cv, false
	}
	return cv, true
}

// sizeWithoutSpace counts the characters of src outside JSON white space, the
// measure AWS applies to policy size quotas.
func sizeWithoutSpace(src []byte) int {
	n := 0
	for _, r := range string(src) {
		switch r {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}
