package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// Verdict is the answer to an access question for one principal, action
// and resource, over every request the open condition keys allow.
type Verdict uint8

// The four answers.
const (
	ImplicitDeny Verdict = iota // denied whatever the request: nothing allows it
	Allowed                     // allowed whatever the request
	ExplicitDeny                // denied whatever the request: a Deny statement applies
	Conditional                 // allowed for some requests and denied for others
)

// String returns "ALLOWED", "EXPLICIT_DENY", "IMPLICIT_DENY" or "CONDITIONAL".
func (v Verdict) String() string {
	switch v {
	case Allowed:
		return "ALLOWED"
	case ExplicitDeny:
		return "EXPLICIT_DENY"
	case Conditional:
		return "CONDITIONAL"
	}
	return "IMPLICIT_DENY"
}

// Denied reports whether the verdict denies every request.
func (v Verdict) Denied() bool { return v == ImplicitDeny || v == ExplicitDeny }

// A Value is the value of one context key: one string, or a list for a
// multivalued key. A Value without values that is not Multi fixes the key
// as absent from the request.
type Value struct {
	Values []string
	Multi  bool
}

// A Context fixes condition keys of the request by name; every key it does
// not fix and the model does not derive stays open.
type Context map[string]Value

// An Answer is the verdict for one principal, action and resource, with
// what decides it.
type Answer struct {
	Verdict Verdict
	// Statements are the statements that decide: for Allowed the Allow
	// statements that apply, for ExplicitDeny the Deny statements that
	// apply, for Conditional every statement that applies or may apply.
	Statements []engine.PartialStatement
	// Conditions are, for Conditional, the conditions on open keys that
	// decide, each once, in the order the statements give them.
	Conditions []engine.ConditionTerm
	// AllowedWhen and DeniedWhen are, for Conditional, one request of each
	// outcome: values of the open keys the conditions test, Value{} for
	// an absent key. They are
	// nil when the open keys have too many combinations to search.
	AllowedWhen, DeniedWhen Context
}

// Keys the model derives for every request: they are never open.
var derivedKeys = map[string]bool{
	"aws:principalarn":     true,
	"aws:principalaccount": true,
	"aws:principaltype":    true,
	"aws:username":         true,
}

const (
	prefixPrincipalTag = "aws:principaltag/"
	prefixResourceTag  = "aws:resourcetag/"
)

// CheckContext checks a caller's context: keys the model derives may not
// be given.
func CheckContext(c Context) error {
	seen := make(map[string]string, len(c)) // lower-case name → a name given
	for k := range c {
		lk := strings.ToLower(k)
		if other, ok := seen[lk]; ok {
			a, b := min(other, k), max(other, k)
			return fmt.Errorf("context: %q and %q name the same condition key (key names are case-insensitive): give it once", a, b)
		}
		seen[lk] = k
		switch {
		case k == "":
			return fmt.Errorf("context: empty key name")
		case derivedKeys[lk], strings.HasPrefix(lk, prefixPrincipalTag), strings.HasPrefix(lk, prefixResourceTag):
			return fmt.Errorf("context: key %q is derived from the model and may not be given", k)
		}
	}
	return nil
}

// request is one (principal, action, resource) question prepared for the
// engine.
type request struct {
	policies engine.Policies
	req      engine.Request
	open     engine.OpenKeys
}

// openUnlisted: for a resource the model does not list, its tags are
// unknown too.
func openListed(k string) bool {
	return !derivedKeys[k] && !strings.HasPrefix(k, prefixPrincipalTag) && !strings.HasPrefix(k, prefixResourceTag)
}
func openUnlisted(k string) bool { return !derivedKeys[k] && !strings.HasPrefix(k, prefixPrincipalTag) }

// derivedPairs returns the keys the model derives from a principal, as
// name and value pairs.
func derivedPairs(p *Principal) [][2]string {
	out := [][2]string{{"aws:PrincipalArn", p.ARN}, {"aws:PrincipalAccount", p.Account}}
	if p.Kind == "User" {
		out = append(out, [2]string{"aws:PrincipalType", "User"}, [2]string{"aws:username", p.Name})
	} else {
		out = append(out, [2]string{"aws:PrincipalType", "AssumedRole"})
	}
	for k, v := range p.Tags {
		out = append(out, [2]string{prefixPrincipalTag + k, v})
	}
	// By name, so that two principals derive the same keys exactly when
	// their lists are equal.
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// asker answers many questions with the same fixed keys, reusing one
// context.
type asker struct {
	m      *Model
	fixed  Context
	absent map[string]bool
	ctx    *engine.Context
	// The resource of the last question and what governs it.
	resource string
	policy   *engine.PolicySet
	resTags  [][2]string
	listed   bool
	// req is the question being answered; open its open keys.
	req      request
	open     engine.OpenKeys
	openBase engine.OpenKeys
	// scopes are the verdict caches of the questions asked for many
	// principals, by action.
	scopes map[string]*scope
}

func (m *Model) newAsker(fixed Context) *asker {
	a := &asker{m: m, fixed: fixed, ctx: engine.NewContext(16 + len(fixed)), resource: "\x00"}
	// The open keys: those the model does not derive for the resource at
	// hand (openBase), less those the caller fixed as absent.
	a.open = func(k string) bool { return !a.absent[k] && a.openBase(k) }
	for k, v := range fixed {
		if !v.Multi && len(v.Values) == 0 {
			if a.absent == nil {
				a.absent = map[string]bool{}
			}
			a.absent[strings.ToLower(k)] = true
		}
	}
	return a
}

// prepare builds the engine inputs of a question in the asker's context,
// valid until the next call.
func (a *asker) prepare(p *Principal, action, resource string) *request {
	if resource != a.resource {
		a.resource = resource
		var tags map[string]string
		a.policy, _, tags, a.listed = a.m.governing(resource)
		a.resTags = a.resTags[:0]
		for k, v := range tags {
			a.resTags = append(a.resTags, [2]string{prefixResourceTag + k, v})
		}
	}
	ctx := a.ctx
	ctx.Reset()
	a.openBase = openUnlisted
	if a.listed {
		a.openBase = openListed
	}
	for k, v := range a.fixed {
		switch {
		case v.Multi:
			ctx.SetMulti(k, v.Values)
		case len(v.Values) > 0:
			ctx.Set(k, v.Values[0])
		}
	}
	for _, kv := range p.derived {
		ctx.Set(kv[0], kv[1])
	}
	for _, kv := range a.resTags {
		ctx.Set(kv[0], kv[1])
	}
	r := &a.req
	*r = request{policies: p.policies, open: a.open}
	r.policies.Resource = a.policy
	r.req = engine.Request{Principal: p.ARN, Action: action, Resource: resource, Context: ctx}
	return r
}

// prepare builds the engine inputs of one question.
func (m *Model) prepare(p *Principal, action, resource string, fixed Context) *request {
	return m.newAsker(fixed).prepare(p, action, resource)
}

// Ask answers one question: may principal p perform action on resource,
// with the keys fixed set and every other key the model does not derive
// left open?
func (m *Model) Ask(p *Principal, action, resource string, fixed Context) Answer {
	return m.prepare(p, action, resource, fixed).answer()
}

// ask answers one question with the asker's fixed keys.
func (a *asker) ask(p *Principal, action, resource string) Answer {
	return a.prepare(p, action, resource).answer()
}

// verdict answers one question without saying why; it allocates only for
// a conditional answer.
func (a *asker) verdict(p *Principal, action, resource string) Verdict {
	r := a.prepare(p, action, resource)
	allowed, denied := engine.PartialVerdict(&r.policies, &r.req, r.open)
	switch {
	case allowed == engine.True:
		return Allowed
	case allowed == engine.False && denied == engine.True:
		return ExplicitDeny
	case allowed == engine.False:
		return ImplicitDeny
	}
	return r.decide(false).Verdict
}

// answerUnlessDenied returns the verdict of a question and, unless the
// partial evaluation finds it denied whatever the request, its answer.
func (a *asker) answerUnlessDenied(p *Principal, action, resource string) (Verdict, *Answer) {
	r := a.prepare(p, action, resource)
	allowed, denied := engine.PartialVerdict(&r.policies, &r.req, r.open)
	switch {
	case allowed == engine.False && denied == engine.True:
		return ExplicitDeny, nil
	case allowed == engine.False:
		return ImplicitDeny, nil
	}
	ans := r.answer()
	return ans.Verdict, &ans
}

// keep answers a question for a list: nil when the answer is denied and
// the list leaves denied answers out, which it finds without saying why.
func (a *asker) keep(o *Options, p *Principal, action, resource string) *Answer {
	if !o.IncludeDenied && a.verdict(p, action, resource).Denied() {
		return nil
	}
	ans := a.ask(p, action, resource)
	if !o.keep(ans.Verdict) {
		return nil
	}
	return &ans
}

func (r *request) answer() Answer { return r.decide(true) }

// decide answers the question; without examples, a Conditional answer
// leaves AllowedWhen and DeniedWhen out, which a caller that only needs
// the verdict does not build.
func (r *request) decide(examples bool) Answer {
	res := engine.EvaluatePartial(&r.policies, &r.req, r.open)
	switch res.Allowed {
	case engine.True:
		return Answer{Verdict: Allowed, Statements: pick(res.Statements, engine.EffectAllow)}
	case engine.False:
		if res.Denied == engine.True {
			return Answer{Verdict: ExplicitDeny, Statements: pick(res.Statements, engine.EffectDeny)}
		}
		return Answer{Verdict: ImplicitDeny}
	}
	a := Answer{Verdict: Conditional, Statements: res.Statements, Conditions: openTerms(res.Statements)}
	r.refine(&a, examples)
	return a
}

// pick returns the statements of one effect that apply whatever the open
// keys are.
func pick(list []engine.PartialStatement, e engine.Effect) []engine.PartialStatement {
	var out []engine.PartialStatement
	for _, s := range list {
		if s.Effect == e && s.Outcome == engine.True {
			out = append(out, s)
		}
	}
	return out
}

// openTerms lists the open conditions of the statements, each once.
func openTerms(list []engine.PartialStatement) []engine.ConditionTerm {
	var out []engine.ConditionTerm
	for _, s := range list {
		for _, t := range s.Open {
			if !slices.ContainsFunc(out, func(u engine.ConditionTerm) bool {
				return u.Operator == t.Operator && strings.EqualFold(u.Key, t.Key) && slices.Equal(u.Values, t.Values)
			}) {
				out = append(out, t)
			}
		}
	}
	return out
}
