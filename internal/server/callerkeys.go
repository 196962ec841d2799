package server

import (
	"fmt"
	"slices"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// callerKeys is a request context checked: every key with its lower-case
// name and its values, and the problems the key has whatever principal and
// resource it goes with. Only whether the server derives a key depends on
// the item, so a BatchCheck checks its shared context once for all the
// items that use it.
type callerKeys struct {
	keys     []ctxKey
	problems []rpcerr.FieldViolation // keys[i].problems index it
	// derivations has bit d set when some key is of derivation d.
	derivations uint8
	// limit is the first limit the context breaks, if any.
	limit *rpcerr.RequestError
	// distinct is the number of distinct lower-case names, or -1 when not
	// counted (many keys).
	distinct int
	// gen tells this check from others, of a reused callerKeys too.
	gen uint64
	// fresh is true when some key's name was not known to keyNames.
	fresh bool
	// dups reports the names that differ only in case: condition keys are
	// case-insensitive, so two of them would be one key with two values,
	// and which one a decision read would depend on map order.
	dups []rpcerr.FieldViolation
}

// maxCountedKeys is the most keys whose distinct names are counted; see
// ctxLayers.
const maxCountedKeys = 16

// ctxKey is one key of a caller's context.
type ctxKey struct {
	name     string // as given
	lower    string
	key      engine.Key // lower, resolved
	derived  derivation
	ck       *catalog.ConditionKey // nil for a key the catalog does not know
	known    bool                  // keyNames remembers the name
	value    string                // a single value
	values   []string              // a list, when multi
	multi    bool
	problems [2]int // callerKeys.problems[problems[0]:problems[1]]
}

// ownKeys returns the callerKeys to check an item's own context into: not
// the one the context holds now.
func (sc *scratch) ownKeys() *callerKeys {
	ck := &sc.own[sc.nextOwn]
	sc.nextOwn ^= 1
	return ck
}

// reset empties ck for a new check numbered gen, keeping its slices.
func (ck *callerKeys) reset(gen uint64) {
	ck.keys, ck.problems, ck.dups = ck.keys[:0], ck.problems[:0], ck.dups[:0]
	ck.derivations, ck.fresh, ck.distinct, ck.limit, ck.gen = 0, false, 0, nil, gen
}

// checkCallerKeys checks a request context against the limits and the
// catalog, into ck, which keeps its slices from earlier use. A context over
// a limit is refused whole, so its keys are not looked at: nothing of a
// refused call outlives it.
func (s *Server) checkCallerKeys(ck *callerKeys, in map[string]*pdpv1.ContextValue) {
	ck.reset(s.checks.Add(1))
	ck.limit = s.cfg.Limits.checkContext("context", in)
	if ck.limit != nil {
		return
	}
	for name, cv := range in {
		s.checkKey(ck, name, cv)
	}
	ck.findDuplicates()
	ck.countDistinct()
}

// checkItemKeys checks into ck the context of a batch item with keys of its
// own over the batch's: what checkCallerKeys gives for the merged context,
// without merging it. The batch's keys the item does not replace are taken
// from shared, the batch's context checked once; only the item's own keys
// are checked. A batch context over a limit, or a merged one over the
// number of keys, is merged and checked whole, so that the call is refused
// as before.
func (s *Server) checkItemKeys(ck, shared *callerKeys, batchCtx, own map[string]*pdpv1.ContextValue) {
	n := len(batchCtx)
	for name := range own {
		if _, ok := batchCtx[name]; !ok {
			n++
		}
	}
	if shared.limit != nil || n > s.cfg.Limits.MaxContextKeys {
		s.checkCallerKeys(ck, mergeContext(batchCtx, own))
		return
	}
	ck.reset(s.checks.Add(1))
	// The batch's keys are within the limits: only the item's can break
	// them.
	ck.limit = s.cfg.Limits.checkContext("context", own)
	if ck.limit != nil {
		return
	}
	for name, cv := range own {
		s.checkKey(ck, name, cv)
	}
	ownKeys := len(ck.keys)
	for i := range shared.keys {
		k := shared.keys[i]
		if replacedBy(ck.keys[:ownKeys], k.lower) {
			continue // an item's key replaces the batch's, in any case
		}
		first := len(ck.problems)
		ck.problems = append(ck.problems, shared.problems[k.problems[0]:k.problems[1]]...)
		k.problems = [2]int{first, len(ck.problems)}
		ck.fresh = ck.fresh || !k.known
		ck.derivations |= 1 << k.derived
		ck.keys = append(ck.keys, k)
	}
	ck.findDuplicates()
	ck.countDistinct()
}

// replacedBy reports whether one of keys has the lower-case name lower.
func replacedBy(keys []ctxKey, lower string) bool {
	for i := range keys {
		if keys[i].lower == lower {
			return true
		}
	}
	return false
}

// findDuplicates reports, into ck.dups, every name of the context that
// another one equals without regard to case.
func (ck *callerKeys) findDuplicates() {
	if len(ck.keys) < 2 {
		return
	}
	var first map[string]string // lower-case name → a name it was given as
	if len(ck.keys) > maxCountedKeys {
		first = make(map[string]string, len(ck.keys))
	}
	for i := range ck.keys {
		k := &ck.keys[i]
		other := ""
		if first != nil {
			other = first[k.lower]
			if other == "" {
				first[k.lower] = k.name
			}
		} else {
			for j := range i {
				if ck.keys[j].lower == k.lower {
					other = ck.keys[j].name
					break
				}
			}
		}
		if other == "" {
			continue
		}
		a, b := min(other, k.name), max(other, k.name) // the same message whatever the map order
		ck.dups = append(ck.dups, rpcerr.FieldViolation{Field: "context[" + rpcerr.Clip(b) + "]",
			Description: rpcerr.ClipMessage(fmt.Sprintf("%s and %s name the same condition key (key names are case-insensitive): give it once",
				rpcerr.Quote(a), rpcerr.Quote(b)))})
	}
}

// mergeContext returns the batch's context with an item's own keys over
// it, as the item is decided: an item's key replaces the batch's key of the
// same name in any case.
func mergeContext(batchCtx, own map[string]*pdpv1.ContextValue) map[string]*pdpv1.ContextValue {
	out := make(map[string]*pdpv1.ContextValue, len(batchCtx)+len(own))
	for k, v := range batchCtx {
		if !hasKeyFold(own, k) {
			out[k] = v
		}
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

// foldDuplicates lists, sorted, the pairs of names of m that differ only in
// case, each pair in order: condition keys (and the tag keys that become
// part of them) are case-insensitive, so such a pair is one key given twice.
// Two names are one key when they lower to one name, as the engine stores
// keys.
func foldDuplicates[V any](m map[string]V) [][2]string {
	if len(m) < 2 {
		return nil
	}
	type named struct{ name, lower string }
	var buf [16]named // most sets of tags or keys fit without allocating
	names := buf[:0]
	for k := range m {
		names = append(names, named{k, strings.ToLower(k)})
	}
	var out [][2]string
	for i, a := range names {
		for _, b := range names[i+1:] {
			if a.lower == b.lower {
				out = append(out, [2]string{min(a.name, b.name), max(a.name, b.name)})
			}
		}
	}
	slices.SortFunc(out, func(x, y [2]string) int { return strings.Compare(x[1]+"\x00"+x[0], y[1]+"\x00"+y[0]) })
	return out
}

// hasKeyFold reports whether m has key in any case: a name that lowers to
// key's lower-case name.
func hasKeyFold(m map[string]*pdpv1.ContextValue, key string) bool {
	if _, ok := m[key]; ok {
		return true
	}
	lower := strings.ToLower(key)
	for k := range m {
		if strings.ToLower(k) == lower {
			return true
		}
	}
	return false
}

// countDistinct counts the distinct lower-case names of the keys checked,
// when there are few enough.
func (ck *callerKeys) countDistinct() {
	ck.distinct = -1
	if len(ck.keys) <= maxCountedKeys {
		ck.distinct = distinctNames(len(ck.keys), func(i int) string { return ck.keys[i].lower })
	}
}

// checkKey checks one key of a request context into ck.
func (s *Server) checkKey(ck *callerKeys, name string, cv *pdpv1.ContextValue) {
	kn, known := s.names.key(name)
	k := ctxKey{name: name, lower: kn.lower, key: kn.key, derived: kn.derived, ck: kn.ck, known: known}
	ck.fresh = ck.fresh || !known
	k.problems[0] = len(ck.problems)
	report := func(format string, args ...any) {
		ck.problems = append(ck.problems, rpcerr.FieldViolation{Field: "context[" + rpcerr.Clip(name) + "]",
			Description: rpcerr.ClipMessage(fmt.Sprintf(format, args...))})
	}
	if name == "" {
		report("a condition key needs a name")
	}
	switch v := cv.GetKind().(type) {
	case *pdpv1.ContextValue_StringValue:
		k.value = v.StringValue
		switch {
		case kn.ck == nil:
		case kn.ck.Multivalued:
			report("%s is multivalued: give list_value", rpcerr.Clip(name))
		default:
			if err := engine.CheckContextValue(kn.ck.Type, k.value); err != nil {
				report("%s: %v", rpcerr.Clip(name), err)
			}
		}
	case *pdpv1.ContextValue_ListValue:
		k.multi, k.values = true, v.ListValue.GetValues()
		if k.values == nil {
			k.values = []string{}
		}
		switch {
		case kn.ck == nil:
		case !kn.ck.Multivalued:
			report("%s takes a single value: give string_value", rpcerr.Clip(name))
		default:
			for _, value := range k.values {
				if err := engine.CheckContextValue(kn.ck.Type, value); err != nil {
					report("%s: %v", rpcerr.Clip(name), err)
				}
			}
		}
	default:
		report("no value: set string_value or list_value")
	}
	k.problems[1] = len(ck.problems)
	ck.derivations |= 1 << k.derived
	ck.keys = append(ck.keys, k)
}

// distinctNames counts the distinct names among n.
func distinctNames(n int, name func(int) string) int {
	d := 0
outer:
	for i := range n {
		for j := range i {
			if name(i) == name(j) {
				continue outer
			}
		}
		d++
	}
	return d
}

// check reports, sorted by key, the problems of the keys with the
// principal and resource so known: a key's own problems, or that the
// server derives it (keys come in map order; sorting only problems keeps
// messages stable without sorting every request's keys).
func (ck *callerKeys) check(knownPrincipal, knownResource bool, sc *scratch) {
	if len(ck.problems) == 0 && len(ck.dups) == 0 && !ck.mayDerive(knownPrincipal, knownResource) {
		return
	}
	first := len(sc.violations)
	sc.violations = append(sc.violations, ck.dups...)
	for i := range ck.keys {
		k := &ck.keys[i]
		if k.derived.applies(knownPrincipal, knownResource) {
			sc.violations = append(sc.violations, rpcerr.FieldViolation{Field: "context[" + rpcerr.Clip(k.name) + "]",
				Description: rpcerr.Clip(k.name) + " is derived by the server and cannot be given by the caller"})
			continue
		}
		sc.violations = append(sc.violations, ck.problems[k.problems[0]:k.problems[1]]...)
	}
	// Stable: a key's problems stay in the order found, duplicates first.
	slices.SortStableFunc(sc.violations[first:], func(a, b rpcerr.FieldViolation) int { return strings.Compare(a.Field, b.Field) })
}

// set copies the keys into ctx.
func (ck *callerKeys) set(ctx *engine.Context) {
	for i := range ck.keys {
		k := &ck.keys[i]
		if k.multi {
			ctx.SetMultiKey(k.key, k.values)
		} else {
			ctx.SetKey(k.key, k.value)
		}
	}
}

// remove deletes the keys from ctx.
func (ck *callerKeys) remove(ctx *engine.Context) {
	for i := range ck.keys {
		ctx.DeleteKey(ck.keys[i].key)
	}
}

// mayDerive reports whether some key is one the server derives for a
// principal and resource so known.
func (ck *callerKeys) mayDerive(knownPrincipal, knownResource bool) bool {
	for d := derivedAlways; d <= derivedIfResource; d++ {
		if ck.derivations&(1<<d) != 0 && d.applies(knownPrincipal, knownResource) {
			return true
		}
	}
	return false
}
