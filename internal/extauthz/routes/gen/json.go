package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

type jsonRoute struct {
	op, target, action string
	ids                []identifier
}

type identifier struct {
	field    string
	required bool
	kinds    []kind
}

type kind struct{ rt, prefix, arn string }

// jsonRoutes makes a route of every operation of an AWS JSON model.
func jsonRoutes(cat *catalog.Catalog, m *model) ([]jsonRoute, error) {
	if m.Metadata.Protocol != "json" || m.Metadata.TargetPrefix == "" {
		return nil, fmt.Errorf("sms-voice model: protocol %q, target prefix %q, want json with a prefix",
			m.Metadata.Protocol, m.Metadata.TargetPrefix)
	}
	prefix := m.Metadata.SigningName
	var out []jsonRoute
	for _, name := range m.operationNames() {
		a, err := actionOf(cat, prefix, name)
		if err != nil {
			return nil, err
		}
		r := jsonRoute{op: name, target: m.Metadata.TargetPrefix + "." + name, action: a.FullName}
		r.ids, err = identifiers(m, m.input(m.Operations[name]), a)
		if err != nil {
			return nil, fmt.Errorf("operation %s: %w", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// identifiers binds the action's resource types to the input's fields:
// the field named as the ARN format's first variable (PhoneNumberId,
// ConfigurationSetName), else a polymorphic field (OriginationIdentity),
// with the format's other variables bound to fields of their names
// (SenderId's IsoCountryCode). A resource type with no such field is one
// the operation only filters by (DescribePools' PoolIds) and is left out;
// a request naming none of the operation's resources is decided on "*".
func identifiers(m *model, in shape, a *catalog.Action) ([]identifier, error) {
	isString := func(f string) bool {
		mb, ok := in.Members[f]
		return ok && m.memberType(mb) == "string"
	}
	var ids []identifier
	add := func(field string, required bool, k *kind) {
		i := slices.IndexFunc(ids, func(id identifier) bool { return id.field == field })
		if i < 0 {
			ids = append(ids, identifier{field: field})
			i = len(ids) - 1
		}
		ids[i].required = ids[i].required || required || slices.Contains(in.Required, field)
		if k != nil {
			ids[i].kinds = append(ids[i].kinds, *k)
		}
	}
	if isString(arnField) {
		add(arnField, true, nil)
		return ids, nil
	}
	for _, ar := range a.ResourceTypes {
		head, res, err := arnResource(ar.Type.ARNFormat)
		if err != nil {
			return nil, err
		}
		segs := strings.Split(res, "/")
		var vars []int
		for i, s := range segs {
			if variable(s) != "" {
				vars = append(vars, i)
			}
		}
		if len(vars) == 0 {
			return nil, fmt.Errorf("resource type %s has no variable", ar.Type.Name)
		}
		field := variable(segs[vars[0]])
		poly := false
		if !isString(field) {
			field = ""
			for _, f := range polymorphic {
				if isString(f) {
					field, poly = f, true
					break
				}
			}
		}
		if field == "" {
			if ar.Required {
				return nil, fmt.Errorf("required resource type %s has no field", ar.Type.Name)
			}
			continue
		}
		bound := slices.Clone(segs)
		bound[vars[0]] = "{" + field + "}"
		for _, i := range vars[1:] {
			bound[i] = "{" + variable(segs[i]) + "}" // a field of its name, or missing at run time
		}
		k := kind{rt: ar.Type.Name, arn: head + strings.Join(bound, "/")}
		if poly {
			k.prefix = idPrefixes[ar.Type.Name]
		}
		add(field, ar.Required, &k)
	}
	for i := range ids {
		// Kinds with a prefix are tried first; the one without is the fallback.
		slices.SortStableFunc(ids[i].kinds, func(x, y kind) int {
			return strings.Compare(y.prefix, x.prefix) // non-empty before empty
		})
		fallbacks := 0
		for _, k := range ids[i].kinds {
			if k.prefix == "" {
				fallbacks++
			}
		}
		if fallbacks > 1 {
			return nil, fmt.Errorf("field %s names %d resource types without an ID prefix", ids[i].field, fallbacks)
		}
	}
	return ids, nil
}
