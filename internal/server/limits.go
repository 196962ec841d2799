package server

import (
	"fmt"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
)

// Limits bound what one request may carry, so that no caller can make the
// server spend unbounded memory or CPU on it. Past a limit the request is
// rejected INVALID_ARGUMENT, naming the field and the limit.
type Limits struct {
	MaxContextKeys     int // condition keys in one request context
	MaxContextValues   int // values of one multivalued key
	MaxValueBytes      int // bytes of one context value, key or session tag
	MaxPolicyBytes     int // bytes of one policy document sent with a request
	MaxPoliciesPerCall int // policy documents sent with one request
}

// DefaultLimits are generous for real requests and small enough to keep a
// flood cheap: a request context of a few dozen keys, policies of the size
// IAM itself accepts for role inline policies.
var DefaultLimits = Limits{
	MaxContextKeys:     64,
	MaxContextValues:   64,
	MaxValueBytes:      1024,
	MaxPolicyBytes:     10240,
	MaxPoliciesPerCall: 16,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxContextKeys > 0 {
		d.MaxContextKeys = l.MaxContextKeys
	}
	if l.MaxContextValues > 0 {
		d.MaxContextValues = l.MaxContextValues
	}
	if l.MaxValueBytes > 0 {
		d.MaxValueBytes = l.MaxValueBytes
	}
	if l.MaxPolicyBytes > 0 {
		d.MaxPolicyBytes = l.MaxPolicyBytes
	}
	if l.MaxPoliciesPerCall > 0 {
		d.MaxPoliciesPerCall = l.MaxPoliciesPerCall
	}
	return d
}

// checkContext reports the first limit a request context breaks.
func (l Limits) checkContext(field string, ctx map[string]*pdpv1.ContextValue) *rpcerr.RequestError {
	if len(ctx) > l.MaxContextKeys {
		return rpcerr.BadField(field, "%d context keys exceed the limit of %d", len(ctx), l.MaxContextKeys)
	}
	for k, v := range ctx {
		// The field name is built only for a problem: this runs for every
		// key of every request.
		f := func() string { return fmt.Sprintf("%s[%s]", field, rpcerr.Clip(k)) }
		if len(k) > l.MaxValueBytes {
			return rpcerr.BadField(f(), "the key is %d bytes, over the limit of %d", len(k), l.MaxValueBytes)
		}
		if sv, ok := v.GetKind().(*pdpv1.ContextValue_StringValue); ok {
			if len(sv.StringValue) > l.MaxValueBytes {
				return rpcerr.BadField(f(), "a value is %d bytes, over the limit of %d", len(sv.StringValue), l.MaxValueBytes)
			}
			continue
		}
		values := v.GetListValue().GetValues()
		if len(values) > l.MaxContextValues {
			return rpcerr.BadField(f(), "%d values exceed the limit of %d", len(values), l.MaxContextValues)
		}
		for _, s := range values {
			if len(s) > l.MaxValueBytes {
				return rpcerr.BadField(f(), "a value is %d bytes, over the limit of %d", len(s), l.MaxValueBytes)
			}
		}
	}
	return nil
}

// checkTags reports a session tag over the value limit.
func (l Limits) checkTags(field string, tags map[string]string) *rpcerr.RequestError {
	if len(tags) > l.MaxContextKeys {
		return rpcerr.BadField(field, "%d session tags exceed the limit of %d", len(tags), l.MaxContextKeys)
	}
	for k, v := range tags {
		if len(k) > l.MaxValueBytes || len(v) > l.MaxValueBytes {
			return rpcerr.BadField(fmt.Sprintf("%s[%s]", field, rpcerr.Clip(k)), "the tag is over the limit of %d bytes", l.MaxValueBytes)
		}
		if k == "" {
			return rpcerr.BadField(field+"[]", "a tag needs a key")
		}
	}
	// A tag key becomes part of a condition key (aws:PrincipalTag/KEY): two
	// keys that differ only in case would be one key with two values.
	if dups := foldDuplicates(tags); len(dups) > 0 {
		a, b := dups[0][0], dups[0][1]
		return rpcerr.BadField(fmt.Sprintf("%s[%s]", field, rpcerr.Clip(b)),
			"%s and %s name the same tag (tag keys in condition keys are case-insensitive): give it once", rpcerr.Quote(a), rpcerr.Quote(b))
	}
	return nil
}

// checkPolicies reports too many or too large policy documents.
func (l Limits) checkPolicies(field string, docs []string) *rpcerr.RequestError {
	if len(docs) > l.MaxPoliciesPerCall {
		return rpcerr.BadField(field, "%d policy documents exceed the limit of %d", len(docs), l.MaxPoliciesPerCall)
	}
	for i, d := range docs {
		if len(d) > l.MaxPolicyBytes {
			return rpcerr.BadField(fmt.Sprintf("%s[%d]", field, i), "the document is %d bytes, over the limit of %d", len(d), l.MaxPolicyBytes)
		}
	}
	return nil
}

// checkItem applies the limits to one decision request whose context was
// checked already: contextLimit is the limit the context breaks, if any
// (see checkCallerKeys).
func (l Limits) checkItem(it *item, contextLimit *rpcerr.RequestError) *rpcerr.RequestError {
	if contextLimit != nil {
		return contextLimit
	}
	if re := l.checkTags("session_tags", it.sessionTags); re != nil {
		return re
	}
	return l.checkPolicies("session_policies", it.sessionPolicies)
}

// checkSimulate applies the limits to a Simulate request.
func (l Limits) checkSimulate(req *pdpv1.SimulateRequest) *rpcerr.RequestError {
	if re := l.checkContext("context", req.GetContext()); re != nil {
		return re
	}
	for _, p := range []struct {
		field string
		docs  []string
	}{
		{"identity_policies", req.GetIdentityPolicies()},
		{"session_policies", req.GetSessionPolicies()},
		{"scps", req.GetScps()},
		{"resource_policy", optional(req.GetResourcePolicy())},
		{"permissions_boundary", optional(req.GetPermissionsBoundary())},
	} {
		if re := l.checkPolicies(p.field, p.docs); re != nil {
			return re
		}
	}
	return nil
}

func optional(doc string) []string {
	if doc == "" {
		return nil
	}
	return []string{doc}
}
