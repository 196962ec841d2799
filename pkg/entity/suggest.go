package entity

import "github.com/pdp-dev/pdp/pkg/engine"

// suggest returns ` (did you mean "x"?)` for the candidate closest to s, or
// "" when none is close enough: the engine's rule, so that model and policy
// messages suggest alike.
func suggest(s string, candidates []string) string { return engine.Suggest(s, candidates) }
