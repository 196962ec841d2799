package engine

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pdp-dev/pdp/pkg/jsonpos"
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
// line and column; text that is not JSON gets one problem, the first found.
//
// The document is built straight from the JSON text, without a tree in
// between, and keeps nothing of the text but its values, packed together.
//
// Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
func Parse(src []byte, opts ParseOptions) (*Document, error) {
	p := newParser(src, opts)
	defer p.release()
	doc := Document{ID: opts.ID, Type: opts.Type}
	p.document(&doc)
	p.dec.Finish()
	if err := p.dec.Err(); err != nil {
		var se *jsonpos.SyntaxError
		if !errors.As(err, &se) {
			return nil, err
		}
		return nil, Errors{{PolicyID: opts.ID, Statement: -1, Line: se.Pos.Line, Col: se.Pos.Col,
			Code: CodeSyntax, Msg: "invalid JSON: " + se.Msg}}
	}
	if errs := p.errors(); len(errs) > 0 {
		return nil, errs
	}
	doc.Size = p.dec.CharsWithoutSpace()
	return p.pack(doc), nil
}

// parser holds the state of one Parse.
type parser struct {
	opts ParseOptions
	dec  jsonpos.Decoder

	// Problems go to docErrs while the document's own elements are read and
	// to stmtErrs while the Statement element is, and are reported in that
	// order whatever the order of the elements in the text; cur is the list
	// being filled.
	docErrs, stmtErrs errList
	cur               *errList

	// What the statements hold, until pack moves it into the document:
	// slices of these arrays, or of their earlier backing arrays once they
	// have grown.
	stmts    []*Statement
	texts    []Text
	conds    []Condition
	condPtrs []*Condition
	vals     []CondValue
	// The first backing arrays of those, enough for a typical policy.
	stmtArr    [2]*Statement
	firstStmt  Statement // the first statement, until pack
	textArr    [8]Text
	condArr    [2]Condition
	condPtrArr [2]*Condition
	valArr     [4]CondValue
}

// parsers holds parsers between calls of Parse. A parser is a kilobyte
// of scratch (its first arrays and the decoder's), which loading ten
// thousand policies would otherwise allocate and collect ten thousand
// times. A parser in the pool holds nothing of the document it read.
var parsers = sync.Pool{New: func() any { return new(parser) }}

func newParser(src []byte, opts ParseOptions) *parser {
	p := parsers.Get().(*parser)
	p.opts = opts
	// Borrowed: every string a parse keeps is copied, by pack on success
	// and by errors on failure, so views of src do not outlive the call;
	// copying each document first was a tenth of what a load allocates.
	p.dec.ResetBorrowed(src, jsonpos.Limits{MaxDepth: maxDepth})
	p.cur = &p.docErrs
	p.stmts, p.texts, p.conds = p.stmtArr[:0], p.textArr[:0], p.condArr[:0]
	p.condPtrs, p.vals = p.condPtrArr[:0], p.valArr[:0]
	return p
}

// release empties the parser, so that it refers to nothing the document
// refers to, and returns it to the pool.
func (p *parser) release() {
	p.dec.Reset(nil, jsonpos.Limits{})
	p.opts = ParseOptions{}
	p.docErrs, p.stmtErrs, p.cur = errList{}, errList{}, nil
	p.stmts, p.texts, p.conds, p.condPtrs, p.vals = nil, nil, nil, nil, nil
	clear(p.stmtArr[:])
	p.firstStmt = Statement{}
	clear(p.textArr[:])
	clear(p.condArr[:])
	clear(p.condPtrArr[:])
	clear(p.valArr[:])
	parsers.Put(p)
}

// errList keeps the first maxErrors problems added, and counts them all.
type errList struct {
	errs Errors
	n    int
}

func (l *errList) insert(i int, e *PolicyError) {
	l.n++
	if i >= maxErrors {
		return
	}
	l.errs = slices.Insert(l.errs, i, e)
	if len(l.errs) > maxErrors {
		l.errs = l.errs[:maxErrors]
	}
}

// errors returns the problems found, sorted, with a TOO_MANY_ERRORS problem
// in place of those beyond maxErrors.
func (p *parser) errors() Errors {
	all := append(p.docErrs.errs, p.stmtErrs.errs...)
	if p.docErrs.n+p.stmtErrs.n > maxErrors {
		all = append(all[:maxErrors], &PolicyError{PolicyID: p.opts.ID, Statement: -1, Code: CodeTooManyErrors,
			Msg: fmt.Sprintf("more than %d problems; stopped reporting", maxErrors)})
	}
	sortErrors(all)
	for _, e := range all {
		// Sid and Field may be views of the borrowed input (newParser).
		e.Sid, e.Field = strings.Clone(e.Sid), strings.Clone(e.Field)
	}
	return all
}

// statementCtx names the statement a problem belongs to. Its Sid is set on
// the statement's problems once the whole statement is read.
type statementCtx struct {
	index int
}

var documentCtx = statementCtx{index: -1}

func pos(p jsonpos.Pos) Pos { return Pos{Line: p.Line, Col: p.Col} }

func (p *parser) add(sc statementCtx, field string, at jsonpos.Pos, code Code, format string, args ...any) {
	p.insert(len(p.cur.errs), sc, field, at, code, format, args...)
}

// insert adds a problem at index i of the current list.
func (p *parser) insert(i int, sc statementCtx, field string, at jsonpos.Pos, code Code, format string, args ...any) {
	if i >= maxErrors {
		p.cur.n++ // beyond what is reported: only counted
		return
	}
	p.cur.insert(i, &PolicyError{
		PolicyID: p.opts.ID, Statement: sc.index, Field: field,
		Line: at.Line, Col: at.Col, Code: code, Msg: fmt.Sprintf(format, args...),
	})
}

var (
	documentElements  = []string{"Version", "Id", "Statement"}
	statementElements = []string{"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
		"Principal", "NotPrincipal", "Condition"}
)

func (p *parser) document(doc *Document) {
	d := &p.dec
	root, rootPos := d.Peek()
	if root != jsonpos.Object {
		p.add(documentCtx, "", rootPos, CodeWrongType, "a policy document must be a JSON object, not %s", root)
		d.Skip()
		return
	}
	hasStatement := false
	d.BeginObject()
	for {
		key, keyPos, ok := d.NextKey()
		if !ok {
			break
		}
		switch key {
		case "Version":
			doc.Version = p.version()
		case "Id":
			if s, _, ok := p.str(documentCtx, "Id"); ok {
				doc.IDElement = s
			}
		case "Statement":
			hasStatement = true
			p.cur = &p.stmtErrs
			p.statements()
			p.cur = &p.docErrs
		default:
			p.add(documentCtx, key, keyPos, CodeUnknownElement,
				"unknown element %q (a policy has Version, Id and Statement)%s", key, Suggest(key, documentElements))
			d.Skip()
		}
	}
	if !hasStatement {
		p.add(documentCtx, "Statement", rootPos, CodeMissingElement, "missing Statement")
	}
}

// statements reads the value of the Statement element.
func (p *parser) statements() {
	d := &p.dec
	switch kind, at := d.Peek(); kind {
	case jsonpos.Object:
		p.statement(0, at)
	case jsonpos.Array:
		d.BeginArray()
		for i := 0; d.NextElem(); i++ {
			k, at := d.Peek()
			if k != jsonpos.Object {
				p.add(statementCtx{index: i}, "", at, CodeWrongType, "a statement must be an object, not %s", k)
				d.Skip()
				continue
			}
			p.statement(i, at)
		}
	default:
		p.add(documentCtx, "Statement", at, CodeWrongType,
			"Statement must be an object or an array of objects, not %s", kind)
		d.Skip()
	}
}

func (p *parser) version() string {
	s, at, ok := p.str(documentCtx, "Version")
	if !ok {
		return ""
	}
	switch s {
	case VersionCurrent:
		return VersionCurrent
	case VersionLegacy:
		return VersionLegacy
	}
	p.add(documentCtx, "Version", at, CodeInvalidValue,
		"Version must be %q or %q, not %q", VersionCurrent, VersionLegacy, s)
	return s
}

// The elements of a statement, for remembering which ones it has.
const (
	elemAction = iota
	elemNotAction
	elemResource
	elemNotResource
	elemPrincipal
	elemNotPrincipal
	numElems
)

var elemNames = [numElems]string{"Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal"}

// statementKeys says which paired elements a statement has, and where.
type statementKeys struct {
	has [numElems]bool
	at  [numElems]jsonpos.Pos
}

func (k *statementKeys) set(e int, at jsonpos.Pos) { k.has[e], k.at[e] = true, at }

// statement reads the statement object at at, and adds it to p.stmts.
func (p *parser) statement(index int, at jsonpos.Pos) {
	d := &p.dec
	st := &p.firstStmt
	if len(p.stmts) > 0 {
		st = new(Statement)
	}
	*st = Statement{Index: index, Pos: pos(at)}
	sc := statementCtx{index: index}
	first := len(p.cur.errs)
	var keys statementKeys
	hasEffect := false
	d.BeginObject()
	for {
		key, keyPos, ok := d.NextKey()
		if !ok {
			break
		}
		switch key {
		case "Sid":
			st.Sid = p.sid(sc, first)
		case "Effect":
			hasEffect = true
			st.Effect = p.effect(sc)
		case "Action":
			keys.set(elemAction, keyPos)
			st.Action, st.ActionPos = p.stringList(sc, "Action", ""), pos(keyPos)
		case "NotAction":
			keys.set(elemNotAction, keyPos)
			st.NotAction, st.ActionPos = p.stringList(sc, "NotAction", ""), pos(keyPos)
		case "Resource":
			keys.set(elemResource, keyPos)
			st.Resource, st.ResourcePos = p.stringList(sc, "Resource", ""), pos(keyPos)
		case "NotResource":
			keys.set(elemNotResource, keyPos)
			st.NotResource, st.ResourcePos = p.stringList(sc, "NotResource", ""), pos(keyPos)
		case "Principal":
			keys.set(elemPrincipal, keyPos)
			st.Principal, st.PrincipalPos = p.principal(sc, "Principal"), pos(keyPos)
		case "NotPrincipal":
			keys.set(elemNotPrincipal, keyPos)
			st.NotPrincipal, st.PrincipalPos = p.principal(sc, "NotPrincipal"), pos(keyPos)
		case "Condition":
			st.Conditions, st.ConditionPos = p.conditions(sc), pos(keyPos)
		default:
			p.add(sc, key, keyPos, CodeUnknownElement, "unknown element %q%s", key, Suggest(key, statementElements))
			d.Skip()
		}
	}
	p.statementShape(sc, at, &keys, hasEffect)
	if st.Sid != "" {
		for _, e := range p.cur.errs[min(first, len(p.cur.errs)):] {
			e.Sid = st.Sid
		}
	}
	p.stmts = append(p.stmts, st)
}

// sid reads the Sid. A problem with it goes first among the statement's
// problems, which start at index first, as the Sid is what names the
// statement.
func (p *parser) sid(sc statementCtx, first int) string {
	d := &p.dec
	if k, at := d.Peek(); k != jsonpos.String {
		p.insert(first, sc, "Sid", at, CodeWrongType, "%s must be a string, not %s", "Sid", k)
		d.Skip()
		return ""
	}
	return d.ReadString()
}

// statementShape checks which elements a statement must have, may not
// combine, and may hold in this type of policy.
func (p *parser) statementShape(sc statementCtx, at jsonpos.Pos, k *statementKeys, hasEffect bool) {
	if !hasEffect {
		p.add(sc, "Effect", at, CodeMissingElement, `missing Effect ("Allow" or "Deny")`)
	}
	p.exclusive(sc, at, k, elemAction, "Action", "NotAction")
	p.exclusive(sc, at, k, elemResource, "Resource", "NotResource")
	if p.opts.Type == ResourcePolicy {
		p.exclusive(sc, at, k, elemPrincipal, "Principal", "NotPrincipal")
		return
	}
	for _, e := range [...]int{elemPrincipal, elemNotPrincipal} {
		if name := elemNames[e]; k.has[e] {
			p.add(sc, name, k.at[e], CodePrincipalNotAllowed,
				"%s is not allowed in %s policies (only resource-based policies name principals)", name, p.opts.Type)
		}
	}
}

// exclusive requires exactly one of the elements e and e+1, named a and b.
func (p *parser) exclusive(sc statementCtx, at jsonpos.Pos, k *statementKeys, e int, a, b string) {
	switch {
	case k.has[e] && k.has[e+1]:
		p.add(sc, a, k.at[e], CodeConflictingElements, "a statement cannot have both %s and %s", a, b)
	case !k.has[e] && !k.has[e+1]:
		p.add(sc, a, at, CodeMissingElement, "missing %s or %s", a, b)
	}
}

func (p *parser) effect(sc statementCtx) Effect {
	s, at, ok := p.str(sc, "Effect")
	switch {
	case !ok:
	case s == "Allow":
		return EffectAllow
	case s == "Deny":
		return EffectDeny
	default:
		p.add(sc, "Effect", at, CodeInvalidValue, `Effect must be "Allow" or "Deny", not %q`, s)
	}
	return EffectAllow
}

// str reads a value that must be a string, and returns its position.
func (p *parser) str(sc statementCtx, field string) (string, jsonpos.Pos, bool) {
	d := &p.dec
	k, at := d.Peek()
	if k != jsonpos.String {
		p.add(sc, field, at, CodeWrongType, "%s must be a string, not %s", field, k)
		d.Skip()
		return "", at, false
	}
	return d.ReadString(), at, true
}

// joinField returns name, or name.sub when sub is not empty.
func joinField(name, sub string) string {
	if sub == "" {
		return name
	}
	return name + "." + sub
}

// stringList reads an element that is one string or a non-empty array of
// strings (Action, Resource and their Not forms, and the lists of a
// Principal). The element is name, or name.sub; its text is made only for
// a problem. The result is never nil.
func (p *parser) stringList(sc statementCtx, name, sub string) []Text {
	d := &p.dec
	switch kind, at := d.Peek(); kind {
	case jsonpos.String:
		s := d.ReadString()
		if s == "" {
			field := joinField(name, sub)
			p.add(sc, field, at, CodeInvalidValue, "%s must not be empty", field)
		}
		k := len(p.texts)
		p.texts = append(p.texts, Text{Value: s, Pos: pos(at)})
		return p.texts[k:len(p.texts):len(p.texts)]
	case jsonpos.Array:
		k := len(p.texts)
		d.BeginArray()
		i := 0
		for ; d.NextElem(); i++ {
			k, eat := d.Peek()
			if k != jsonpos.String {
				f := joinField(name, sub) + "[" + strconv.Itoa(i) + "]"
				p.add(sc, f, eat, CodeWrongType, "%s must be a string, not %s", f, k)
				d.Skip()
				continue
			}
			s := d.ReadString()
			if s == "" {
				f := joinField(name, sub) + "[" + strconv.Itoa(i) + "]"
				p.add(sc, f, eat, CodeInvalidValue, "%s must not be empty", f)
			}
			p.texts = append(p.texts, Text{Value: s, Pos: pos(eat)})
		}
		if i == 0 {
			field := joinField(name, sub)
			p.add(sc, field, at, CodeInvalidValue, "%s must list at least one value", field)
		}
		return p.texts[k:len(p.texts):len(p.texts)]
	default:
		field := joinField(name, sub)
		p.add(sc, field, at, CodeWrongType, "%s must be a string or an array of strings, not %s", field, kind)
		d.Skip()
		return p.texts[len(p.texts):len(p.texts):len(p.texts)]
	}
}

var principalTypes = []string{"AWS", "Service", "Federated", "CanonicalUser"}

// principal reads "*" or an object mapping principal types to one ARN,
// account id or service name, or a list of them.
func (p *parser) principal(sc statementCtx, field string) *Principal {
	d := &p.dec
	pr := &Principal{}
	kind, at := d.Peek()
	switch kind {
	case jsonpos.String:
		if s := d.ReadString(); s != "*" {
			p.add(sc, field, at, CodeInvalidValue,
				`%s must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}, not %q`, field, s)
		}
		pr.Any = true
		return pr
	case jsonpos.Object:
	default:
		p.add(sc, field, at, CodeWrongType, "%s must be \"*\" or an object, not %s", field, kind)
		d.Skip()
		return pr
	}
	d.BeginObject()
	for n := 0; ; n++ {
		key, keyPos, ok := d.NextKey()
		if !ok {
			if n == 0 {
				p.add(sc, field, at, CodeInvalidValue, "%s must name at least one principal", field)
			}
			break
		}
		i := slices.Index(principalTypes, key)
		if i < 0 {
			p.add(sc, field+"."+key, keyPos, CodeInvalidValue,
				"unknown principal type %q (expected AWS, Service, Federated or CanonicalUser)%s", key, Suggest(key, principalTypes))
			d.Skip()
			continue
		}
		typ := principalTypes[i]
		for _, t := range p.stringList(sc, field, typ) {
			if typ == "AWS" && t.Value == "*" {
				pr.Any = true
			}
			pr.Entries = append(pr.Entries, PrincipalEntry{Type: typ, Value: t.Value, Pos: t.Pos})
		}
	}
	return pr
}

// conditions reads {"Operator": {"key": value or [values]}}. Operators and
// keys are checked by Validate; here only the JSON shape is.
func (p *parser) conditions(sc statementCtx) []*Condition {
	d := &p.dec
	if k, at := d.Peek(); k != jsonpos.Object {
		p.add(sc, "Condition", at, CodeWrongType, "Condition must be an object, not %s", k)
		d.Skip()
		return nil
	}
	first := len(p.condPtrs)
	d.BeginObject()
	for {
		op, opPos, ok := d.NextKey()
		if !ok {
			break
		}
		k, at := d.Peek()
		if k != jsonpos.Object {
			p.add(sc, "Condition."+op, at, CodeWrongType,
				"condition operator %q must map condition keys to values, not be %s", op, k)
			d.Skip()
			continue
		}
		d.BeginObject()
		for n := 0; ; n++ {
			key, keyPos, ok := d.NextKey()
			if !ok {
				if n == 0 {
					p.add(sc, "Condition."+op, at, CodeInvalidValue, "condition operator %q tests no condition key", op)
				}
				break
			}
			c := Condition{Operator: op, OperatorPos: pos(opPos), Key: key, KeyPos: pos(keyPos)}
			c.Values = p.condValues(sc, op, key)
			p.conds = append(p.conds, c)
			p.condPtrs = append(p.condPtrs, &p.conds[len(p.conds)-1])
		}
	}
	if len(p.condPtrs) == first {
		return nil
	}
	return p.condPtrs[first:len(p.condPtrs):len(p.condPtrs)]
}

func (p *parser) condValues(sc statementCtx, op, key string) []CondValue {
	d := &p.dec
	k := len(p.vals)
	if kind, _ := d.Peek(); kind != jsonpos.Array {
		if cv, ok := p.condValue(sc, op, key, -1); ok {
			p.vals = append(p.vals, cv)
			return p.vals[k:len(p.vals):len(p.vals)]
		}
		return nil
	}
	d.BeginArray()
	for i := 0; d.NextElem(); i++ {
		if cv, ok := p.condValue(sc, op, key, i); ok {
			p.vals = append(p.vals, cv)
		}
	}
	return p.vals[k:len(p.vals):len(p.vals)]
}

// condValue reads one condition value, element i of a list (-1 for a lone
// value).
func (p *parser) condValue(sc statementCtx, op, key string, i int) (CondValue, bool) {
	d := &p.dec
	kind, at := d.Peek()
	cv := CondValue{Pos: pos(at)}
	switch kind {
	case jsonpos.String:
		cv.Kind, cv.Text = KindString, d.ReadString()
	case jsonpos.Number:
		cv.Kind = KindNumber
		cv.Text, _ = d.ReadScalar()
	case jsonpos.Bool:
		cv.Kind, cv.Text = KindBool, "false"
		if _, b := d.ReadScalar(); b {
			cv.Text = "true"
		}
	default:
		field := "Condition." + op + "." + key
		if i >= 0 {
			field += "[" + strconv.Itoa(i) + "]"
		}
		p.add(sc, field, at, CodeWrongType,
			"a condition value must be a string, number or boolean, not %s", kind)
		d.Skip()
		return cv, false
	}
	return cv, true
}
