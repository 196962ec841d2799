package authzen

import (
	"bytes"
	"encoding/json"
	"strconv"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
)

// The entity types of the mapping (README, "AuthZEN").
const (
	SubjectType  = "aws_principal"
	ResourceType = "aws_resource"
)

// pdpKey is the context member that holds pdp's options rather than a
// condition key: IAM condition keys always hold a colon.
const pdpKey = "pdp"

// toCheck maps one complete tuple onto a CheckRequest:
//
//	subject  {type: aws_principal, id: principal ARN, properties: {session_tags, session_policies}}
//	action   {name: "service:Action"}
//	resource {type: aws_resource, id: ARN, properties: {resource_account}}
//	context  IAM condition keys: strings, numbers, booleans or lists of them
//
// It also returns pdp's options from context.pdp.
func toCheck(t *tuple) (*pdpv1.CheckRequest, pdpOptions, error) {
	if err := t.check(); err != nil {
		return nil, pdpOptions{}, err
	}
	return mapTuple(t)
}

// mapTuple is toCheck for a tuple whose required members were checked;
// the id a search looks for may be empty.
func mapTuple(t *tuple) (*pdpv1.CheckRequest, pdpOptions, error) {
	var opts pdpOptions
	if t.Subject.Type != SubjectType {
		return nil, opts, badRequest("subject.type %q is not supported: want %q", rpcerr.Clip(t.Subject.Type), SubjectType)
	}
	if t.Resource.Type != ResourceType {
		return nil, opts, badRequest("resource.type %q is not supported: want %q", rpcerr.Clip(t.Resource.Type), ResourceType)
	}
	req := &pdpv1.CheckRequest{Principal: t.Subject.ID, Action: t.Action.Name, Resource: t.Resource.ID}
	if raw, ok := t.Subject.Properties["session_tags"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &req.SessionTags); err != nil {
			return nil, opts, badRequest("subject.properties.session_tags: want an object of strings")
		}
	}
	if raw, ok := t.Subject.Properties["session_policies"]; ok && !isNull(raw) {
		pols, err := sessionPolicies(raw)
		if err != nil {
			return nil, opts, err
		}
		req.SessionPolicies = pols
	}
	if raw, ok := t.Resource.Properties["resource_account"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &req.ResourceAccount); err != nil {
			return nil, opts, badRequest("resource.properties.resource_account: want a string")
		}
	}
	for k, raw := range t.Context {
		if k == pdpKey {
			o, err := pdpOptionsOf("context."+pdpKey, raw)
			if err != nil {
				return nil, opts, err
			}
			opts = o
			continue
		}
		v, err := contextValue(raw)
		if err != nil {
			return nil, opts, badRequest("context.%s: %v", rpcerr.Clip(k), err)
		}
		if req.Context == nil {
			req.Context = make(map[string]*pdpv1.ContextValue, len(t.Context))
		}
		req.Context[k] = v
	}
	req.Explain = opts.Explain
	req.MinRevision = opts.MinRevision
	return req, opts, nil
}

// sessionPolicies reads a list of policy documents, each a JSON string or
// a JSON object.
func sessionPolicies(raw json.RawMessage) ([]string, error) {
	var docs []json.RawMessage
	if err := json.Unmarshal(raw, &docs); err != nil {
		return nil, badRequest("subject.properties.session_policies: want a list of policy documents")
	}
	out := make([]string, 0, len(docs))
	for i, d := range docs {
		d = bytes.TrimSpace(d)
		switch {
		case len(d) > 0 && d[0] == '"':
			var s string
			if err := json.Unmarshal(d, &s); err != nil {
				return nil, badRequest("subject.properties.session_policies[%d]: %v", i, err)
			}
			out = append(out, s)
		case len(d) > 0 && d[0] == '{':
			out = append(out, string(d))
		default:
			return nil, badRequest("subject.properties.session_policies[%d]: want a policy document (a string or an object)", i)
		}
	}
	return out, nil
}

// contextValue converts one context member into a condition key's value:
// a string, a number or a boolean (as its JSON text: 42, true), or a list
// of them.
func contextValue(raw json.RawMessage) (*pdpv1.ContextValue, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		vals := make([]string, len(items))
		for i, it := range items {
			s, err := scalar(it)
			if err != nil {
				return nil, badRequest("item %d: %v", i, err)
			}
			vals[i] = s
		}
		return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: vals}}}, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: s}}, nil
}

// scalar is the string of a JSON string, number or boolean.
func scalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", badRequest("want a string, number or boolean")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case 't', 'f':
		b, err := strconv.ParseBool(string(raw))
		if err != nil {
			return "", badRequest("want a string, number or boolean")
		}
		return strconv.FormatBool(b), nil
	case '{', '[', 'n':
		return "", badRequest("want a string, number or boolean")
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", badRequest("want a string, number or boolean")
	}
	return n.String(), nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }
