package main

import (
	"fmt"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

type restRoute struct {
	op, method, path, action, resource, resourceType string
}

// restRoutes makes a route of every operation of a rest-json model.
func restRoutes(cat *catalog.Catalog, m *model) ([]restRoute, error) {
	if m.Metadata.Protocol != "rest-json" {
		return nil, fmt.Errorf("pinpoint model: protocol %q, want rest-json", m.Metadata.Protocol)
	}
	prefix := m.Metadata.SigningName
	var out []restRoute
	for _, name := range m.operationNames() {
		op := m.Operations[name]
		a, err := actionOf(cat, prefix, name)
		if err != nil {
			return nil, err
		}
		method := op.HTTP.Method
		if method == "" {
			method = "POST" // the models' default
		}
		path, _, _ := strings.Cut(op.HTTP.RequestURI, "?")
		r := restRoute{op: name, method: method, path: path, action: a.FullName}
		if err := bindREST(&r, a); err != nil {
			return nil, fmt.Errorf("operation %s (%s %s): %w", name, method, path, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// bindREST sets the route's resource: the ARN format of the action's one
// required resource type with its variables bound to the path segments at
// the same place, or the path's ARN parameter for the tagging operations,
// whose resource types are all optional.
func bindREST(r *restRoute, a *catalog.Action) error {
	var rt *catalog.ResourceType
	for _, ar := range a.ResourceTypes {
		if ar.Required {
			if rt != nil {
				return fmt.Errorf("%s requires two resource types", a.FullName)
			}
			rt = ar.Type
		}
	}
	if rt == nil {
		if strings.Contains(r.path, "{resource-arn}") {
			r.resource = "{resource-arn}"
			return nil
		}
		return fmt.Errorf("%s has no required resource type and the path no ARN", a.FullName)
	}
	head, res, err := arnResource(rt.ARNFormat)
	if err != nil {
		return err
	}
	arnSegs := strings.Split(res, "/")
	pathSegs := strings.Split(strings.TrimPrefix(r.path, "/"), "/")[1:] // after the version
	lastVar := -1
	for i, s := range arnSegs {
		if variable(s) != "" {
			lastVar = i
		}
	}
	if lastVar >= len(pathSegs) {
		return fmt.Errorf("resource %q has variables past the path's end", rt.ARNFormat)
	}
	bound := make([]string, len(arnSegs))
	for i, s := range arnSegs {
		v := variable(s)
		if v == "" {
			if i < lastVar && s != pathSegs[i] {
				return fmt.Errorf("resource %q: segment %d is %q in the ARN and %q in the path", rt.ARNFormat, i, s, pathSegs[i])
			}
			bound[i] = s
			continue
		}
		p := pathSegs[i]
		switch {
		case strings.HasPrefix(p, "{"):
			bound[i] = strings.Replace(p, "+}", "}", 1)
		case upperCased[v]:
			bound[i] = strings.ToUpper(p)
		default:
			return fmt.Errorf("resource %q: variable ${%s} falls on the literal %q", rt.ARNFormat, v, p)
		}
	}
	r.resource = head + strings.Join(bound, "/")
	r.resourceType = rt.Name
	return nil
}
