package server

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A request is bounded in bytes (--max-message-bytes), but what decoding
// it costs is not: an empty BatchCheckItem, an empty Change or a map
// entry is two bytes on the wire and a struct of a hundred bytes or more
// once decoded. 4 MiB of empty batch items decoded into 300 MB before the
// handler could refuse them as too many, and sixteen such calls at once
// held 5 GB. The codec counts the messages a request embeds (map entries
// included) on the wire first, and refuses one that holds more than any
// request within the limits can.

// scanFromBytes is the size from which a request's embedded messages are
// counted before it is decoded: smaller ones cannot hold enough to matter,
// and the decision calls on the hot path are far smaller.
const scanFromBytes = 64 << 10

// MaxRequestMessages returns the most messages (map entries included) a
// request within the limits embeds: a BatchCheck of maxBatch items and
// its defaults, each with a context of list values (a map entry, a
// ContextValue and a StringList per key) and session tags, or a change
// set of maxChanges changes (a Change and its EntityKey each).
func MaxRequestMessages(l Limits, maxBatch, maxChanges int) int {
	l = l.withDefaults()
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatchItems
	}
	perItem := 1 + 4*l.MaxContextKeys
	return max((maxBatch+1)*perItem, 2*maxChanges+perItem)
}

// overMessages walks the wire form of a message of type md, taking one
// from *left for every message it embeds, and reports the field of md
// ("items") in which *left ran out. Bytes that do not parse
// end the walk without a finding: decoding reports them.
func overMessages(b []byte, md protoreflect.MessageDescriptor, left *int, depth int) (string, bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", false
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return "", false
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return "", false
		}
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if fd == nil || fd.Kind() != protoreflect.MessageKind {
			continue
		}
		if *left--; *left < 0 {
			return string(fd.Name()), true
		}
		if depth >= protowire.DefaultRecursionLimit {
			continue // decoding refuses it
		}
		if _, over := overMessages(v, fd.Message(), left, depth+1); over {
			return string(fd.Name()), true
		}
	}
	return "", false
}
