package access

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// A change of documents can only change the answers for the actions on
// which the statements a principal sees differ. A statement's part in a
// verdict does not depend on its Sid, on the document that holds it or on
// the other actions its Action names: for one action, what counts is the
// set of statements covering it in each policy type, each without its
// Sid and Action. Rewriting a managed policy to add an action to a
// statement changes that action's answers only, not those of the
// actions the statement already named.

// A changeIndex finds what the changed documents of a principal can
// reach, once for every distinct list of changes: most principals touched
// by a change share it.
type changeIndex struct {
	cat   *catalog.Catalog
	byKey map[string]*changeReach
	views map[*docInfo][]stmtView
	// Room reused from one call to the next.
	key           []byte
	docs          []*docInfo
	before, after []seenStmt
}

// A changeReach is what one list of changed documents can reach.
type changeReach struct {
	acts    []uint64 // by action ID: the actions whose statements differ
	actions int      // how many
	docs    []*docInfo
	// byAction holds, per action, which resources of its scope one of
	// the documents reaches.
	byAction map[int][]uint64
}

// reached returns which resources of the scope of action id one of the
// changed documents reaches.
func (ch *changeReach) reached(id int, sc *scope) []uint64 {
	if b, ok := ch.byAction[id]; ok {
		return b
	}
	b := make([]uint64, (len(sc.resources)+63)/64)
	for _, d := range ch.docs {
		for w, bits := range sc.docBits(d) {
			b[w] |= bits
		}
	}
	if ch.byAction == nil {
		ch.byAction = map[int][]uint64{}
	}
	ch.byAction[id] = b
	return b
}

// A stmtView is one statement as a verdict on one action sees it.
type stmtView struct {
	text string // canonical JSON without Sid and Action, with the version
	ids  []int32
	all  bool
}

func newChangeIndex(cat *catalog.Catalog) *changeIndex {
	return &changeIndex{cat: cat, byKey: map[string]*changeReach{}, views: map[*docInfo][]stmtView{}}
}

// of returns what the changed documents held can reach.
func (c *changeIndex) of(from, to *Model, held []heldDoc) (*changeReach, error) {
	k, docs := c.key[:0], c.docs[:0]
	for _, h := range held {
		m := from
		if h.after {
			m = to
		}
		di := m.docs[h.doc]
		if di == nil {
			return nil, fmt.Errorf("document %q is not in the model", h.doc.ID)
		}
		docs = append(docs, di)
		k = binary.AppendUvarint(k, uint64(h.layer))
		if h.after {
			k = append(k, 1)
		} else {
			k = append(k, 0)
		}
		k = binary.AppendUvarint(k, uint64(di.id))
	}
	c.key, c.docs = k, docs
	if ch, ok := c.byKey[string(k)]; ok {
		return ch, nil
	}
	n := c.cat.NumActions()
	ch := &changeReach{acts: make([]uint64, (n+63)/64), docs: slices.Clone(docs)}
	candidates := make([]bool, n)
	for _, di := range docs {
		views, err := c.viewsOf(di)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			if v.all {
				for i := range candidates {
					candidates[i] = true
				}
			}
			for _, id := range v.ids {
				candidates[id] = true
			}
		}
	}
	for id, cand := range candidates {
		if cand && c.differs(held, ch.docs, int32(id)) {
			ch.acts[id>>6] |= 1 << (id & 63)
			ch.actions++
		}
	}
	c.byKey[string(k)] = ch
	return ch, nil
}

// A seenStmt is a statement covering an action, in one policy type.
type seenStmt struct {
	layer int
	text  string
}

func cmpSeen(a, b seenStmt) int {
	if a.layer != b.layer {
		return a.layer - b.layer
	}
	return strings.Compare(a.text, b.text)
}

// differs reports whether the statements covering action id differ
// between the documents held before and those held after.
func (c *changeIndex) differs(held []heldDoc, docs []*docInfo, id int32) bool {
	before, after := c.before[:0], c.after[:0]
	for i, h := range held {
		for _, v := range c.views[docs[i]] {
			if !v.all && !slices.Contains(v.ids, id) {
				continue
			}
			if h.after {
				after = append(after, seenStmt{h.layer, v.text})
			} else {
				before = append(before, seenStmt{h.layer, v.text})
			}
		}
	}
	slices.SortFunc(before, cmpSeen)
	slices.SortFunc(after, cmpSeen)
	// Statements are or-ed within a policy type: duplicates count once.
	before, after = slices.Compact(before), slices.Compact(after)
	c.before, c.after = before, after
	return !slices.Equal(before, after)
}

// viewsOf describes the statements of a document, once.
func (c *changeIndex) viewsOf(di *docInfo) ([]stmtView, error) {
	if v, ok := c.views[di]; ok {
		return v, nil
	}
	d := di.doc
	views := make([]stmtView, len(d.Statements))
	for i, st := range d.Statements {
		// The engine says which actions the statement covers.
		one := &engine.Document{ID: d.ID, Type: d.Type, Version: d.Version, Statements: []*engine.Statement{st}}
		cd, err := engine.CompileDocument(c.cat, one)
		if err != nil {
			return nil, fmt.Errorf("document %q: statement %d: %w", d.ID, i, err)
		}
		views[i].ids, views[i].all = cd.Actions()
		bare := *st
		bare.Sid, bare.Action, bare.NotAction = "", nil, nil
		views[i].text = string((&engine.Document{Version: d.Version, Statements: []*engine.Statement{&bare}}).Format())
	}
	c.views[di] = views
	return views, nil
}
