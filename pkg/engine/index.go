package engine

import (
	"math/bits"
	"slices"
)

// An actionIndex finds the statements of a set that cover a catalog
// action. It holds only the actions some statement covers: a bitmap over
// action IDs with the rank of each word, so that finding an action's place
// among those present is a popcount, then the statements of each present
// action in set order. A set of a few statements costs a few hundred bytes
// instead of a slot per catalog action.
type actionIndex struct {
	words []indexWord
	// The statements of the k-th action present are list[offs[k]:offs[k+1]].
	offs []int32
	list []*statement
}

// indexWord is 64 bits of the bitmap and the number of bits set in the
// words before it.
type indexWord struct {
	bits uint64
	rank int32
}

// lookup returns the statements that cover action id, in set order.
func (x *actionIndex) lookup(id int) []*statement {
	w := uint(id) >> 6
	if w >= uint(len(x.words)) {
		return nil
	}
	word := x.words[w]
	bit := uint64(1) << (uint(id) & 63)
	if word.bits&bit == 0 {
		return nil
	}
	k := int(word.rank) + bits.OnesCount64(word.bits&(bit-1))
	return x.list[x.offs[k]:x.offs[k+1]]
}

// buildIndex fills every and index from the documents' coverage, keeping
// the statements in document order under each action, and builds the
// resource index of a large set.
func (ps *PolicySet) buildIndex(b *SetBuilder) {
	stmts := b.stmts[:0]
	for _, d := range ps.docs {
		for i := range d.statements {
			stmts = append(stmts, &d.statements[i])
		}
	}
	ps.every, ps.index = indexByActionInto(ps.cat.NumActions(), stmts, &b.counts)
	if len(stmts) >= resourceIndexMin {
		ps.res = buildResourceIndex(ps.cat.NumActions(), stmts)
	}
	clear(stmts) // the builder keeps no statement of the set
	b.stmts = stmts[:0]
}

// indexByAction lists the statements that cover every action and indexes
// the others by action, each list in the order of stmts.
func indexByAction(numActions int, stmts []*statement) ([]*statement, actionIndex) {
	var counts []int32
	return indexByActionInto(numActions, stmts, &counts)
}

// indexByActionInto is indexByAction, counting the statements of each
// action in *scratch, which it keeps for the next call.
func indexByActionInto(numActions int, stmts []*statement, scratch *[]int32) ([]*statement, actionIndex) {
	// next[id] counts the statements of action id, then becomes where the
	// next of them goes in the list: the statements are placed by action,
	// in the order of stmts, without sorting.
	next := slices.Grow((*scratch)[:0], numActions)[:numActions]
	defer func() { *scratch = next[:0] }()
	clear(next)
	nEvery, nPairs := 0, 0
	for _, st := range stmts {
		if st.coversAll {
			nEvery++
			continue
		}
		nPairs += len(st.covers)
		for _, id := range st.covers {
			next[id]++
		}
	}
	// One allocation holds the statements for every action and, after
	// them, the index's lists.
	all := make([]*statement, nEvery, nEvery+nPairs)
	every := all[:0:nEvery]
	if nPairs == 0 {
		for _, st := range stmts {
			if st.coversAll {
				every = append(every, st)
			}
		}
		return every, actionIndex{}
	}
	present := 0
	for _, n := range next {
		if n > 0 {
			present++
		}
	}
	x := actionIndex{
		words: make([]indexWord, (numActions+63)/64),
		offs:  make([]int32, 0, present+1),
		list:  all[nEvery : nEvery+nPairs],
	}
	at := int32(0)
	for id, n := range next {
		if n == 0 {
			continue
		}
		x.words[id>>6].bits |= 1 << (uint(id) & 63)
		x.offs = append(x.offs, at)
		next[id] = at
		at += n
	}
	x.offs = append(x.offs, at)
	for _, st := range stmts {
		if st.coversAll {
			every = append(every, st)
			continue
		}
		for _, id := range st.covers {
			x.list[next[id]] = st
			next[id]++
		}
	}
	rank := int32(0)
	for w := range x.words {
		x.words[w].rank = rank
		rank += int32(bits.OnesCount64(x.words[w].bits))
	}
	return every, x
}
