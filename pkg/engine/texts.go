package engine

import (
	"fmt"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// PolicyTexts are the policies of one self-contained question, as IAM JSON
// text: the documents a Simulate call, a conformance case or the session
// policies of a Check request bring with them rather than the store. Nil
// Resource or Boundary means there is none; empty Session means no session
// policy; SCPs holds one document per organization level.
//
// Each document is named by its field path ("identity_policies[0]",
// "resource_policy", "permissions_boundary", "session_policies[0]",
// "scps[1]"), so a problem or an explanation points at the input.
type PolicyTexts struct {
	Identity [][]byte
	Resource []byte
	Boundary []byte
	Session  [][]byte
	SCPs     [][]byte
}

// Compile parses and compiles every document into the policies of one
// request. Parse and compile errors come back as Errors naming the
// document's field path.
func (d *PolicyTexts) Compile(cat *catalog.Catalog) (*Policies, error) {
	p := &Policies{}
	var err error
	if p.Identity, err = compileList(cat, IdentityPolicy, "identity_policies", d.Identity); err != nil {
		return nil, err
	}
	if d.Resource != nil {
		if p.Resource, err = compileList(cat, ResourcePolicy, "", [][]byte{d.Resource}, "resource_policy"); err != nil {
			return nil, err
		}
	}
	if d.Boundary != nil {
		if p.Boundary, err = compileList(cat, BoundaryPolicy, "", [][]byte{d.Boundary}, "permissions_boundary"); err != nil {
			return nil, err
		}
	}
	if len(d.Session) > 0 {
		if p.Session, err = compileList(cat, SessionPolicy, "session_policies", d.Session); err != nil {
			return nil, err
		}
	}
	for i, src := range d.SCPs {
		ps, err := compileList(cat, SCPPolicy, "", [][]byte{src}, fmt.Sprintf("scps[%d]", i))
		if err != nil {
			return nil, err
		}
		p.SCPs = append(p.SCPs, ps)
	}
	return p, nil
}

// compileList compiles documents into one set. They are named field[i], or
// by names when given.
func compileList(cat *catalog.Catalog, typ PolicyType, field string, srcs [][]byte, names ...string) (*PolicySet, error) {
	docs := make([]*Document, 0, len(srcs))
	for i, src := range srcs {
		id := fmt.Sprintf("%s[%d]", field, i)
		if i < len(names) {
			id = names[i]
		}
		doc, err := Parse(src, ParseOptions{ID: id, Type: typ})
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	return Compile(cat, docs...)
}
