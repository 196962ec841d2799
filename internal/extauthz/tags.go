package extauthz

import (
	"net/url"
	"slices"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
)

// Condition keys of tagging requests
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requesttag).
const (
	keyRequestTagPrefix = "aws:RequestTag/"
	keyTagKeys          = "aws:TagKeys"
)

// addTags sets aws:RequestTag/KEY and aws:TagKeys from the tags a request
// carries: Pinpoint's "tags" object (TagResource, Create*), SMS and voice
// v2's "Tags" list of {"Key","Value"} (TagResource, Create*, Request*),
// and the keys an UntagResource removes ("TagKeys" in the body, tagKeys in
// Pinpoint's query string). Malformed tags are refused.
func addTags(t *target, ctx map[string]*pdpv1.ContextValue) *refusal {
	var keys []string
	tag := func(k string, v any) *refusal {
		s, ok := v.(string)
		if k == "" || !ok {
			return refuse(reasonBadRequest, "%s: malformed tag %s: want a non-empty key and a string value", t.operation, rpcerr.Quote(k))
		}
		ctx[keyRequestTagPrefix+k] = strValue(s)
		keys = append(keys, k)
		return nil
	}
	for _, field := range []string{"tags", "Tags"} {
		switch tags := t.body[field].(type) {
		case nil:
		case map[string]any:
			for k, v := range tags {
				if r := tag(k, v); r != nil {
					return r
				}
			}
		case []any:
			for _, e := range tags {
				kv, _ := e.(map[string]any)
				k, _ := kv["Key"].(string)
				if r := tag(k, kv["Value"]); r != nil {
					return r
				}
			}
		default:
			return refuse(reasonBadRequest, "%s: malformed %s: want an object or a list of {\"Key\", \"Value\"}", t.operation, field)
		}
	}
	if list, ok := t.body["TagKeys"].([]any); ok {
		for _, e := range list {
			k, ok := e.(string)
			if !ok || k == "" {
				return refuse(reasonBadRequest, "%s: malformed TagKeys: want a list of non-empty strings", t.operation)
			}
			keys = append(keys, k)
		}
	}
	if t.query != "" {
		q, err := url.ParseQuery(t.query)
		if err != nil {
			return refuse(reasonBadRequest, "%s: malformed query string: %v", t.operation, err)
		}
		keys = append(keys, q["tagKeys"]...)
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		ctx[keyTagKeys] = listValue(slices.Compact(keys))
	}
	return nil
}

func strValue(s string) *pdpv1.ContextValue {
	return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: s}}
}

func listValue(vs []string) *pdpv1.ContextValue {
	return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: vs}}}
}
