package engine

import (
	"fmt"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// A PolicySet is a group of policy documents of one type compiled for fast
// evaluation: the identity policies of a principal, the session policies of
// a session, one level of SCPs, a resource policy or a boundary.
//
// A set refers to its documents' compiled statements rather than holding
// copies, so that a document many sets share (a managed policy attached to
// thousands of principals) is compiled and kept once. Statements are indexed
// by action, so a request only looks at statements whose Action (or
// NotAction) can cover it. A PolicySet is immutable and safe for concurrent
// use.
type PolicySet struct {
	typ  PolicyType
	cat  *catalog.Catalog
	docs []*CompiledDocument
	n    int // statements in all
	// every lists the statements that cover every catalog action; index
	// finds the others by action.
	every []*statement
	index actionIndex
	// res finds the statements of a large set by the literal pieces of
	// their Resource patterns, for decisions that are not explained; nil
	// for a small set.
	res *resourceIndex
}

// statement is one compiled statement.
type statement struct {
	policy      string // the ID of its document
	sid         string
	actions     []actionPattern // shared by the statements with the same list
	resources   []pattern
	resourceSrc []string // the Resource or NotResource patterns as written
	principal   *principalMatcher
	conds       []cond
	// covers lists, in increasing order, the IDs of the catalog actions
	// the statement covers, unless coversAll.
	covers []int32
	index  int32
	effect Effect
	// The flags are kept together, after the words, so that a set of ten
	// thousand statements does not pay padding for each.
	notAction   bool
	notResource bool
	notPrinc    bool
	coversAll   bool
}

// Type returns the type of the documents in the set.
func (ps *PolicySet) Type() PolicyType { return ps.typ }

// Len returns the number of statements.
func (ps *PolicySet) Len() int { return ps.n }

// Policies returns the IDs of the documents in the set, in compile order.
func (ps *PolicySet) Policies() []string {
	ids := make([]string, len(ps.docs))
	for i, d := range ps.docs {
		ids[i] = d.id
	}
	return ids
}

// A CompiledDocument is one policy document compiled on its own: its
// statements ready to evaluate, each with the catalog actions it covers.
// Policy sets are assembled from compiled documents by [NewPolicySet]
// without compiling them again, so a document shared by many sets is
// compiled once. A CompiledDocument is immutable and safe for concurrent
// use.
type CompiledDocument struct {
	id         string
	typ        PolicyType
	cat        *catalog.Catalog
	statements []statement
}

// ID returns the ID of the document.
func (cd *CompiledDocument) ID() string { return cd.id }

// Type returns the type of the document.
func (cd *CompiledDocument) Type() PolicyType { return cd.typ }

// Catalog returns the catalog the document was compiled against.
func (cd *CompiledDocument) Catalog() *catalog.Catalog { return cd.cat }

// Compile builds a PolicySet from parsed documents, which must all have the
// same type. It fails only on what cannot be evaluated (an unknown condition
// operator, documents of mixed types); everything else that is suspect is
// Validate's to report.
func Compile(cat *catalog.Catalog, docs ...*Document) (*PolicySet, error) {
	cds := make([]*CompiledDocument, len(docs))
	var errs Errors
	sh := newSharer(cat)
	defer sh.release()
	for i, d := range docs {
		if i > 0 && d.Type != docs[0].Type {
			return nil, fmt.Errorf("compile: policy %q is a %s policy in a set of %s policies", d.ID, d.Type, docs[0].Type)
		}
		cd, derrs := compileDocument(sh, d)
		errs = append(errs, derrs...)
		cds[i] = cd
	}
	if err := errs.Err(); err != nil {
		sortErrors(errs)
		return nil, err
	}
	return NewPolicySet(cat, cds...)
}

// CompileDocument compiles one parsed document against cat, for
// [NewPolicySet] to assemble into sets. It fails as Compile does, only on
// what cannot be evaluated.
func CompileDocument(cat *catalog.Catalog, d *Document) (*CompiledDocument, error) {
	sh := newSharer(cat)
	defer sh.release()
	cd, errs := compileDocument(sh, d)
	if err := errs.Err(); err != nil {
		sortErrors(errs)
		return nil, err
	}
	return cd, nil
}

// oneStatementCompiled is a compiled document of one statement, the usual
// kind, in one allocation.
type oneStatementCompiled struct {
	doc CompiledDocument
	st  [1]statement
}

func compileDocument(sh *sharer, d *Document) (*CompiledDocument, Errors) {
	var cd *CompiledDocument
	if len(d.Statements) == 1 {
		one := new(oneStatementCompiled)
		cd = &one.doc
		cd.statements = one.st[:]
	} else {
		cd = &CompiledDocument{statements: make([]statement, len(d.Statements))}
	}
	cd.id, cd.typ, cd.cat = d.ID, d.Type, sh.cat
	var errs Errors
	for i, st := range d.Statements {
		serrs := compileStatement(sh, &cd.statements[i], d, st)
		errs = append(errs, serrs...)
	}
	return cd, errs
}

// NewPolicySet assembles a PolicySet from compiled documents, which must
// all have the same type and have been compiled against cat. The set
// shares the documents' statements; only its action index is new.
func NewPolicySet(cat *catalog.Catalog, docs ...*CompiledDocument) (*PolicySet, error) {
	var b SetBuilder
	return b.NewPolicySet(cat, docs...)
}

// A SetBuilder assembles policy sets as NewPolicySet does, keeping from
// one set to the next the room it needs while it indexes one, so that a
// build that assembles a set for each of a hundred thousand principals
// allocates little more than what the sets keep. The zero SetBuilder is
// ready to use; it is not safe for concurrent use.
type SetBuilder struct {
	stmts  []*statement
	counts []int32 // by action ID
}

// NewPolicySet is [NewPolicySet] with the builder's room.
func (b *SetBuilder) NewPolicySet(cat *catalog.Catalog, docs ...*CompiledDocument) (*PolicySet, error) {
	ps := &PolicySet{cat: cat, docs: docs}
	for i, d := range docs {
		switch {
		case d.cat != cat:
			return nil, fmt.Errorf("compile: policy %q was compiled against another catalog", d.id)
		case i == 0:
			ps.typ = d.typ
		case d.typ != ps.typ:
			return nil, fmt.Errorf("compile: policy %q is a %s policy in a set of %s policies", d.id, d.typ, ps.typ)
		}
		ps.n += len(d.statements)
	}
	ps.buildIndex(b)
	return ps, nil
}

func compileStatement(sh *sharer, cs *statement, d *Document, st *Statement) Errors {
	vars := d.Variables()
	res, notR := st.Resources()
	// The Sid and the Resources are rarely the same in two documents: they
	// are copied together into one string of the statement's own.
	own := ownTexts(st.Sid, res)
	*cs = statement{policy: d.ID, index: int32(st.Index), sid: own[:len(st.Sid)], effect: st.Effect}
	own = own[len(st.Sid):]
	acts, notA := st.Actions()
	shared := sh.actionList(acts, notA)
	cs.notAction, cs.actions, cs.covers, cs.coversAll = notA, shared.actions, shared.covers, shared.coversAll
	cs.notResource = notR
	switch len(res) {
	case 0:
	case 1: // the usual case, in one allocation
		one := new(oneResource)
		cs.resources, cs.resourceSrc = one.pat[:], one.src[:]
	default:
		cs.resources = make([]pattern, len(res))
		cs.resourceSrc = make([]string, len(res))
	}
	for i, r := range res {
		cs.resourceSrc[i], own = own[:len(r.Value)], own[len(r.Value):]
		cs.resources[i] = compilePattern(cs.resourceSrc[i], patternOptions{wildcards: true, variables: vars, arn: true})
	}
	if st.NotPrincipal != nil {
		cs.principal, cs.notPrinc = compilePrincipal(st.NotPrincipal), true
	} else {
		cs.principal = compilePrincipal(st.Principal)
	}
	var errs Errors
	for _, c := range st.Conditions {
		op, ok := parseOperator(c.Operator)
		if !ok {
			errs = append(errs, &PolicyError{PolicyID: d.ID, Statement: st.Index, Sid: st.Sid,
				Field: "Condition." + c.Operator, Line: c.OperatorPos.Line, Col: c.OperatorPos.Col,
				Code: CodeUnknownOperator, Msg: fmt.Sprintf("unknown condition operator %q%s", c.Operator,
					Suggest(c.Operator, operatorNames()))})
			continue
		}
		if cs.conds == nil {
			cs.conds = make([]cond, 0, len(st.Conditions))
		}
		cs.conds = append(cs.conds, sh.cond(c, op, vars))
	}
	return errs
}

// oneResource holds the compiled pattern and the text of a statement's
// only Resource or NotResource.
type oneResource struct {
	pat [1]pattern
	src [1]string
}

// ownTexts copies sid and the values of res into one string, in order.
func ownTexts(sid string, res []Text) string {
	n := len(sid)
	for _, r := range res {
		n += len(r.Value)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(sid)
	for _, r := range res {
		b.WriteString(r.Value)
	}
	return b.String()
}
