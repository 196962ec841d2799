package policycheck

import "context"

// The work of one check is bounded, so that two policies of a few
// kilobytes cannot hold a core for a minute and gigabytes of memory: a
// Resource pattern with many wildcards is a small automaton, but the
// product of a hundred of them, which a query explores, can have more
// states than any check can visit. Work is counted in 64-bit words of
// state sets stepped over a symbol: a query compiles its automata for its
// alphabet and steps every state it visits over every symbol. A query
// whose states would not fit in maxQueryWords, or a check whose queries
// together would spend more than maxCheckWork, stops undecided, which the
// checks count as granting the access (they fail closed). A pair of 10 KB
// policies of fifty statements over overlapping app patterns spends about
// 50 million words and 30,000 at most on one query.
const (
	defaultMaxCheckWork  = 1 << 28 // about 4 s of one core
	defaultMaxQueryWords = 1 << 20 // 8 MiB of state sets, as many again for the visited set
)

// A budget is the work one check may still spend, and ends it early when
// its context does.
type budget struct {
	left       int64
	queryWords int
	err        error // the context's error, once the context ended
}

func (c *Checker) newBudget() *budget {
	return &budget{left: c.maxCheckWork, queryWords: c.maxQueryWords}
}

// spend takes n words of work, reporting false (and taking nothing) when
// the budget cannot pay for them.
func (b *budget) spend(n int64) bool {
	if b.left < n {
		b.left = 0
		return false
	}
	b.left -= n
	return true
}

// stopped reports whether ctx has ended, remembering its error.
func (b *budget) stopped(ctx context.Context) bool {
	if b.err == nil {
		b.err = ctx.Err()
	}
	return b.err != nil
}
