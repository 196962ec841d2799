package server

import (
	"slices"
	"sync/atomic"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// Session policies come as text with every request that has them, and
// compiling them costs far more than deciding: 16 documents of 10 KB take
// milliseconds. The items of a BatchCheck take the batch's session
// policies unless they give their own, and the evaluations of an AuthZEN
// batch take the defaults' subject: compiled item by item, one request
// of 160 KB would cost seconds of CPU. The server keeps the last set it
// compiled, with its texts, and gives it to every item whose texts are the
// same, so that what a request costs follows the bytes it sends.

// compiledSession is a list of session policy texts and what compiling
// them gave: the policy set, or the errors. It is never changed once
// stored, and a compiled policy set is safe for concurrent use.
type compiledSession struct {
	texts []string
	set   *engine.PolicySet
	err   error
}

// sessionMemo holds the session policies compiled last.
type sessionMemo struct {
	last atomic.Pointer[compiledSession]
}

// compile returns the session policy set of texts, compiled now or taken
// from the last call with the same texts. Comparing texts costs far less
// than compiling them, and nothing when they are the very strings of the
// last call, as a batch's are for its items.
func (m *sessionMemo) compile(s *Server, texts []string) (*engine.PolicySet, error) {
	if c := m.last.Load(); c != nil && slices.Equal(c.texts, texts) {
		return c.set, c.err
	}
	docs := &engine.PolicyTexts{Session: make([][]byte, len(texts))}
	for i, p := range texts {
		docs.Session[i] = []byte(p)
	}
	c := &compiledSession{texts: texts}
	ps, err := docs.Compile(s.cat)
	if err != nil {
		c.err = err
	} else {
		c.set = ps.Session
	}
	m.last.Store(c)
	return c.set, c.err
}
