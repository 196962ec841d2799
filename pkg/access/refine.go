package access

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// maxCombinations bounds the concrete requests refine tries for one answer.
const maxCombinations = 1 << 14

// otherValue is a string no policy value is expected to match.
const otherValue = "pdp-other-value"

// refine looks, for a Conditional answer, for one request that is allowed
// and one that is denied, trying every combination of boundary values of
// the open keys: each policy value, values just beside it, a value beside
// all of them, and absence. Values are well typed: a key that only Bool,
// Date, Numeric or IP operators test gets values of that type. Three-valued logic is sound but may call
// conditional what two conditions on one key decide together whatever the
// key's value; when every combination comes out the same, the candidates
// cover the cases the conditions tell apart, and the answer is that
// outcome. When there are too many combinations the answer stays
// Conditional without examples.
//
// Without examples, AllowedWhen and DeniedWhen are left out; the verdict
// is the same.
func (r *request) refine(a *Answer, examples bool) {
	keys, cands := candidates(a.Conditions, r.req.Context)
	total := 1
	for _, c := range cands {
		total *= len(c)
		if total > maxCombinations {
			return
		}
	}
	ctx := r.req.Context
	idx := make([]int, len(keys))
	var allowed, explicit, implicit bool
	var sawAllow, sawDeny bool // an allowed and a denied combination were found
	var allowWhen, denyWhen Context
	// when is the example of the current combination, built only for the
	// first allowed and the first denied one, and only when examples are
	// wanted: most combinations tried are neither.
	when := func() Context {
		if !examples {
			return nil
		}
		c := make(Context, len(keys))
		for i, k := range keys {
			if v := cands[i][idx[i]]; v != nil {
				c[k] = *v
			} else {
				c[k] = Value{}
			}
		}
		return c
	}
	for {
		for i, k := range keys {
			v := cands[i][idx[i]]
			switch {
			case v == nil:
				ctx.Delete(k)
			case v.Multi:
				ctx.SetMulti(k, v.Values)
			default:
				ctx.Set(k, v.Values[0])
			}
		}
		switch engine.Evaluate(&r.policies, &r.req) {
		case engine.Allow:
			allowed = true
			if !sawAllow {
				sawAllow, allowWhen = true, when()
			}
		case engine.ExplicitDeny:
			explicit = true
			if !sawDeny {
				sawDeny, denyWhen = true, when()
			}
		default:
			implicit = true
			if !sawDeny {
				sawDeny, denyWhen = true, when()
			}
		}
		if sawAllow && sawDeny {
			break
		}
		if !next(idx, cands) {
			break
		}
	}
	for _, k := range keys {
		ctx.Delete(k)
	}
	switch {
	case sawAllow && sawDeny:
		a.AllowedWhen, a.DeniedWhen = allowWhen, denyWhen
	case allowed:
		*a = Answer{Verdict: Allowed, Statements: pick(a.Statements, engine.EffectAllow)}
	case explicit && !implicit:
		*a = Answer{Verdict: ExplicitDeny, Statements: pick(a.Statements, engine.EffectDeny)}
	default:
		*a = Answer{Verdict: ImplicitDeny}
	}
}

// next advances a mixed-radix counter; false once it wraps.
func next(idx []int, cands [][]*Value) bool {
	for i := range idx {
		idx[i]++
		if idx[i] < len(cands[i]) {
			return true
		}
		idx[i] = 0
	}
	return false
}

// candidates returns, for each open key the conditions test, the values to
// try (nil standing for absence).
func candidates(terms []engine.ConditionTerm, ctx *engine.Context) ([]string, [][]*Value) {
	type keyInfo struct {
		name   string
		multi  bool
		text   bool // some operator compares text, so a value beside them all is worth trying
		values []string
	}
	var order []string
	byKey := map[string]*keyInfo{}
	for _, t := range terms {
		lk := strings.ToLower(t.Key)
		ki := byKey[lk]
		if ki == nil {
			ki = &keyInfo{name: t.Key}
			byKey[lk] = ki
			order = append(order, lk)
		}
		if strings.HasPrefix(t.Operator, "ForAllValues:") || strings.HasPrefix(t.Operator, "ForAnyValue:") {
			ki.multi = true
		}
		base := t.Operator[strings.IndexByte(t.Operator, ':')+1:]
		ki.text = ki.text || strings.HasPrefix(base, "String") || strings.HasPrefix(base, "Arn") || strings.HasPrefix(base, "Binary")
		for _, v := range t.Values {
			ki.values = append(ki.values, around(base, resolveVars(v, ctx))...)
		}
	}
	keys := make([]string, len(order))
	cands := make([][]*Value, len(order))
	for i, lk := range order {
		ki := byKey[lk]
		keys[i] = ki.name
		vals := ki.values
		if ki.text || len(vals) == 0 {
			vals = append(vals, otherValue)
		}
		slices.Sort(vals)
		vals = slices.Compact(vals)
		list := []*Value{nil}
		if ki.multi {
			list = append(list, &Value{Values: []string{}, Multi: true})
			for _, v := range vals {
				list = append(list, &Value{Values: []string{v}, Multi: true})
			}
			list = append(list, &Value{Values: slices.Clone(vals), Multi: true})
		} else {
			for _, v := range vals {
				list = append(list, &Value{Values: []string{v}})
			}
		}
		cands[i] = list
	}
	return keys, cands
}

// around returns request values at and beside a policy value for the
// operator family of base.
func around(base, v string) []string {
	base = strings.TrimSuffix(base, "IfExists")
	switch {
	case strings.HasPrefix(base, "Numeric"):
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return []string{v}
		}
		return []string{fmtNum(n - 1), fmtNum(n), fmtNum(n + 1)}
	case strings.HasPrefix(base, "Date"):
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return []string{strconv.FormatInt(n-1, 10), v, strconv.FormatInt(n+1, 10)}
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return []string{v}
		}
		return []string{t.Add(-time.Second).Format(time.RFC3339), t.Format(time.RFC3339), t.Add(time.Second).Format(time.RFC3339)}
	case base == "Bool":
		return []string{"true", "false"}
	case base == "IpAddress" || base == "NotIpAddress":
		out := []string{"192.0.2.1", "2001:db8::1"}
		if pfx, err := netip.ParsePrefix(v); err == nil {
			out = append(out, pfx.Masked().Addr().String())
		} else if addr, err := netip.ParseAddr(v); err == nil {
			out = append(out, addr.String())
		}
		return out
	case base == "Null":
		return nil
	}
	// String, ARN and binary operators: the value with its wildcards
	// filled in two ways, and in upper case for the case-insensitive ones.
	out := []string{fillShort.Replace(v), fillLong.Replace(v)}
	if strings.Contains(base, "IgnoreCase") {
		out = append(out, strings.ToUpper(out[0]))
	}
	return out
}

// resolveVars replaces the policy variables of a condition value with
// their values in ctx, as the engine compares them; a variable without a
// value stays as written, which matches nothing.
func resolveVars(v string, ctx *engine.Context) string {
	var b strings.Builder
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			b.WriteString(v)
			return b.String()
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			b.WriteString(v)
			return b.String()
		}
		b.WriteString(v[:i])
		name := v[i+2 : i+j]
		switch name {
		case "*", "?", "$":
			b.WriteString(name)
		default:
			if vals, multi, ok := ctx.Get(name); ok && !multi && len(vals) == 1 {
				b.WriteString(vals[0])
			} else {
				b.WriteString(v[i : i+j+1])
			}
		}
		v = v[i+j+1:]
	}
}

// Two ways to fill the wildcards of a String or ARN value.
var (
	fillShort = strings.NewReplacer("*", "", "?", "x")
	fillLong  = strings.NewReplacer("*", "zz", "?", "y")
)

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
