package authzen

import (
	"encoding/json"
	"fmt"
)

// entity is an AuthZEN subject or resource: type, id and properties.
// Members other than these are ignored, as the specification asks.
type entity struct {
	Type       string                     `json:"type"`
	ID         string                     `json:"id"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// action is an AuthZEN action.
type action struct {
	Name       string                     `json:"name"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// tuple is one access question; a nil member was not sent.
type tuple struct {
	Subject  *entity                    `json:"subject"`
	Action   *action                    `json:"action"`
	Resource *entity                    `json:"resource"`
	Context  map[string]json.RawMessage `json:"context"`
}

// evaluationsRequest is the body of /access/v1/evaluations: the top-level
// members are defaults for every item.
type evaluationsRequest struct {
	tuple
	Evaluations []tuple       `json:"evaluations"`
	Options     *batchOptions `json:"options"`
}

// batchOptions are the options of a batch. PDP holds pdp's own options.
type batchOptions struct {
	Semantic string          `json:"evaluations_semantic"`
	PDP      json.RawMessage `json:"pdp"` // pdpOptions, read by pdpOptionsOf
}

// pdpOptions are pdp's extensions, under "pdp" in a request's context (for
// one evaluation) or in a batch's options. DecisionContext adds pdp's
// decision context to every item of a batch, which otherwise holds only
// the decision; Explain adds the explanation; MinRevision is
// CheckRequest.min_revision.
type pdpOptions struct {
	DecisionContext bool  `json:"decision_context"`
	Explain         bool  `json:"explain"`
	MinRevision     int64 `json:"min_revision"`
}

// The evaluations semantics of AuthZEN.
const (
	executeAll          = "execute_all"
	denyOnFirstDeny     = "deny_on_first_deny"
	permitOnFirstPermit = "permit_on_first_permit"
)

// merge returns the item with the defaults filled in: each member the item
// sends replaces the default whole, except that a subject or resource
// without type or id takes the default's (AuthZEN's entity-level
// replacement: {"id": "x"} under a default {"type": "aws_resource"}).
func (d *tuple) merge(it tuple) tuple {
	it.Subject = mergeEntity(it.Subject, d.Subject)
	if it.Action == nil {
		it.Action = d.Action
	}
	it.Resource = mergeEntity(it.Resource, d.Resource)
	if it.Context == nil {
		it.Context = d.Context
	}
	return it
}

// mergeEntity is the item's entity, with type and id from the default
// when it lacks them; the default when the item has none.
func mergeEntity(it, def *entity) *entity {
	if it == nil || def == nil || (it.Type != "" && it.ID != "") {
		if it == nil {
			return def
		}
		return it
	}
	e := *it
	if e.Type == "" {
		e.Type = def.Type
	}
	if e.ID == "" {
		e.ID = def.ID
	}
	return &e
}

// A requestError is a request the API refuses with 400 Bad Request.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{msg: fmt.Sprintf(format, args...)}
}

// check tells the first required member the tuple lacks: subject.type,
// subject.id, action.name, resource.type and resource.id.
func (t *tuple) check() error {
	switch {
	case t.Subject == nil:
		return badRequest("missing required member: subject")
	case t.Subject.Type == "":
		return badRequest("missing required member: subject.type")
	case t.Subject.ID == "":
		return badRequest("missing required member: subject.id")
	case t.Action == nil:
		return badRequest("missing required member: action")
	case t.Action.Name == "":
		return badRequest("missing required member: action.name")
	case t.Resource == nil:
		return badRequest("missing required member: resource")
	case t.Resource.Type == "":
		return badRequest("missing required member: resource.type")
	case t.Resource.ID == "":
		return badRequest("missing required member: resource.id")
	}
	return nil
}
