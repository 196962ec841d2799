package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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

// memoSize is how many principals a scratch remembers: the items of a
// batch often share a few.
const memoSize = 8

// principalSeen is a principal parsed and looked up, with the keys the
// server derives from its entry (nil when the model does not know it).
type principalSeen struct {
	arn   string
	pa    engine.PrincipalARN
	err   error
	entry *snapshot.Principal
	keys  *derivedKeys
}

// resourceFound is what a snapshot said of a resource ARN.
type resourceFound struct {
	arn   string
	entry *snapshot.Resource
	known bool
}

// sortKeys sorts keys by name and keeps of each name the last, which is the
// one setting them all in turn leaves (tag keys that differ only in case
// have one name in lower case).
func sortKeys(keys []derivedKey) []derivedKey {
	slices.SortStableFunc(keys, func(a, b derivedKey) int { return strings.Compare(a.name, b.name) })
	out := keys[:0]
	for i, k := range keys {
		if i+1 < len(keys) && keys[i+1].name == k.name {
			continue
		}
		out = append(out, k)
	}
	clear(keys[len(out):])
	return out
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

// bad notes a problem with a field of the item being prepared.
func (sc *scratch) bad(field, format string, args ...any) {
	sc.violations = append(sc.violations, rpcerr.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// requestError returns the problems noted, copied out of the scratch.
func (sc *scratch) requestError() *rpcerr.RequestError {
	return &rpcerr.RequestError{Reason: "INVALID_REQUEST", Violations: slices.Clone(sc.violations)}
}

// principal parses a principal's ARN and finds its entry in the snapshot,
// with the keys derived from the entry; it remembers the answer for the
// next items.
func (s *Server) principal(sc *scratch, arn string) *principalSeen {
	for i := range sc.usedP {
		if p := &sc.principals[i]; p.arn == arn {
			return p
		}
	}
	p := &sc.principals[sc.nextP]
	sc.nextP = (sc.nextP + 1) % memoSize
	sc.usedP = min(sc.usedP+1, memoSize)
	*p = principalSeen{arn: arn}
	p.pa, p.err = engine.ParsePrincipalARN(arn)
	if p.err != nil {
		return p
	}
	if p.entry, _ = sc.snap.Principal(p.pa); p.entry != nil {
		p.keys = s.principalKeys(p.entry)
	}
	return p
}

// resource finds what governs a resource in the snapshot, remembering the
// answer for the next item: items of a batch often act on one resource in
// turn.
func (sc *scratch) resource(arn string) (*snapshot.Resource, bool) {
	if r := &sc.lastRes; r.arn == arn && arn != "" {
		return r.entry, r.known
	}
	e, known := sc.snap.Resource(arn)
	sc.lastRes = resourceFound{arn: arn, entry: e, known: known}
	return e, known
}

// ownKeys returns the callerKeys to check an item's own context into: not
// the one the context holds now.
func (sc *scratch) ownKeys() *callerKeys {
	ck := &sc.own[sc.nextOwn]
	sc.nextOwn ^= 1
	return ck
}

// timeKeys are the values of aws:CurrentTime and aws:EpochTime for one
// second.
type timeKeys struct {
	unix    int64
	current string // RFC 3339, UTC
	epoch   string
}

// clockKeys returns the time keys of now. Calls within the same second
// share their strings.
func (s *Server) clockKeys(now time.Time) *timeKeys {
	sec := now.Unix()
	if tk := s.lastTime.Load(); tk != nil && tk.unix == sec {
		return tk
	}
	tk := &timeKeys{unix: sec, current: now.UTC().Format(time.RFC3339), epoch: strconv.FormatInt(sec, 10)}
	s.lastTime.Store(tk)
	return tk
}
