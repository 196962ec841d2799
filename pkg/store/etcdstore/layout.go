package etcdstore

import (
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/pdp-dev/pdp/pkg/store"
)

// layout names the etcd keys of a store under its prefix (see doc.go).
type layout struct {
	prefix string // ends with "/"
}

// Key sections under the prefix.
const (
	entitySection = "e/"
	tombSection   = "t/"
	logName       = "log"
)

func (l layout) log() string { return l.prefix + logName }

func (l layout) entity(k store.Key) string { return l.kind(k.Kind) + k.ID }

func (l layout) tomb(k store.Key) string { return l.prefix + tombSection + string(k.Kind) + "/" + k.ID }

// kind is the prefix of the entity keys of one kind.
func (l layout) kind(k store.Kind) string { return l.prefix + entitySection + string(k) + "/" }

// A section says what an etcd key under the prefix holds.
type section uint8

const (
	sectionOther section = iota // not written by this package
	sectionEntity
	sectionTomb
	sectionLog
)

// parse says what an etcd key under the prefix is, and for entities and
// tombstones which entity it belongs to.
func (l layout) parse(key []byte) (section, store.Key) {
	rest, ok := strings.CutPrefix(string(key), l.prefix)
	if !ok {
		return sectionOther, store.Key{}
	}
	if rest == logName {
		return sectionLog, store.Key{}
	}
	sec := sectionEntity
	rest, ok = strings.CutPrefix(rest, entitySection)
	if !ok {
		sec = sectionTomb
		if rest, ok = strings.CutPrefix(rest, tombSection); !ok {
			return sectionOther, store.Key{}
		}
	}
	k, ok := parseKey(rest)
	if !ok {
		return sectionOther, store.Key{}
	}
	return sec, k
}

// parseKey parses "kind/id", the form of store.Key.String; the ID may
// hold slashes, the kind never does.
func parseKey(s string) (store.Key, bool) {
	kind, id, ok := strings.Cut(s, "/")
	k := store.Key{Kind: store.Kind(kind), ID: id}
	return k, ok && k.Validate() == nil
}

// modRevision is the ModRevision of the only key in kvs, or 0 when kvs is
// empty (the key does not exist).
func modRevision(kvs []*mvccpb.KeyValue) int64 {
	if len(kvs) == 0 {
		return 0
	}
	return kvs[0].ModRevision
}
