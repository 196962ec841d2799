package server

import (
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// scratch is what deciding items needs besides the items themselves: an
// engine context changed from item to item, the engine inputs, the
// problems found, and the principals met last. One goroutine uses a
// scratch at a time; the server keeps them in a pool so that a decision
// does not allocate them again.
type scratch struct {
	ctx        *engine.Context
	layers     ctxLayers // what ctx holds
	in         decisionInput
	violations []rpcerr.FieldViolation
	snap       *snapshot.Snapshot // what principals and resources are looked up in
	// own holds an item's own context, checked; two, so that the last
	// item's stays while the next item's is checked. none is no context,
	// what ctx holds of the caller between requests.
	own        [2]callerKeys
	none       callerKeys
	nextOwn    int
	principals [memoSize]principalSeen
	nextP      int           // the slot to fill next
	usedP      int           // the slots filled, from 0
	lastRes    resourceFound // the last resource looked up
}

// maxScratchKeys is the size past which a context is not kept for the next
// request: emptying a map costs what it has grown to.
const maxScratchKeys = 256

func newScratch() *scratch { return &scratch{ctx: engine.NewContext(32)} }

// getScratch takes a scratch from the pool for deciding on snap. Its
// context may hold the keys the server derived for the last request (see
// putScratch).
func (s *Server) getScratch(snap *snapshot.Snapshot) *scratch {
	sc := s.scratch.Get().(*scratch)
	sc.snap = snap
	return sc
}

// putScratch returns a scratch to the pool, dropping what refers to the
// request or its snapshot so that the pool does not keep them alive. The
// context keeps the keys the server derived for the last item, which the
// next request may share, and lets go of the caller's.
func (s *Server) putScratch(sc *scratch) {
	switch {
	case sc.ctx.Len() > maxScratchKeys:
		sc.ctx, sc.layers = engine.NewContext(32), ctxLayers{}
	case sc.layers.valid && sc.layers.intact():
		sc.layers.caller.remove(sc.ctx)
		sc.layers.caller, sc.layers.callerGen = &sc.none, 0
		if sc.ctx.Len() != sc.layers.size() {
			sc.ctx.Reset()
			sc.layers = ctxLayers{}
		}
	default:
		sc.ctx.Reset()
		sc.layers = ctxLayers{}
	}
	sc.in = decisionInput{}
	for i := range sc.own {
		o := &sc.own[i]
		clear(o.keys)
		clear(o.problems)
		*o = callerKeys{keys: o.keys[:0], problems: o.problems[:0]}
	}
	clear(sc.violations)
	sc.violations = sc.violations[:0]
	sc.snap = nil
	sc.lastRes = resourceFound{}
	clear(sc.principals[:sc.usedP])
	sc.nextP, sc.usedP = 0, 0
	s.scratch.Put(sc)
}
