package engine

import (
	"slices"
	"sort"
)

// resourceIndexMin is the number of statements from which a set gets a
// resource index. Below it, scanning the statements of an action costs
// less than looking pieces of the resource up.
const resourceIndexMin = 32

// A resourceIndex finds the statements of a large set whose Resource can
// match a request, from the literal text of their patterns, so that a
// decision against ten thousand statements looks at about as many as one
// against ten.
//
// A piece is a run of characters between ARN delimiters (':' and '/'). A
// literal token of a compiled pattern appears verbatim in every resource
// the pattern matches, so each piece the token holds between two of its
// own delimiters (or between one and the end of the pattern, for the first
// and last tokens) is a whole piece of the resource too. That holds for
// every shape: wildcards and variables anywhere, stars that cross colons
// or not. Each pattern is filed under its rarest such piece in the set,
// typically the application or resource ID; a request looks up each piece
// of its resource and meets only the statements filed under one of them.
//
// Statements with no such piece (Resource "*", NotResource, a pattern that
// is all wildcards) stay in a by-action index of their own. Every list is
// ordered Deny statements first, so that a scan ends at the first Allow
// once nothing more can change the outcome.
type resourceIndex struct {
	buckets map[string][]*statement
	// lengths has bit n set when some bucket's piece is n bytes long
	// (bit 63: 63 or more), so that most pieces of a request are passed
	// over without hashing them.
	lengths uint64
	// every and index hold the statements left out of the buckets.
	every []*statement
	index actionIndex
}

// isDelim reports whether c separates the pieces of an ARN.
func isDelim(c byte) bool { return c == ':' || c == '/' }

func lengthBit(n int) uint64 { return 1 << min(n, 63) }

// pieces calls yield with each piece of a pattern's literal tokens that is
// a whole piece of every resource the pattern matches.
func (p *pattern) pieces(yield func(string)) {
	var buf [2]token
	toks := p.tokens(&buf)
	last := len(toks) - 1
	for ti := range toks {
		t := &toks[ti]
		if t.kind != tokLit {
			continue
		}
		text := t.text
		start, bounded := 0, ti == 0
		for i := 0; i <= len(text); i++ {
			if i < len(text) && !isDelim(text[i]) {
				continue
			}
			if bounded && i > start && (i < len(text) || ti == last) {
				yield(text[start:i])
			}
			start, bounded = i+1, true
		}
	}
}

// buildResourceIndex files the statements of a set.
func buildResourceIndex(numActions int, stmts []*statement) *resourceIndex {
	// How many patterns each piece appears in: the rarer, the better it
	// tells statements apart.
	freq := map[string]int32{}
	var seen []string
	for _, st := range stmts {
		if !indexable(st) {
			continue
		}
		for i := range st.resources {
			seen = seen[:0]
			st.resources[i].pieces(func(piece string) {
				if !slices.Contains(seen, piece) {
					seen = append(seen, piece)
					freq[piece]++
				}
			})
		}
	}
	x := &resourceIndex{buckets: map[string][]*statement{}}
	var rest []*statement
	var keys []string
	for _, st := range stmts {
		keys = keys[:0]
		ok := indexable(st)
		for i := 0; ok && i < len(st.resources); i++ {
			best, bestN := "", int32(-1)
			st.resources[i].pieces(func(piece string) {
				if n := freq[piece]; bestN < 0 || n < bestN {
					best, bestN = piece, n
				}
			})
			if bestN < 0 {
				ok = false
				break
			}
			if !slices.Contains(keys, best) {
				keys = append(keys, best)
			}
		}
		if !ok {
			rest = append(rest, st)
			continue
		}
		for _, k := range keys {
			x.buckets[k] = append(x.buckets[k], st)
			x.lengths |= lengthBit(len(k))
		}
	}
	for k, list := range x.buckets {
		x.buckets[k] = slices.Clip(denyFirst(list))
	}
	x.every, x.index = indexByAction(numActions, denyFirst(rest))
	return x
}

// indexable reports whether a statement can be filed under the pieces of
// its Resource patterns.
func indexable(st *statement) bool {
	if st.notResource || len(st.resources) == 0 {
		return false
	}
	for i := range st.resources {
		if st.resources[i].matchAll {
			return false
		}
	}
	return true
}

// denyFirst orders Deny statements before Allow statements, keeping the
// order within each.
func denyFirst(list []*statement) []*statement {
	sort.SliceStable(list, func(i, j int) bool {
		return list[i].effect == EffectDeny && list[j].effect != EffectDeny
	})
	return list
}

// coversAction reports whether a statement covers catalog action id.
func (st *statement) coversAction(id int) bool {
	if st.coversAll {
		return true
	}
	_, ok := slices.BinarySearch(st.covers, int32(id))
	return ok
}

// scanIndexed is scan for a set with a resource index, when nothing is
// traced: the statements left out of the buckets that cover the action,
// then those filed under a piece of the resource.
func (ps *PolicySet) scanIndexed(q *evalReq, res *setResult) {
	x := ps.res
	if len(x.every) > 0 && ps.scanSorted(x.every, q, res, false) {
		return
	}
	if list := x.index.lookup(q.actionID); len(list) > 0 && ps.scanSorted(list, q, res, false) {
		return
	}
	s := q.resource
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !isDelim(s[i]) {
			continue
		}
		if n := i - start; n > 0 && x.lengths&lengthBit(n) != 0 {
			if list := x.buckets[s[start:i]]; len(list) > 0 && ps.scanSorted(list, q, res, true) {
				return
			}
		}
		start = i + 1
	}
}

// scanSorted is scanList without a trace for a list ordered Deny first:
// once an Allow is known that no later Allow can better, the rest of the
// list can teach nothing. checkAction makes it skip statements that do not
// cover the request's action. It reports whether a Deny was found.
func (ps *PolicySet) scanSorted(list []*statement, q *evalReq, res *setResult, checkAction bool) bool {
	for _, st := range list {
		if res.allow && st.effect == EffectAllow && (ps.typ != ResourcePolicy || res.grant == grantDirect) {
			return false
		}
		if checkAction && !st.coversAction(q.actionID) {
			continue
		}
		g := grantDirect
		if st.principal != nil {
			var ok bool
			if g, ok = st.matchesPrincipal(q); !ok {
				continue
			}
		}
		if rs := st.resources; !(len(rs) == 1 && rs[0].matchAll && !st.notResource) && !st.matchesResource(q) {
			continue
		}
		if len(st.conds) > 0 && !st.condsHold(q, nil) {
			continue
		}
		if st.effect == EffectDeny {
			res.deny = true
			return true
		}
		res.allow = true
		res.grant = max(res.grant, g)
	}
	return false
}
