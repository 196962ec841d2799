package engine

import (
	"slices"
	"strings"
	"sync"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// A sharer lets the documents compiled together share the compiled forms
// they have in common, and keeps the compiled form from pinning the text
// of the documents it came from.
//
// The documents of one set repeat themselves: the same action lists, the
// same condition on the principal's tags, the same key names, in policy
// after policy. Compiled apart, each holds its own copy; a sharer compiles
// each distinct action list and condition value list once and hands every
// statement that has it the same immutable slice. Every text a compiled
// form keeps is a copy taken here, so that a parsed document, whose
// strings are slices of one block, can be collected once compiled.
//
// A sharer belongs to one compilation (Compile, CompileDocument) and is
// used by one goroutine; what it hands out is never written again, so the
// sets built from it are as immutable as before.
type sharer struct {
	cat     *catalog.Catalog
	texts   map[string]string
	actions map[string]sharedActions
	values  map[string][]condValue
	keys    map[string]*condKey
	key     []byte  // the map key being built
	covered []bool  // scratch of coverActions, one flag per catalog action
	ids     []int32 // scratch of coverActions
}

// sharedActions is a compiled Action or NotAction list and the catalog
// actions the statement holding it covers.
type sharedActions struct {
	actions   []actionPattern
	covers    []int32 // sorted; nil when coversAll
	coversAll bool
}

// sharers keeps sharers between compilations: a server compiles documents
// one at a time and a library user compiles many small sets, and building
// and growing four maps for each was a tenth of what compiling allocates.
// Like the parser pool, it holds nothing between uses but empty maps and
// scratch space.
var sharers = sync.Pool{New: func() any {
	return &sharer{
		texts:   make(map[string]string),
		actions: make(map[string]sharedActions),
		values:  make(map[string][]condValue),
		keys:    make(map[string]*condKey),
	}
}}

// maxPooledEntries bounds the maps a pooled sharer keeps: one that shared
// a huge compilation's texts gets new maps rather than keep their room.
const maxPooledEntries = 1024

// newSharer returns an empty sharer for one compilation; release returns
// it to the pool.
func newSharer(cat *catalog.Catalog) *sharer {
	sh := sharers.Get().(*sharer)
	sh.cat = cat
	return sh
}

// release empties the sharer, so that it refers to nothing the compiled
// form refers to, and returns it to the pool.
func (sh *sharer) release() {
	if len(sh.texts)+len(sh.actions)+len(sh.values)+len(sh.keys) > maxPooledEntries {
		return
	}
	clear(sh.texts)
	clear(sh.actions)
	clear(sh.values)
	clear(sh.keys)
	sh.cat = nil
	sh.key = sh.key[:0]
	sharers.Put(sh)
}

// text returns a copy of s that the compiled form may keep, the same copy
// for equal texts.
func (sh *sharer) text(s string) string {
	if c, ok := sh.texts[s]; ok {
		return c
	}
	c := strings.Clone(s)
	sh.texts[c] = c
	return c
}

// condKey returns the shared key of the conditions on a key name.
func (sh *sharer) condKey(name string) *condKey {
	if k, ok := sh.keys[name]; ok {
		return k
	}
	k := &condKey{name: sh.text(name)}
	k.lower = sh.text(strings.ToLower(k.name))
	k.hash = keyHash(k.lower)
	sh.keys[k.name] = k
	return k
}

// actionList compiles an Action (notAction false) or NotAction list.
func (sh *sharer) actionList(acts []Text, notAction bool) sharedActions {
	sh.key = append(sh.key[:0], boolByte(notAction))
	for _, a := range acts {
		sh.key = append(append(sh.key, a.Value...), 0)
	}
	if s, ok := sh.actions[string(sh.key)]; ok {
		return s
	}
	var s sharedActions
	if len(acts) > 0 {
		s.actions = make([]actionPattern, len(acts))
		for i, a := range acts {
			s.actions[i] = compileActionPattern(sh.text(a.Value))
		}
	}
	s.covers, s.coversAll = sh.coverActions(s.actions, notAction)
	sh.actions[string(sh.key)] = s
	return s
}

// coverActions lists, in increasing order, the IDs of the catalog actions
// a statement with these actions covers; all is true when it covers every
// one of them.
func (sh *sharer) coverActions(acts []actionPattern, notAction bool) (covers []int32, all bool) {
	n := sh.cat.NumActions()
	if len(sh.covered) < n {
		sh.covered = make([]bool, n)
	}
	covered, ids := sh.covered[:n], sh.ids[:0]
	mark := func(a *catalog.Action) {
		if !covered[a.ID] {
			covered[a.ID] = true
			ids = append(ids, int32(a.ID))
		}
	}
	for i := range acts {
		if a, ok := acts[i].exactAction(sh.cat); ok {
			if a != nil {
				mark(a)
			}
			continue
		}
		for _, a := range acts[i].expand(sh.cat) {
			mark(a)
		}
	}
	covers, all = coverList(covered, ids, notAction)
	for _, id := range ids {
		covered[id] = false
	}
	sh.ids = ids
	return covers, all
}

// coverList turns the actions marked in covered (their IDs in ids) into
// what a statement covers: those actions, or with NotAction the others.
func coverList(covered []bool, ids []int32, notAction bool) ([]int32, bool) {
	n := len(covered)
	count := len(ids)
	if notAction {
		count = n - count
	}
	switch {
	case count == n:
		return nil, true
	case notAction:
		list := make([]int32, 0, count)
		for id, excluded := range covered {
			if !excluded {
				list = append(list, int32(id))
			}
		}
		return list, false
	}
	list := slices.Clone(ids)
	slices.Sort(list)
	return list, false
}

// condValues compiles the values of a condition under an operator.
func (sh *sharer) condValues(vals []CondValue, op opInfo, vars bool) []condValue {
	sh.key = append(sh.key[:0], byte(op.fam), boolByte(op.like), boolByte(vars))
	for _, v := range vals {
		sh.key = append(append(sh.key, v.Text...), 0)
	}
	if s, ok := sh.values[string(sh.key)]; ok {
		return s
	}
	out := make([]condValue, len(vals))
	for i, v := range vals {
		out[i] = compileCondValue(sh.text(v.Text), op, vars)
	}
	sh.values[string(sh.key)] = out
	return out
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
