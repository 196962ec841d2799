package snapshot

import (
	"hash/maphash"
	"strings"

	"github.com/pdp-dev/pdp/pkg/shardmap"
)

// A snapshot keeps its principals and resources in shardmap.Maps: a
// snapshot made from the previous one by a small change copies the shards
// that change and shares the others, so it costs little more than the
// change. Resources are sharded by their root (see resourceRoot), so that
// the resources under one keep to its shard and resourcesUnder reads one
// shard instead of all.

// hashResourceRoot shards a resource by its ARN cut at the second '/'.
func hashResourceRoot(seed maphash.Seed, arn string) uint64 {
	return maphash.String(seed, resourceRoot(arn))
}

// resourceRoot cuts an ARN at its second '/': every resource under a
// resource whose ARN holds a '/' has the same root as that resource
// (…:apps/a/campaigns/c and …:apps/a/campaigns under …:apps/a).
func resourceRoot(arn string) string {
	i := strings.IndexByte(arn, '/')
	if i < 0 {
		return arn
	}
	if j := strings.IndexByte(arn[i+1:], '/'); j >= 0 {
		return arn[:i+1+j]
	}
	return arn
}

// resourcesUnder calls f for every key of e under prefix (a resource
// ARN), that is starting with prefix + "/". For a prefix without a '/'
// every shard is read; otherwise only the prefix's own.
func resourcesUnder[V comparable](e *shardmap.Edit[string, V], prefix string, f func(string, V)) {
	visit := func(k string, v V) bool {
		if len(k) > len(prefix) && k[len(prefix)] == '/' && strings.HasPrefix(k, prefix) {
			f(k, v)
		}
		return true
	}
	if !strings.Contains(prefix, "/") {
		e.All(visit)
		return
	}
	e.Shard(prefix, visit)
}
