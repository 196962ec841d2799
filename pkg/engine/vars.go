package engine

import "strings"

// A variable is a policy variable such as ${aws:username} or
// ${aws:PrincipalTag/team, 'none'}, compiled once.
//
// Rules: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
type variable struct {
	key     string // lower case: keys match without regard to case
	hash    uint64 // keyHash(key)
	name    string // as written, for messages
	def     string // default value after ", '...'"
	hasDef  bool
	literal string // "*", "?" or "$" for ${*}, ${?} and ${$}; then key is empty
}

// parseVariable reads one "${...}" at the start of s and returns it with the
// number of bytes it spans. ok is false when s holds no well-formed variable,
// in which case IAM treats the text literally.
func parseVariable(s string) (v variable, n int, ok bool) {
	if v, n, ok = scanVariable(s); ok && v.literal == "" {
		v.key = strings.ToLower(v.name)
		v.hash = keyHash(v.key)
	}
	return v, n, ok
}

// scanVariable is parseVariable without the lower-case key and its hash,
// which cost an allocation and only evaluation needs: for checking what a
// variable names and where it ends.
func scanVariable(s string) (v variable, n int, ok bool) {
	end := strings.IndexByte(s, '}')
	if !strings.HasPrefix(s, "${") || end < 0 {
		return variable{}, 0, false
	}
	body := s[2:end]
	n = end + 1
	switch body {
	case "*", "?", "$":
		return variable{literal: body}, n, true
	}
	name, def, hasDef := strings.Cut(body, ",")
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " ${'") {
		return variable{}, 0, false
	}
	v = variable{name: name}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return variable{}, 0, false
		}
		v.def, v.hasDef = def[1:len(def)-1], true
	}
	return v, n, true
}
