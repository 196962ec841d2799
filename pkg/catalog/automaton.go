package catalog

import (
	"fmt"
	"math/bits"
)

// maxFormatTokens bounds the tokens of an ARN format so that a state set of
// its automaton fits in 128 bits (bits 0..n); the longest format of the data
// has 74.
const maxFormatTokens = 127

// set128 is a set of automaton states, bit j standing for token j.
type set128 struct{ lo, hi uint64 }

func (s set128) and(t set128) set128 { return set128{s.lo & t.lo, s.hi & t.hi} }
func (s set128) or(t set128) set128  { return set128{s.lo | t.lo, s.hi | t.hi} }
func (s set128) empty() bool         { return s.lo|s.hi == 0 }
func (s set128) shift() set128       { return set128{s.lo << 1, s.hi<<1 | s.lo>>63} }

func (s set128) has(j int) bool {
	if j < 64 {
		return s.lo&(1<<uint(j)) != 0
	}
	return s.hi&(1<<uint(j-64)) != 0
}

func (s *set128) add(j int) {
	if j < 64 {
		s.lo |= 1 << uint(j)
	} else {
		s.hi |= 1 << uint(j-64)
	}
}

// from returns the states j >= k.
func from(k int) set128 {
	switch {
	case k <= 0:
		return set128{^uint64(0), ^uint64(0)}
	case k < 64:
		return set128{^uint64(0) << uint(k), ^uint64(0)}
	case k < 128:
		return set128{0, ^uint64(0) << uint(k-64)}
	}
	return set128{}
}

// lowest returns the smallest state of s, which must not be empty.
func (s set128) lowest() int {
	if s.lo != 0 {
		return bits.TrailingZeros64(s.lo)
	}
	return 64 + bits.TrailingZeros64(s.hi)
}

// A formatAutomaton is an ARN format's tokens compiled for a bit-parallel
// simulation (the shift-and technique). The state of a simulation is two
// sets of tokens:
//
//   - before: the tokens that may come next (j means tokens 0..j-1 are
//     matched; n, one past the last token, means the whole format is);
//   - inRun: the class tokens whose run has taken at least one character
//     and may take more.
//
// One input character c moves every live token j that accepts c on: to j+1
// in before and, for a class token, to j in inRun as well. With a mask of the
// tokens accepting each character, that is a few word operations per
// character for all tokens at once.
type formatAutomaton struct {
	n int // number of tokens
	// index maps a byte to its mask in masks: the tokens that accept the
	// byte. Bytes that are no literal of the format and neither ':' nor '/'
	// share mask 0, the placeholders and stars.
	index [256]uint8
	masks []set128
	runs  []set128 // masks[k] & class: the class tokens among them
	// patIndex is index for IAM patterns: '*', '?' and '$' map to stop, the
	// last mask, which is empty, so that a run of literals ends there.
	patIndex [256]uint8
	stop     uint8
	class    set128 // placeholders and stars: tokens that match a run
	valid    set128 // every token; each accepts at least one character
	all      set128 // every state: the tokens and n
}

func newFormatAutomaton(toks []formatToken) (formatAutomaton, error) {
	if len(toks) > maxFormatTokens {
		return formatAutomaton{}, fmt.Errorf("ARN format of %d tokens: at most %d are supported", len(toks), maxFormatTokens)
	}
	a := formatAutomaton{n: len(toks)}
	a.all.add(a.n)
	for j, t := range toks {
		a.all.add(j)
		a.valid.add(j)
		if t.kind != fmtLiteral {
			a.class.add(j)
		}
	}
	// Mask 0 is for ordinary characters; ':' and '/' get their own even when
	// no literal token is one, because fewer class tokens accept them. There
	// are at most 2+127+1 masks, so a uint8 indexes them.
	a.masks = []set128{a.class}
	addMask := func(c byte) {
		if a.index[c] == 0 {
			a.index[c] = uint8(len(a.masks))
			a.masks = append(a.masks, set128{})
		}
	}
	addMask(':')
	addMask('/')
	for _, t := range toks {
		if t.kind == fmtLiteral {
			addMask(t.ch)
		}
	}
	for c := range 256 {
		if k := a.index[c]; k != 0 {
			for j, t := range toks {
				if t.accepts(byte(c)) {
					a.masks[k].add(j)
				}
			}
		}
	}
	a.stop = uint8(len(a.masks))
	a.masks = append(a.masks, set128{})
	a.runs = make([]set128, len(a.masks))
	for k, m := range a.masks {
		a.runs[k] = m.and(a.class)
	}
	a.patIndex = a.index
	for _, c := range [...]byte{'*', '?', '$'} {
		a.patIndex[c] = a.stop
	}
	return a, nil
}

// simState is the state of one simulation; see formatAutomaton.
type simState struct{ before, inRun set128 }

// start returns the initial state: only token 0 may come next.
func start() simState { return simState{before: set128{lo: 1}} }

// step takes one character accepted by the tokens of mask and reports
// whether any state is left.
func (s *simState) step(a *formatAutomaton, mask set128) bool {
	m := s.before.or(s.inRun).and(mask)
	s.inRun = m.and(a.class)
	s.before = m.shift()
	return !m.empty()
}

// literals takes the characters of text, looking their masks up with
// index, and returns how many it took and whether any state is left. It
// stops early, with states left, at a character that index maps to
// a.stop. It is step in a loop, with the sets in registers as plain words:
// one when the format has fewer than 64 tokens (most do), or two.
func (s *simState) literals(a *formatAutomaton, index *[256]uint8, text string) (int, bool) {
	masks, runs := a.masks, a.runs[:len(a.masks)]
	if a.n < 64 {
		b, r := s.before.lo, s.inRun.lo
		for i := range len(text) {
			k := index[text[i]]
			x := b | r
			m := x & masks[k].lo
			if m == 0 {
				s.before.lo, s.inRun.lo = b, r
				return i, k == a.stop
			}
			b, r = m<<1, x&runs[k].lo
		}
		s.before.lo, s.inRun.lo = b, r
		return len(text), true
	}
	b0, b1, r0, r1 := s.before.lo, s.before.hi, s.inRun.lo, s.inRun.hi
	for i := range len(text) {
		k := index[text[i]]
		x0, x1 := b0|r0, b1|r1
		m0, m1 := x0&masks[k].lo, x1&masks[k].hi
		if m0|m1 == 0 {
			s.before, s.inRun = set128{b0, b1}, set128{r0, r1}
			return i, k == a.stop
		}
		b0, b1 = m0<<1, m1<<1|m0>>63
		r0, r1 = x0&runs[k].lo, x1&runs[k].hi
	}
	s.before, s.inRun = set128{b0, b1}, set128{r0, r1}
	return len(text), true
}

// stepByte takes the character c.
func (s *simState) stepByte(a *formatAutomaton, c byte) bool {
	return s.step(a, a.masks[a.index[c]])
}

// closeStar takes a pattern '*': any run of characters, none included. Every
// token accepts some character, so from the first live token on, every later
// token may come next and every later class token may be in its run. It
// reports whether any state is left.
func (s *simState) closeStar(a *formatAutomaton) bool {
	live := s.before.or(s.inRun)
	if live.empty() {
		return false
	}
	first := live.lowest()
	s.before = s.before.or(from(first + 1).and(a.all))
	s.inRun = s.inRun.or(from(first).and(a.class))
	return true
}

// done reports whether the whole format is matched.
func (s *simState) done(a *formatAutomaton) bool { return s.before.has(a.n) }
