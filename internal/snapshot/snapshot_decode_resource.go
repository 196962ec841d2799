package snapshot

import (
	"bytes"
	"slices"

	"github.com/pdp-dev/pdp/pkg/store"
)

// A million resource documents are most of a full read, and a writer
// stores each in one form, encoding/json's: {"arn":"ARN"} or
// {"arn":"ARN","tags":{"KEY":"VALUE",...}}, without white space. The
// reader here reads that form alone, byte by byte, with no JSON decoder
// to set up; whatever else a document holds (a policy, white space, an
// escape, a byte outside printable ASCII, a key twice, another order) is
// left to fastReader, which reads every form.

// plainResource reads a resource document of k in the form a writer
// stores it, with strings of printable ASCII that need no escape, and
// returns its tags, pooled (nil for none); false when the document is in
// another form.
func (r *fastReader) plainResource(k store.Key, doc []byte) (map[string]string, bool) {
	const head = `{"arn":"`
	rest, ok := bytes.CutPrefix(doc, []byte(head))
	if !ok || k.ID == "" || len(rest) <= len(k.ID) || string(rest[:len(k.ID)]) != k.ID || !plainText(rest[:len(k.ID)]) {
		return nil, false
	}
	rest = rest[len(k.ID):]
	switch {
	case string(rest) == `"}`:
		return nil, true
	case !bytes.HasPrefix(rest, []byte(`","tags":{`)):
		return nil, false
	}
	rest = rest[len(`","tags":{`):]
	var kvBuf [maxFastTags][2][]byte
	kv := kvBuf[:0]
	for first := true; ; first = false {
		if string(rest) == "}}" {
			break
		}
		if !first {
			if rest, ok = bytes.CutPrefix(rest, []byte(",")); !ok {
				return nil, false
			}
		}
		var key, value []byte
		if key, rest, ok = plainString(rest); !ok {
			return nil, false
		}
		if rest, ok = bytes.CutPrefix(rest, []byte(":")); !ok {
			return nil, false
		}
		if value, rest, ok = plainString(rest); !ok || len(kv) == cap(kv) {
			return nil, false
		}
		kv = append(kv, [2][]byte{key, value})
	}
	slices.SortFunc(kv, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
	for i := 1; i < len(kv); i++ {
		if bytes.Equal(kv[i-1][0], kv[i][0]) { // a key twice: refused by the strict reader
			return nil, false
		}
	}
	return r.plainTags(kv), true
}

// plainString reads a string of plainText at the start of b and returns
// its text and what follows it.
func plainString(b []byte) (text, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, nil, false
	}
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 || !plainText(b[1:1+end]) {
		return nil, nil, false
	}
	return b[1 : 1+end], b[2+end:], true
}

// plainText reports whether b is printable ASCII without a quote or a
// backslash: the text of a JSON string as written, which needs no
// decoding and is valid UTF-8.
func plainText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// plainTags returns the pooled map of the sorted tags kv, which are the
// bytes of a document: they are copied only into a map the pool makes.
func (r *fastReader) plainTags(kv [][2][]byte) map[string]string {
	if len(kv) == 0 {
		return r.sharedTags(nil)
	}
	var buf [256]byte
	key := tagKey(buf[:0], kv)
	if m, ok := r.ownTags[string(key)]; ok {
		return m
	}
	var strBuf [maxFastTags][2]string
	strs := strBuf[:0]
	for _, p := range kv {
		strs = append(strs, [2]string{string(p[0]), string(p[1])})
	}
	return r.sharedTags(strs)
}
