// Package shardmap is a persistent, copy-on-write map split into shards,
// the building block of the policy model's resolution (pkg/entity) and of
// the server's snapshots (internal/server). It lives under pkg/ so that
// both may import it; it is not part of the product's public surface and
// its API follows what those two need.
//
// A [Map] is immutable once made. An [Edit] makes a new Map from one,
// copying only the shards it changes and the pages that hold them; the
// rest is shared with the base. Two maps of one lineage of edits can
// therefore be compared page by page and shard by shard ([DiffKeys]),
// skipping what they share without reading it.
package shardmap
