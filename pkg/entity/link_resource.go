package entity

import (
	"bytes"
	"hash/maphash"
	"iter"
	"maps"
	"reflect"
	"strings"

	"github.com/pdp-dev/pdp/pkg/shardmap"
)

// The resources of a Linker. A large model lists a million of them, most
// without a policy: each is one entry of one table, which the Linker and
// the Resolved it returns share, so that whoever follows the model need
// not keep a table of its own (see HoldsResource and ResourceARNs).

// hashResourceRoot shards a resource by its root (see ResourceRoot), so
// that the resources under one keep to its shard and
// [Resolved.EachResourceUnder] reads one shard instead of all.
func hashResourceRoot(seed maphash.Seed, arn string) uint64 {
	return maphash.String(seed, ResourceRoot(arn))
}

// ResourceRoot cuts an ARN at its second '/': every resource under a
// resource whose ARN holds a '/' has the same root as that resource
// (…:apps/a/campaigns/c and …:apps/a/campaigns under …:apps/a).
func ResourceRoot(arn string) string {
	i := strings.IndexByte(arn, '/')
	if i < 0 {
		return arn
	}
	if j := strings.IndexByte(arn[i+1:], '/'); j >= 0 {
		return arn[:i+1+j]
	}
	return arn
}

// resources returns the edit of the resources, opening it.
func (l *Linker) resources() *shardmap.Edit[string, *resolvedResource] {
	if l.resEdit == nil {
		base := l.live
		if l.res == nil && base.Len() == 0 {
			base = shardmap.New[string, *resolvedResource](hashResourceRoot, l.resHint)
		}
		l.resEdit = base.Edit()
		l.resShared = make(map[uintptr]*resolvedResource)
	}
	return l.resEdit
}

// resource returns the entry of the resource arn in the edit, or in the
// last Resolved when no edit is open.
func (l *Linker) resource(arn string) (*resolvedResource, bool) {
	if l.resEdit != nil {
		return l.resEdit.Get(arn)
	}
	return l.live.Get(arn)
}

// putResource puts a resource in the edit, unless the edit holds one with
// its ARN: one without a policy as it will be linked, sharing its entry
// with the others that have its tag map; one with a policy with its tags
// only, until Link parses the policy.
func (l *Linker) putResource(e *Resource) bool {
	ed := l.resources()
	tags := e.Tags
	if l.copyTags {
		tags = maps.Clone(tags)
	}
	policy := !isNull(e.Policy)
	var rr *resolvedResource
	if policy || l.copyTags {
		rr = &resolvedResource{tags: tags}
	} else {
		id := reflect.ValueOf(tags).Pointer()
		var ok bool
		if rr, ok = l.resShared[id]; !ok {
			rr = &resolvedResource{tags: tags}
			l.resShared[id] = rr
		}
	}
	if !ed.Add(e.ARN, rr) {
		return false
	}
	if policy {
		l.pending[e.ARN] = e
		l.policied[e.ARN] = e
	}
	return true
}

// HoldsResource reports whether the Linker holds a resource with e's ARN,
// policy (the same text) and tags: putting e in its place would change
// nothing. A follower that reads a resource's document again asks this
// instead of keeping every document it was given.
func (l *Linker) HoldsResource(e *Resource) bool {
	rr, ok := l.resource(e.ARN)
	if !ok {
		return false
	}
	old, policied := l.policied[e.ARN]
	switch {
	case isNull(e.Policy) == policied:
		return false
	case policied && !bytes.Equal(old.Policy, e.Policy):
		return false
	}
	return reflect.ValueOf(rr.tags).Pointer() == reflect.ValueOf(e.Tags).Pointer() || maps.Equal(rr.tags, e.Tags)
}

// NumResources returns the number of resources the Linker holds.
func (l *Linker) NumResources() int {
	if l.resEdit != nil {
		return l.resEdit.Len()
	}
	return l.live.Len()
}

// ResourceARNs yields the ARN of every resource the Linker holds, in no
// particular order. The Linker must not be changed while it yields.
func (l *Linker) ResourceARNs() iter.Seq[string] {
	return func(yield func(string) bool) {
		all := func(arn string, _ *resolvedResource) bool { return yield(arn) }
		if l.resEdit != nil {
			l.resEdit.All(all)
		} else {
			l.live.All(all)
		}
	}
}
