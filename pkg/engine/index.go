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
	ps.every, ps.index = indexByActionInto(ps.cat.NumActions(), stmts, &b.pairs)
	if len(stmts) >= resourceIndexMin {
		ps.res = buildResourceIndex(ps.cat.NumActions(), stmts)
	}
	clear(stmts) // the builder keeps no statement of the set
	b.stmts = stmts[:0]
}

// indexByAction lists the statements that cover every action and indexes
// the others by action, each list in the order of stmts.
func indexByAction(numActions int, stmts []*statement) ([]*statement, actionIndex) {
	var pairs []uint64
	return indexByActionInto(numActions, stmts, &pairs)
}

// indexByActionInto is indexByAction, sorting in *pairs, which it keeps
// for the next call.
func indexByActionInto(numActions int, stmts []*statement, scratch *[]uint64) ([]*statement, actionIndex) {
	nEvery, nPairs := 0, 0
	for _, st := range stmts {
		if st.coversAll {
			nEvery++
		} else {
			nPairs += len(st.covers)
		}
	}
	// One allocation holds the statements for every action and, after
	// them, the index's lists.
	all := make([]*statement, nEvery, nEvery+nPairs)
	every := all[:0:nEvery]
	// Each pair is an action ID and the statement's place in stmts; sorted,
	// they group the statements by action in order.
	pairs := slices.Grow((*scratch)[:0], nPairs)
	defer func() { *scratch = pairs[:0] }()
	for seq, st := range stmts {
		if st.coversAll {
			every = append(every, st)
			continue
		}
		for _, id := range st.covers {
			pairs = append(pairs, uint64(id)<<32|uint64(seq))
		}
	}
	if len(pairs) == 0 {
		return every, actionIndex{}
	}
	slices.Sort(pairs)
	present := 1
	for i := 1; i < len(pairs); i++ {
		if pairs[i]>>32 != pairs[i-1]>>32 {
			present++
		}
	}
	x := actionIndex{
		words: make([]indexWord, (numActions+63)/64),
		offs:  make([]int32, 0, present+1),
		list:  all[nEvery : nEvery+len(pairs)],
	}
	for i, p := range pairs {
		id := p >> 32
		if i == 0 || id != pairs[i-1]>>32 {
			x.words[id>>6].bits |= 1 << (id & 63)
			x.offs = append(x.offs, int32(i))
		}
		x.list[i] = stmts[uint32(p)]
	}
	x.offs = append(x.offs, int32(len(pairs)))
	rank := int32(0)
	for w := range x.words {
		x.words[w].rank = rank
		rank += int32(bits.OnesCount64(x.words[w].bits))
	}
	return every, x
}
