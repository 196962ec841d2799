package decisionlog

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// timeLayout is RFC 3339 with nanoseconds, fixed width so that lines sort
// by time as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// masked replaces the value of a masked context key.
const masked = "***"

// encoder turns records into JSON lines, reusing its buffers. It belongs
// to the writer goroutine.
type encoder struct {
	mask    masker
	buf     []byte
	keys    []contextEntry // scratch for sorting a record's context
	collect func(key string, values []string, multi bool)
}

func newEncoder(mask []string) *encoder {
	e := &encoder{mask: newMasker(mask), buf: make([]byte, 0, 1024)}
	e.collect = func(key string, values []string, multi bool) {
		e.keys = append(e.keys, contextEntry{key, values, multi})
	}
	return e
}

type contextEntry struct {
	key    string
	values []string
	multi  bool
}

// encode returns r as one JSON object and a newline. The result is valid
// until the next call.
func (e *encoder) encode(r *Record) []byte {
	b := e.buf[:0]
	b = append(b, `{"time":"`...)
	b = r.Time.UTC().AppendFormat(b, timeLayout)
	b = append(b, `","request_id":`...)
	b = appendString(b, r.RequestID)
	b = append(b, `,"caller":`...)
	b = appendString(b, r.Caller)
	b = append(b, `,"method":`...)
	b = appendString(b, r.Method)
	b = append(b, `,"principal":`...)
	b = appendString(b, r.Principal)
	b = append(b, `,"action":`...)
	b = appendString(b, r.Action)
	b = append(b, `,"resource":`...)
	b = appendString(b, r.Resource)
	b = append(b, `,"decision":`...)
	b = appendString(b, r.Decision)
	if r.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, r.Error)
	}
	b = append(b, `,"revision":`...)
	b = strconv.AppendInt(b, r.Revision, 10)
	if r.InBatch {
		b = append(b, `,"batch_index":`...)
		b = strconv.AppendInt(b, int64(r.Index), 10)
	}
	if r.Context != nil {
		b = e.appendContext(b, r.Context)
	}
	if r.Matched != nil {
		b = appendMatched(b, r.Matched)
	}
	b = append(b, "}\n"...)
	e.buf = b
	return b
}

// appendContext writes the context's keys in order, masking the values of
// masked keys.
func (e *encoder) appendContext(b []byte, c Context) []byte {
	e.keys = e.keys[:0]
	c.Each(e.collect)
	slices.SortFunc(e.keys, func(x, y contextEntry) int { return cmp.Compare(x.key, y.key) })
	b = append(b, `,"context":{`...)
	for i, kv := range e.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, kv.key)
		b = append(b, ':')
		switch {
		case e.mask.masks(kv.key):
			b = appendString(b, masked)
		case kv.multi:
			b = append(b, '[')
			for j, v := range kv.values {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendString(b, v)
			}
			b = append(b, ']')
		case len(kv.values) > 0:
			b = appendString(b, kv.values[0])
		default:
			b = append(b, `null`...)
		}
	}
	clear(e.keys) // drop references to the record's strings
	return append(b, '}')
}

func appendMatched(b []byte, ms []Statement) []byte {
	b = append(b, `,"matched":[`...)
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		b = appendString(b, m.Type)
		b = append(b, `,"level":`...)
		b = strconv.AppendInt(b, int64(m.Level), 10)
		b = append(b, `,"policy":`...)
		b = appendString(b, m.Policy)
		b = append(b, `,"sid":`...)
		b = appendString(b, m.Sid)
		b = append(b, `,"index":`...)
		b = strconv.AppendInt(b, int64(m.Index), 10)
		b = append(b, `,"effect":`...)
		b = appendString(b, m.Effect)
		b = append(b, '}')
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does; so do U+2028 and U+2029 escapes, which JavaScript
// readers of the log would otherwise take for line ends.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// masker decides which context keys are masked. Condition key names are
// case-insensitive in IAM, so matching is too; an entry ending in "*"
// masks every key that starts with the rest ("aws:RequestTag/*").
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
type masker struct {
	exact    []string
	prefixes []string
}

func newMasker(keys []string) masker {
	var m masker
	for _, k := range keys {
		k = strings.TrimSpace(k)
		switch {
		case k == "":
		case strings.HasSuffix(k, "*"):
			m.prefixes = append(m.prefixes, strings.TrimSuffix(k, "*"))
		default:
			m.exact = append(m.exact, k)
		}
	}
	return m
}

func (m masker) masks(key string) bool {
	for _, k := range m.exact {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	for _, p := range m.prefixes {
		if len(key) >= len(p) && strings.EqualFold(p, key[:len(p)]) {
			return true
		}
	}
	return false
}
