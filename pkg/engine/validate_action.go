package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// actionSet is what a statement's Action or NotAction list covers, as far as
// the resource and condition checks need it.
type actionSet struct {
	not     bool
	actions []*catalog.Action // catalog actions covered, without duplicates
	exact   []exactAction     // entries that name one catalog action
	// complete is set when every entry resolved in the catalog: no "*", no
	// other service, no unknown or malformed name. Only then do the
	// statement's actions tell which resources and keys can apply.
	complete bool
}

// exactAction is an Action entry without wildcards that names a catalog action.
type exactAction struct {
	index  int
	field  field
	text   Text
	action *catalog.Action
}

// actionStatus is what one Action entry turned out to be.
type actionStatus uint8

const (
	actionKnown   actionStatus = iota // resolved in the catalog
	actionForeign                     // "*", or may cover other services' actions
	actionBad                         // unknown or malformed: already reported
)

// actionList checks each entry of Action or NotAction and collects what the
// list covers. The set lives in the validator's scratch until the next
// statement.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
func (v *validator) actionList(st *Statement) actionSet {
	list, not := st.Actions()
	base := plain("Action")
	if not {
		base = plain("NotAction")
	}
	set := actionSet{not: not, complete: true}
	v.actions, v.exact, v.entries = v.actions[:0], v.exact[:0], v.entries[:0]
	for i, t := range list {
		facts := factsOf(t.Value)
		v.entries = append(v.entries, facts)
		f := base.elem(i, len(list))
		matched, status := v.action(st, f, t, facts.wildcard)
		if status != actionKnown {
			set.complete = false
		}
		for _, a := range matched {
			if w, bit := a.ID/64, uint64(1)<<(a.ID%64); v.seen[w]&bit == 0 {
				v.seen[w] |= bit
				v.actions = append(v.actions, a)
			}
		}
		if status == actionKnown && !facts.wildcard {
			v.exact = append(v.exact, exactAction{index: i, field: f, text: t, action: matched[0]})
		}
	}
	for _, a := range v.actions {
		v.seen[a.ID/64] = 0
	}
	set.actions, set.exact = v.actions, v.exact
	v.redundantActions(st, base, list, &set)
	return set
}

// action checks one Action entry and returns the catalog actions it covers,
// in a slice that is good until the next call. wild says whether the entry
// holds '*' or '?'.
func (v *validator) action(st *Statement, f field, t Text, wild bool) ([]*catalog.Action, actionStatus) {
	s := t.Value
	if s == "*" {
		return nil, actionForeign
	}
	if strings.Contains(s, "${") {
		v.errorf(st, f, t.Pos, CodeVariableNotAllowed,
			"%s cannot hold policy variables: IAM does not expand them in actions, so %q is matched as written", f, s)
		return nil, actionBad
	}
	prefix, name, ok := strings.Cut(s, ":")
	if !ok || prefix == "" || name == "" {
		v.errorf(st, f, t.Pos, CodeInvalidValue, `%s must be "*" or "service:action", not %q`, f, s)
		return nil, actionBad
	}
	if wild && hasWildcard(prefix) {
		matched := v.cat.ActionsMatching(s)
		if len(matched) == 0 {
			v.warnf(st, f, t.Pos, CodeUnknownService,
				"%q matches no action of %s; pdp decides no other service, so it has no effect here", s, v.servicesText())
		}
		return matched, actionForeign
	}
	if a, ok := v.cat.Action(s); ok {
		v.one[0] = a
		return v.one[:], actionKnown
	}
	svc, ok := v.cat.Service(prefix)
	if !ok {
		v.warnf(st, f, t.Pos, CodeUnknownService,
			"action %q is outside the services pdp decides (%s) and has no effect here%s",
			s, v.servicesText(), Suggest(prefix, v.servicePrefixes()))
		return nil, actionForeign
	}
	if wild && hasWildcard(name) {
		matched := v.cat.ActionsMatching(s)
		if len(matched) == 0 {
			v.errorf(st, f, t.Pos, CodeUnknownAction, "action pattern %q matches no action of %s", s, svc.Prefix)
			return nil, actionBad
		}
		return matched, actionKnown
	}
	hint := ""
	if sug, ok := v.cat.SuggestAction(s); ok {
		hint = fmt.Sprintf(" (did you mean %q?)", sug)
	}
	v.errorf(st, f, t.Pos, CodeUnknownAction, "unknown action %q%s", s, hint)
	return nil, actionBad
}

// redundantActions reports an entry listed twice and, in an Allow statement,
// an action that a pattern of the same list already covers. v.entries has
// the facts of the list's entries.
func (v *validator) redundantActions(st *Statement, base field, list []Text, set *actionSet) {
	entries, wildcards := v.entries, false
	for i, t := range list {
		wildcards = wildcards || entries[i].wildcard
		for j := range i {
			// ASCII strings equal without regard to case have one length.
			if entries[i].ascii && entries[j].ascii && len(t.Value) != len(list[j].Value) ||
				!strings.EqualFold(list[j].Value, t.Value) {
				continue
			}
			v.warnf(st, base.elem(i, len(list)), t.Pos, CodeRedundant,
				"%q is listed twice (also %s)", t.Value, base.elem(j, len(list)))
			entries[i].reported = true
			break
		}
	}
	if set.not || st.Effect != EffectAllow || !wildcards {
		return
	}
	for _, e := range set.exact {
		if entries[e.index].reported {
			continue
		}
		for j, p := range list {
			if !entries[j].wildcard || !e.action.MatchedBy(p.Value) {
				continue
			}
			v.warnf(st, e.field, e.text.Pos, CodeRedundant,
				"%q is already covered by %q (%s)", e.text.Value, p.Value, base.elem(j, len(list)))
			break
		}
	}
}

// entryFacts is what the action checks learn about an Action entry once.
type entryFacts struct {
	ascii, wildcard, reported bool
}

func factsOf(s string) entryFacts {
	var seen byte
	for i := range len(s) {
		seen |= byteFacts[s[i]]
	}
	return entryFacts{ascii: seen&notASCII == 0, wildcard: seen&wildcard != 0}
}

// byteFacts says which bytes are not ASCII, and which are wildcards. It
// never changes.
var byteFacts = func() (t [256]byte) {
	for c := 0x80; c < 0x100; c++ {
		t[c] = notASCII
	}
	t['*'], t['?'] = wildcard, wildcard
	return t
}()

const (
	notASCII = 1 << iota
	wildcard
)

// hasWildcard reports whether s holds '*' or '?'.
func hasWildcard(s string) bool {
	return strings.IndexByte(s, '*') >= 0 || strings.IndexByte(s, '?') >= 0
}

func (v *validator) servicePrefixes() []string {
	var out []string
	for _, s := range v.cat.Services() {
		out = append(out, s.Prefix)
	}
	return out
}

// servicesText lists the catalog's services for messages: "mobiletargeting
// and sms-voice".
func (v *validator) servicesText() string {
	p := v.servicePrefixes()
	if len(p) < 2 {
		return strings.Join(p, "")
	}
	return strings.Join(p[:len(p)-1], ", ") + " and " + p[len(p)-1]
}

// resources checks Resource or NotResource: each value must be "*" or an
// ARN, and in Resource each ARN of a service pdp decides must fit a resource
// type of the statement's actions.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
func (v *validator) resources(st *Statement, acts *actionSet) {
	list, not := st.Resources()
	base := plain("Resource")
	if not {
		base = plain("NotResource")
	}
	star := false
	for i, t := range list {
		f := base.elem(i, len(list))
		v.variablesIn(st, f, t)
		if t.Value == "*" {
			star = true
			continue
		}
		if v.resourceFormat(st, f, t) && !not {
			v.resourceFits(st, f, t, acts)
		}
	}
	if !not && !acts.not && len(list) > 0 && !star {
		v.wildcardOnly(st, acts)
	}
}

// resourceFormat reports whether t looks like an ARN, reporting it if not.
func (v *validator) resourceFormat(st *Statement, f field, t Text) bool {
	s := t.Value
	if !strings.HasPrefix(s, "arn:") {
		v.errorf(st, f, t.Pos, CodeInvalidValue, `%s must be "*" or an ARN, not %q`, f, s)
		return false
	}
	if strings.Count(s, ":") < 5 && !hasWildcard(s) {
		v.errorf(st, f, t.Pos, CodeInvalidValue,
			"%s must be an ARN of six parts (arn:partition:service:region:account:resource), not %q", f, s)
		return false
	}
	return true
}

// arnService returns the service part of an ARN pattern, the text between
// its second and third colons, or false when it has fewer than three.
func arnService(s string) (string, bool) {
	start := 0
	for range 2 {
		i := strings.IndexByte(s[start:], ':')
		if i < 0 {
			return "", false
		}
		start += i + 1
	}
	end := strings.IndexByte(s[start:], ':')
	if end < 0 {
		return "", false
	}
	return s[start : start+end], true
}

// resourceFits checks an ARN pattern of a Resource element against the
// resource types of its service and of the statement's actions. ARNs of
// other services are left alone unless every action of the statement is
// pdp's, in which case they can match nothing.
func (v *validator) resourceFits(st *Statement, f field, t Text, acts *actionSet) {
	service, ok := arnService(t.Value)
	if !ok || hasWildcard(service) || strings.IndexByte(service, '$') >= 0 {
		return
	}
	svc := v.serviceOf(service)
	if svc == nil {
		if s, ok := v.cat.Service(service); ok {
			v.errorf(st, f, t.Pos, CodeInvalidValue,
				"the service part of %q must be %q: ARNs are case-sensitive", t.Value, s.Prefix)
			return
		}
		if acts.complete && !acts.not && len(acts.actions) > 0 {
			v.warnf(st, f, t.Pos, CodeResourceMismatch, foreignResource, t.Value, service)
		}
		return
	}
	// The types of the statement's actions are the service's too, so an
	// ARN that fits one of them has nothing to report: try them first.
	checkActions := acts.complete && !acts.not
	var same []*catalog.Action // the actions of the ARN's service that have resource types
	others := false
	if checkActions {
		same = v.same[:0]
		for _, a := range acts.actions {
			switch {
			case a.WildcardOnly:
			case a.Service == svc:
				same = append(same, a)
			default:
				others = true
			}
		}
		v.same = same
		if v.fitsActions(same, t.Value) {
			return
		}
	}
	if !anyOverlaps(svc.ResourceTypes, t.Value) {
		v.warnf(st, f, t.Pos, CodeResourceMismatch, "%q fits no resource type of %s", t.Value, svc.Prefix)
		return
	}
	switch {
	case !checkActions:
	case len(same) > 0:
		v.warnf(st, f, t.Pos, CodeResourceMismatch, "%q fits no resource type of %s", t.Value, actionsText(same))
	case others:
		v.warnf(st, f, t.Pos, CodeResourceMismatch, foreignResource, t.Value, svc.Prefix)
	}
}

// fitsActions reports whether the ARN pattern overlaps a resource type of
// one of the actions, trying each type once.
func (v *validator) fitsActions(acts []*catalog.Action, pattern string) bool {
	tried, fits := v.tried[:0], false
	for _, a := range acts {
		for _, ar := range a.ResourceTypes {
			if fits = !slices.Contains(tried, ar.Type) && ar.Type.Overlaps(pattern); fits {
				break
			}
			tried = append(tried, ar.Type)
		}
		if fits {
			break
		}
	}
	v.tried = tried
	return fits
}

const foreignResource = "%q is a resource of service %q, on which none of the statement's actions acts; it matches nothing here"

// serviceOf returns the catalog service whose prefix is exactly s.
func (v *validator) serviceOf(s string) *catalog.Service {
	for _, svc := range v.cat.Services() {
		if svc.Prefix == s {
			return svc
		}
	}
	return nil
}

func anyOverlaps(types []*catalog.ResourceType, pattern string) bool {
	for _, rt := range types {
		if rt.Overlaps(pattern) {
			return true
		}
	}
	return false
}

// actionsText names the actions an ARN was checked against, with the
// resource types of a single action, which is what the author needs to fix
// the ARN.
func actionsText(acts []*catalog.Action) string {
	if len(acts) > 1 {
		return fmt.Sprintf("the statement's %d %s actions", len(acts), acts[0].Service.Prefix)
	}
	a := acts[0]
	if len(a.ResourceTypes) == 1 {
		rt := a.ResourceTypes[0].Type
		return fmt.Sprintf("%s (it acts on %s: %q)", a.FullName, rt.Name, rt.ARNFormat)
	}
	names := make([]string, len(a.ResourceTypes))
	for i, ar := range a.ResourceTypes {
		names[i] = ar.Type.Name
	}
	return fmt.Sprintf("%s (it acts on %s)", a.FullName, strings.Join(names, ", "))
}

// wildcardOnly reports actions that support no resource type in a statement
// whose Resource lists only ARNs: requests for them carry "*", which no ARN
// matches.
func (v *validator) wildcardOnly(st *Statement, acts *actionSet) {
	for _, e := range acts.exact {
		if e.action.WildcardOnly {
			v.warnf(st, e.field, e.text.Pos, CodeWildcardOnlyAction,
				`%s supports no resource type, so it needs "Resource": "*"; the statement's ARNs never match it`,
				e.action.FullName)
		}
	}
}
