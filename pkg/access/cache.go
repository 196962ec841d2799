package access

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// The verdict cache decides once for every principal that sees the same
// thing. Asked about one action on one resource, the engine reads of a
// principal only:
//
//   - the statements of its policies that reach the request: a statement
//     whose Action misses the action, or whose Resource misses the
//     resource, plays no part ([engine.CompiledDocument.Reaches]);
//   - its account (same- or cross-account access, Principal elements that
//     name an account, the SCPs of the account), its kind, and whether it
//     has a permissions boundary;
//   - whether a Principal or NotPrincipal element of a reaching statement
//     names its ARN;
//   - the values of the keys derived from it (aws:PrincipalTag/…,
//     aws:username, …) that a reaching document tests or names in a policy
//     variable.
//
// The key of a question lists exactly these, with the documents as
// numbers and in the order the principal holds them, so that the
// statements an answer gives come out in the same order too. Two
// principals with the same key get the same answer, statements and
// example requests included; the cache is per asker, so per model and
// fixed context.

// A docInfo is one document of a model as the verdict cache sees it.
type docInfo struct {
	id  int32 // dense in the model, for keys
	doc *engine.Document
	cd  *engine.CompiledDocument
	// reads lists, in lower case, the keys derived from a principal that
	// the document's conditions test or its policy variables name.
	reads []string
	// names lists the ARNs its Principal and NotPrincipal elements name.
	// Account entries are left out: the account is in every key.
	names []string
}

func newDocInfo(id int32, d *engine.Document, cd *engine.CompiledDocument) *docInfo {
	di := &docInfo{id: id, doc: d, cd: cd}
	read := func(k string) {
		k = strings.ToLower(strings.TrimSpace(k))
		if (derivedKeys[k] || strings.HasPrefix(k, prefixPrincipalTag)) && !slices.Contains(di.reads, k) {
			di.reads = append(di.reads, k)
		}
	}
	// A variable is "${name}" or "${name, 'default'}"; anything between
	// "${" and "}" is taken for one, which can only add keys.
	vars := func(s string) {
		for {
			i := strings.Index(s, "${")
			if i < 0 {
				return
			}
			s = s[i+2:]
			j := strings.IndexByte(s, '}')
			if j < 0 {
				return
			}
			name, _, _ := strings.Cut(s[:j], ",")
			read(name)
		}
	}
	for _, st := range d.Statements {
		for _, c := range st.Conditions {
			read(c.Key)
			vars(c.Key)
			for _, v := range c.Values {
				vars(v.Text)
			}
		}
		res, _ := st.Resources()
		for _, r := range res {
			vars(r.Value)
		}
		for _, pr := range []*engine.Principal{st.Principal, st.NotPrincipal} {
			if pr == nil {
				continue
			}
			for _, e := range pr.Entries {
				if e.Type == "AWS" && !engine.IsAccountID(e.Value) && !slices.Contains(di.names, e.Value) {
					di.names = append(di.names, e.Value)
				}
			}
		}
	}
	return di
}

// personal reports whether the document reads something of a principal
// beyond its account and kind.
func (d *docInfo) personal() bool { return len(d.reads) > 0 || len(d.names) > 0 }

// A scope is one action and a list of resources about which an asker
// answers for many principals, with what it found out on the way.
type scope struct {
	action    string
	resources []string
	// bits says which resources each document reaches (nil: none).
	bits map[*docInfo][]uint64
	// sets says, for each identity or boundary set of the model, whether
	// it covers the action and which of its documents reach some resource
	// of the scope (a slice of pool); scps the same for the SCPs of an
	// account.
	sets []setView
	pool []reach
	scps map[string][]reach
	// resDocs holds, for each resource, its governing policy when that
	// reaches the request; resDone says which are filled in.
	resDocs []*docInfo
	resDone []bool
	m       *Model

	verdicts map[string]*cached
	key      []byte
	personal []*docInfo
}

// A reach is a document and the resources of the scope it reaches.
type reach struct {
	d    *docInfo
	bits []uint64
}

// A setView is what a scope found out about one set.
type setView struct {
	off, n  int32 // its reaching documents are pool[off:off+n]
	known   bool  // covers is known
	covers  bool
	reached bool // off and n are known
}

// A cached entry is the verdict for one key and, once a list needed it,
// the whole answer.
type cached struct {
	verdict Verdict
	answer  *Answer
}

// scope returns the asker's scope for an action over resources; a caller
// passes the same resources each time for one action.
func (a *asker) scope(action string, resources []string) *scope {
	if sc, ok := a.scopes[action]; ok {
		return sc
	}
	sc := &scope{action: action, resources: resources, m: a.m, bits: map[*docInfo][]uint64{},
		sets: make([]setView, a.m.nsets), scps: map[string][]reach{}, verdicts: map[string]*cached{},
		resDocs: make([]*docInfo, len(resources)), resDone: make([]bool, len(resources))}
	if a.scopes == nil {
		a.scopes = map[string]*scope{}
	}
	a.scopes[action] = sc
	return sc
}

// docBits returns which resources of the scope a document reaches.
func (sc *scope) docBits(d *docInfo) []uint64 {
	if b, ok := sc.bits[d]; ok {
		return b
	}
	var b []uint64
	for i, r := range sc.resources {
		if d.cd.Reaches(sc.action, r) {
			if b == nil {
				b = make([]uint64, (len(sc.resources)+63)/64)
			}
			b[i>>6] |= 1 << (i & 63)
		}
	}
	sc.bits[d] = b
	return b
}

func hasBit(b []uint64, i int) bool { return b != nil && b[i>>6]&(1<<(i&63)) != 0 }

// reaching appends to out the documents that reach some resource of the
// scope.
func (sc *scope) reaching(out []reach, docs []*docInfo) []reach {
	for _, d := range docs {
		if b := sc.docBits(d); b != nil {
			out = append(out, reach{d: d, bits: b})
		}
	}
	return out
}

// covers reports whether a set covers the action of the scope.
func (sc *scope) covers(s *setInfo) bool {
	v := &sc.sets[s.idx]
	if !v.known {
		v.known, v.covers = true, s.ps.Covers(sc.action)
	}
	return v.covers
}

// setReach lists the documents of a set that reach some resource of the
// scope.
func (sc *scope) setReach(s *setInfo) []reach {
	v := &sc.sets[s.idx]
	if !v.reached {
		off := len(sc.pool)
		sc.pool = sc.reaching(sc.pool, s.docs)
		v.off, v.n, v.reached = int32(off), int32(len(sc.pool)-off), true
	}
	return sc.pool[v.off : v.off+v.n]
}

func (sc *scope) scpReach(p *Principal) []reach {
	r, ok := sc.scps[p.Account]
	if !ok {
		for _, level := range p.scpDocs {
			r = sc.reaching(r, level)
		}
		sc.scps[p.Account] = r
	}
	return r
}

// resDoc returns the policy governing resource i when it reaches the
// request, else nil.
func (sc *scope) resDoc(i int) *docInfo {
	if !sc.resDone[i] {
		sc.resDone[i] = true
		if _, d, _, _ := sc.m.governing(sc.resources[i]); d != nil && d.cd.Reaches(sc.action, sc.resources[i]) {
			sc.resDocs[i] = d
		}
	}
	return sc.resDocs[i]
}

// keyOf writes the key of principal p and resource i of the scope; it is
// valid until the next call.
func (sc *scope) keyOf(p *Principal, i int) []byte {
	k := binary.AppendUvarint(sc.key[:0], uint64(i))
	var flags byte
	if p.Kind == entity.KindUser {
		flags |= 1
	}
	if p.bndSet != nil {
		flags |= 2
	}
	k = append(k, flags)
	k = appendString(appendString(k, p.Account), p.acctKey)
	personal := sc.personal[:0]
	appendDocs := func(rs []reach) {
		for _, r := range rs {
			if hasBit(r.bits, i) {
				k = binary.AppendUvarint(k, uint64(r.d.id)+1)
				if r.d.personal() {
					personal = append(personal, r.d)
				}
			}
		}
		k = append(k, 0)
	}
	appendDocs(sc.setReach(p.idSet))
	if p.bndSet != nil {
		appendDocs(sc.setReach(p.bndSet))
	}
	// The SCPs and the resource policy follow from the account and the
	// resource: only what they read of the principal is written.
	for _, r := range sc.scpReach(p) {
		if hasBit(r.bits, i) && r.d.personal() {
			personal = append(personal, r.d)
		}
	}
	if d := sc.resDoc(i); d != nil && d.personal() {
		personal = append(personal, d)
	}
	for _, d := range personal {
		for _, rk := range d.reads {
			if v, ok := p.derivedValue(rk); ok {
				k = appendString(append(k, 1), v)
			} else {
				k = append(k, 0)
			}
		}
		if len(d.names) > 0 {
			if slices.Contains(d.names, p.ARN) {
				k = appendString(append(k, 1), p.ARN)
			} else {
				k = append(k, 0)
			}
		}
	}
	sc.key, sc.personal = k, personal[:0]
	return k
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// derivedValue returns the value of a derived key, given in lower case.
func (p *Principal) derivedValue(lowerKey string) (string, bool) {
	for _, kv := range p.derived {
		if strings.EqualFold(kv[0], lowerKey) {
			return kv[1], true
		}
	}
	return "", false
}

// entry returns the cache entry of a question, computing its verdict when
// the key is new.
func (a *asker) entry(sc *scope, p *Principal, i int) *cached {
	k := sc.keyOf(p, i)
	if e, ok := sc.verdicts[string(k)]; ok {
		return e
	}
	e := &cached{verdict: a.verdict(p, sc.action, sc.resources[i])}
	sc.verdicts[string(k)] = e
	return e
}

// sharedVerdict answers question i of the scope for p without saying why.
func (a *asker) sharedVerdict(sc *scope, p *Principal, i int) Verdict {
	return a.entry(sc, p, i).verdict
}

// sharedKeep is keep through the cache. Answers of one key share their
// statements, conditions and examples.
func (a *asker) sharedKeep(sc *scope, o *Options, p *Principal, i int) *Answer {
	k := sc.keyOf(p, i)
	e, ok := sc.verdicts[string(k)]
	if !ok {
		// A list wants the whole answer unless it is denied: decide it
		// at once rather than the verdict first.
		e = &cached{}
		e.verdict, e.answer = a.answerUnlessDenied(p, sc.action, sc.resources[i])
		sc.verdicts[string(k)] = e
	}
	if !o.IncludeDenied && e.verdict.Denied() {
		return nil
	}
	if e.answer == nil {
		ans := a.ask(p, sc.action, sc.resources[i])
		e.answer = &ans
	}
	if !o.keep(e.answer.Verdict) {
		return nil
	}
	ans := *e.answer
	ans.Statements, ans.Conditions = slices.Clip(ans.Statements), slices.Clip(ans.Conditions)
	return &ans
}
