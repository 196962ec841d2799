package engine

import (
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of one piece of a compiled pattern.
type tokKind uint8

const (
	tokLit     tokKind = iota // literal text
	tokVar                    // a policy variable, resolved per request
	tokStar                   // '*': any run of characters, ':' included
	tokStarSeg                // '*' inside an ARN segment: any run without ':'
	tokOne                    // '?': exactly one character
	tokOneSeg                 // '?' in an ARN: one character other than ':'
)

type token struct {
	kind tokKind
	text string    // tokLit: the text
	v    *variable // tokVar
}

// A pattern is a string of an IAM policy compiled once: literal text,
// wildcards and policy variables as a token list, so that matching a request
// needs no parsing, no substitution buffer and no allocation.
type pattern struct {
	toks []token
	// exact is set when the pattern is one literal with no wildcard and no
	// variable: matching is then a string comparison.
	exact    bool
	matchAll bool // the pattern is a lone "*"
	hasVars  bool
	// prefixStar is set when the pattern is a literal followed by a '*'
	// that may cross ':', the usual form of a Resource ("arn:...:apps/abc/*"):
	// matching is then a prefix comparison.
	prefixStar bool
	// text is the literal when exact, and otherwise the literal the pattern
	// starts with (possibly empty). Comparing it first rejects most
	// requests without reading the token list.
	text string
	// probe holds eight bytes of text from probeAt on, for Resource
	// patterns whose text is long enough (probeAt is -1 otherwise). They
	// are the first bytes of the resource ID where the text has them, which
	// is where the Resources of a policy set (apps/A/*, apps/B/*, ...) tell
	// apart, so one word comparison turns most requests away without
	// reading the text itself.
	probe   uint64
	probeAt int
}

// patternOptions says how a policy string becomes a pattern.
type patternOptions struct {
	wildcards bool // '*' and '?' are wildcards (Action, Resource, ...Like)
	variables bool // "${...}" is a policy variable (Version 2012-10-17)
	arn       bool // '*' not at the end of an ARN segment cannot cross ':'
}

// compilePattern turns s into tokens. Malformed variables stay literal text
// (Validate reports them).
func compilePattern(s string, o patternOptions) pattern {
	if p, ok := compilePlain(s, o); ok {
		return p
	}
	return compileTokens(s, o)
}

// compileTokens is compilePattern for every shape.
func compileTokens(s string, o patternOptions) pattern {
	var p pattern
	// Literal text is kept as a slice of s where it is one run of s, which
	// is nearly always; a builder joins runs only around ${*}, ${?}, ${$}
	// and malformed variables.
	var lit strings.Builder
	litStart, litEnd := -1, -1 // the run of s not yet in lit
	addRun := func(from, to int) {
		if litStart >= 0 && litEnd == from {
			litEnd = to
			return
		}
		if litStart >= 0 {
			lit.WriteString(s[litStart:litEnd])
		}
		litStart, litEnd = from, to
	}
	addText := func(t string) {
		if litStart >= 0 {
			lit.WriteString(s[litStart:litEnd])
			litStart, litEnd = -1, -1
		}
		lit.WriteString(t)
	}
	flush := func() {
		var text string
		switch {
		case lit.Len() == 0 && litStart >= 0:
			text = s[litStart:litEnd]
		case litStart >= 0:
			lit.WriteString(s[litStart:litEnd])
			text = lit.String()
		default:
			text = lit.String()
		}
		lit.Reset()
		litStart, litEnd = -1, -1
		if text != "" {
			p.toks = append(p.toks, token{kind: tokLit, text: text})
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case o.variables && c == '$' && strings.HasPrefix(s[i:], "${"):
			v, n, ok := parseVariable(s[i:])
			if !ok {
				addRun(i, i+2)
				i += 2
				continue
			}
			i += n
			if v.literal != "" {
				addText(v.literal)
				continue
			}
			flush()
			p.toks = append(p.toks, token{kind: tokVar, v: &v})
			p.hasVars = true
		case o.wildcards && c == '*':
			flush()
			kind := tokStar
			if o.arn && i+1 < len(s) && s[i+1] != ':' && s[i+1] != '*' {
				kind = tokStarSeg
			}
			// Consecutive stars mean the same as one; keep the weaker kind.
			if n := len(p.toks); n > 0 && (p.toks[n-1].kind == tokStar || p.toks[n-1].kind == tokStarSeg) {
				if p.toks[n-1].kind == tokStarSeg || kind == tokStar {
					p.toks[n-1].kind = tokStar
				}
				i++
				continue
			}
			p.toks = append(p.toks, token{kind: kind})
			i++
		case o.wildcards && c == '?':
			// In an ARN, wildcards stay "within the individual segments of
			// an ARN (the parts separated by colons)" (the Resource element
			// page): only a segment's trailing '*' reaches past a colon.
			flush()
			kind := tokOne
			if o.arn {
				kind = tokOneSeg
			}
			p.toks = append(p.toks, token{kind: kind})
			i++
		default:
			j := i + 1
			for j < len(s) && !(s[j] == '$' && o.variables) && !((s[j] == '*' || s[j] == '?') && o.wildcards) {
				j++
			}
			addRun(i, j)
			i = j
		}
	}
	flush()
	if len(p.toks) > 0 && p.toks[0].kind == tokLit {
		p.text = p.toks[0].text
	}
	switch {
	case len(p.toks) == 0:
		p.exact = true
	case len(p.toks) == 1 && p.toks[0].kind == tokLit:
		p.exact = true
	case len(p.toks) == 1 && p.toks[0].kind == tokStar:
		p.matchAll = true
	case len(p.toks) == 2 && p.toks[0].kind == tokLit && p.toks[1].kind == tokStar:
		p.prefixStar = true
	}
	if p.exact || p.prefixStar {
		// The text says it all; see tokens.
		p.toks = nil
	}
	p.setProbe(o)
	return p
}

// setProbe computes the probe of a Resource pattern.
func (p *pattern) setProbe(o patternOptions) {
	p.probeAt = -1
	if o.arn {
		if p.probeAt = probeOffset(p.text); p.probeAt >= 0 {
			p.probe = load64(p.text, p.probeAt)
		}
	}
}

// compilePlain compiles the two commonest shapes without building tokens:
// literal text, and literal text ending in the pattern's only wildcard, a
// '*' (the usual Resource, "arn:...:apps/abc/*"). ok is false for any other
// shape, which compilePattern then reads token by token, with the same
// result for these two.
func compilePlain(s string, o patternOptions) (p pattern, ok bool) {
	body := s
	star := o.wildcards && strings.HasSuffix(s, "*")
	if star {
		body = s[:len(s)-1]
	}
	if star && body == "" {
		return p, false // a lone star matches everything
	}
	if o.variables && strings.IndexByte(body, '$') >= 0 {
		return p, false
	}
	if o.wildcards && strings.ContainsAny(body, "*?") {
		return p, false
	}
	p.text, p.exact, p.prefixStar = body, !star, star
	p.setProbe(o)
	return p, true
}

// probeOffset picks where a Resource pattern's probe starts: at the
// resource ID, after the first '/' of the resource part, when the text has
// eight bytes from there; else at its last eight bytes; -1 when the text is
// shorter than that.
func probeOffset(text string) int {
	if len(text) < 8 {
		return -1
	}
	if a, ok := splitARN(text); ok {
		if i := strings.IndexByte(a.resource, '/'); i >= 0 {
			if at := len(text) - len(a.resource) + i + 1; at+8 <= len(text) {
				return at
			}
		}
	}
	return len(text) - 8
}

// load64 reads eight bytes of s from i on as one word.
func load64(s string, i int) uint64 {
	b := s[i : i+8] // one bounds check; the compiler merges the loads
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// match reports whether s matches the pattern; fold makes literal text match
// without regard to case. A variable with no value matches nothing.
//
// The loop is the classic greedy wildcard match with backtracking to the most
// recent star. A star that may not cross ':' and meets one hands backtracking
// to the star before it, which is what mixing the two kinds needs; each such
// step moves past a colon, so the extra work is bounded by their number.
func (p *pattern) match(s string, ctx *Context, fold bool) bool {
	// The commonest Resource forms are kept small enough to be inlined.
	if p.matchAll {
		return true
	}
	if p.prefixStar && !fold {
		return strings.HasPrefix(s, p.text)
	}
	return p.matchSlow(s, ctx, fold)
}

func (p *pattern) matchSlow(s string, ctx *Context, fold bool) bool {
	if p.exact {
		if fold {
			return strings.EqualFold(s, p.text)
		}
		return s == p.text
	}
	// The leading literal is the first token: matching it here is what the
	// loop below would do first, as no star precedes it.
	if !hasPrefix(s, p.text, fold) {
		return false
	}
	if p.prefixStar {
		return true
	}
	start := 0
	if p.text != "" {
		start = 1
	}
	return p.matchFrom(s, start, len(p.text), ctx, fold)
}

// matchFrom matches s[si:] against the tokens from ti on.
func (p *pattern) matchFrom(s string, ti, si int, ctx *Context, fold bool) bool {
	var stack [8]starPoint
	depth := 0
	toks := p.toks
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar, tokStarSeg:
				if depth == len(stack) {
					copy(stack[:], stack[1:])
					depth--
				}
				stack[depth] = starPoint{ti: ti, si: si, seg: t.kind == tokStarSeg}
				depth++
				ti++
				continue
			case tokOne, tokOneSeg:
				if si < len(s) && (t.kind == tokOne || s[si] != ':') {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					ti++
					continue
				}
			case tokLit:
				if hasPrefix(s[si:], t.text, fold) {
					si += len(t.text)
					ti++
					continue
				}
			case tokVar:
				val, ok := ctx.resolve(t.v)
				if !ok {
					return false
				}
				if hasPrefix(s[si:], val, fold) {
					si += len(val)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the most recent star that can grow take one more character.
		for {
			if depth == 0 {
				return false
			}
			sp := &stack[depth-1]
			if sp.si >= len(s) {
				return false
			}
			if sp.seg && s[sp.si] == ':' {
				depth--
				continue
			}
			_, n := utf8.DecodeRuneInString(s[sp.si:])
			next := sp.si + n
			// A star followed by literal text can only stop where that text
			// starts: jump to its next occurrence rather than trying every
			// place on the way, each of which would fail at once. (Text that
			// starts with an ASCII byte starts at a character boundary.)
			if lit := p.litAfter(sp.ti); lit != "" && !fold && lit[0] < utf8.RuneSelf {
				idx := strings.Index(s[next:], lit)
				colon := -1
				if sp.seg {
					end := len(s)
					if idx >= 0 {
						end = next + idx
					}
					colon = strings.IndexByte(s[sp.si:end], ':')
				}
				switch {
				case colon >= 0:
					depth-- // the star would meet a ':' first
					continue
				case idx < 0:
					return false // the star reaches the end
				}
				next += idx
			}
			sp.si = next
			ti, si = sp.ti+1, sp.si
			break
		}
	}
}

// tokens returns the pattern's token list. An exact pattern and a literal
// followed by a star, the usual Resource, keep none: their text says it
// all, and the list would be a third of what a set's Resources take. Their
// list is built in buf for the code that reads tokens.
func (p *pattern) tokens(buf *[2]token) []token {
	switch {
	case p.toks != nil:
		return p.toks
	case p.exact && p.text != "":
		buf[0] = token{kind: tokLit, text: p.text}
		return buf[:1]
	case p.prefixStar:
		buf[0], buf[1] = token{kind: tokLit, text: p.text}, token{kind: tokStar}
		return buf[:2]
	}
	return nil
}

// litAfter returns the text of the token after token ti when it is
// literal text, else "".
func (p *pattern) litAfter(ti int) string {
	if ti+1 < len(p.toks) && p.toks[ti+1].kind == tokLit {
		return p.toks[ti+1].text
	}
	return ""
}

type starPoint struct {
	ti, si int
	seg    bool
}

func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if fold {
		return strings.EqualFold(s[:len(prefix)], prefix)
	}
	return s[:len(prefix)] == prefix
}

// expand substitutes the variables of a pattern compiled without wildcards.
// It allocates, so only values outside the string families use it.
func (p *pattern) expand(ctx *Context) (string, bool) {
	if p.exact {
		return p.text, true
	}
	var b strings.Builder
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tokVar {
			b.WriteString(t.text)
			continue
		}
		val, ok := ctx.resolve(t.v)
		if !ok {
			return "", false
		}
		b.WriteString(val)
	}
	return b.String(), true
}
