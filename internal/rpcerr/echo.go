package rpcerr

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxEcho is the most bytes of one caller's value that the server repeats
// in an error message, a BadRequest detail, a log line or a decision
// record. Without a bound, a caller sending a value of megabytes would get
// it back twice in the error and write it into every log on the way.
const MaxEcho = 256

// maxDescription bounds one message or violation description whatever it
// holds, for text that comes from elsewhere (store keys, entity errors).
const maxDescription = 4096

// Clip returns s, or when it is longer than MaxEcho its first bytes (whole
// characters) followed by "…" and its length: `aaaa… (3000000 bytes)`.
func Clip(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	return cut(s, MaxEcho) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// Quote is what %q gives for s, or when s is longer than MaxEcho its first
// bytes quoted with "…", then its length: `"aaaa…" (3000000 bytes)`.
func Quote(s string) string {
	if len(s) <= MaxEcho {
		return strconv.Quote(s)
	}
	return strconv.Quote(cut(s, MaxEcho)+"…") + " (" + strconv.Itoa(len(s)) + " bytes)"
}

// cut returns the longest prefix of s of at most n bytes that does not end
// inside a UTF-8 character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// ClipMessage bounds a message formatted elsewhere, such as an engine or
// entity error, which quotes the values it names with %q: every quoted
// value longer than MaxEcho is shortened as Quote does, and what is still
// longer than maxDescription is cut as Clip does.
func ClipMessage(msg string) string {
	if len(msg) <= MaxEcho {
		return msg
	}
	var b strings.Builder
	rest := msg
	for {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			break
		}
		q, err := strconv.QuotedPrefix(rest[i:])
		if err != nil {
			b.WriteString(rest[:i+1])
			rest = rest[i+1:]
			continue
		}
		b.WriteString(rest[:i])
		if v, err := strconv.Unquote(q); err == nil && len(v) > MaxEcho+len("…") { // not Quote's own
			b.WriteString(Quote(v))
		} else {
			b.WriteString(q)
		}
		rest = rest[i+len(q):]
		if b.Len() > maxDescription {
			break
		}
	}
	b.WriteString(cut(rest, maxDescription+1))
	out := b.String()
	if len(out) <= maxDescription {
		return out
	}
	return cut(out, maxDescription) + "… (" + strconv.Itoa(len(msg)) + " bytes)"
}
