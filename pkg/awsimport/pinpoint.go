package awsimport

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// The outputs of a Pinpoint export, as scripts/export-aws.sh names them
// (each NAME.json in the pinpoint directory; ARN is the resource's ARN
// URL-escaped as EscapeARN writes it):
//
//	pinpoint/get-apps                             aws pinpoint get-apps
//	pinpoint/list-tags-for-resource/ARN           aws pinpoint list-tags-for-resource --resource-arn ARN
//	sms-voice/describe-phone-numbers              aws pinpoint-sms-voice-v2 describe-phone-numbers
//	sms-voice/describe-pools                      … describe-pools
//	sms-voice/describe-opt-out-lists              … describe-opt-out-lists
//	sms-voice/describe-sender-ids                 … describe-sender-ids
//	sms-voice/describe-configuration-sets         … describe-configuration-sets
//	sms-voice/list-tags-for-resource/ARN          … list-tags-for-resource --resource-arn ARN
//	sms-voice/get-resource-policy/ARN             … get-resource-policy --resource-arn ARN
//
// Every output is optional; tags in a list-tags-for-resource output replace
// those get-apps gives.

// A PinpointResource is one Amazon Pinpoint or SMS and voice resource with
// its tags and resource-based policy (normalized text, nil for none).
type PinpointResource struct {
	ARN    string
	Tags   map[string]string
	Policy []byte
	at     place
}

// EscapeARN writes an ARN as a file name that every file system takes:
// "%" as "%25", "/" as "%2F" and ":" as "%3A" (URL escapes, so that any
// URL-escaped ARN reads back too).
func EscapeARN(arn string) string {
	return strings.NewReplacer("%", "%25", "/", "%2F", ":", "%3A").Replace(arn)
}

// unescapeARN reverses EscapeARN.
func unescapeARN(name string) (string, error) {
	return url.PathUnescape(name)
}

// smsVoiceLists are the describe outputs of SMS and voice: output name,
// list field and ARN field.
var smsVoiceLists = [...]struct{ output, list, arn string }{
	{"sms-voice/describe-phone-numbers", "PhoneNumbers", "PhoneNumberArn"},
	{"sms-voice/describe-pools", "Pools", "PoolArn"},
	{"sms-voice/describe-opt-out-lists", "OptOutLists", "OptOutListArn"},
	{"sms-voice/describe-sender-ids", "SenderIds", "SenderIdArn"},
	{"sms-voice/describe-configuration-sets", "ConfigurationSets", "ConfigurationSetArn"},
}

// ReadPinpoint reads a Pinpoint export. Resources come sorted by ARN.
func ReadPinpoint(o *Outputs) ([]*PinpointResource, error) {
	var probs Problems
	byARN := make(map[string]*PinpointResource)
	add := func(arn, file, path string) *PinpointResource {
		if arn == "" {
			probs.add(file, path, "missing ARN")
			return nil
		}
		if r, ok := byARN[arn]; ok {
			return r
		}
		r := &PinpointResource{ARN: arn, at: place{file: file, path: path}}
		byARN[arn] = r
		return r
	}
	var apps struct {
		ApplicationsResponse struct {
			Item []struct {
				Arn, Id, Name string
				Tags          map[string]string `json:"tags"`
			}
		}
	}
	if o.decode("pinpoint/get-apps", &apps, &probs, false) {
		for i, a := range apps.ApplicationsResponse.Item {
			r := add(a.Arn, o.file("pinpoint/get-apps"), fmt.Sprintf("ApplicationsResponse.Item[%d] (%s)", i, a.Name))
			if r != nil && len(a.Tags) > 0 {
				r.Tags = a.Tags
			}
		}
	}
	for _, l := range smsVoiceLists {
		var raw map[string][]map[string]json.RawMessage
		if !o.decode(l.output, &raw, &probs, false) {
			continue
		}
		for i, item := range raw[l.list] {
			var arn string
			if err := json.Unmarshal(item[l.arn], &arn); err != nil {
				probs.add(o.file(l.output), fmt.Sprintf("%s[%d].%s", l.list, i, l.arn), "want a string")
				continue
			}
			add(arn, o.file(l.output), fmt.Sprintf("%s[%d]", l.list, i))
		}
	}
	for _, name := range o.under("pinpoint/list-tags-for-resource") {
		arn, ok := outputARN(o, name, &probs)
		var t struct {
			TagsModel struct {
				Tags map[string]string `json:"tags"`
			}
		}
		if ok && o.decode(name, &t, &probs, true) {
			if r := add(arn, o.file(name), ""); r != nil {
				r.Tags = t.TagsModel.Tags
			}
		}
	}
	for _, name := range o.under("sms-voice/list-tags-for-resource") {
		arn, ok := outputARN(o, name, &probs)
		var t struct{ Tags []Tag }
		if ok && o.decode(name, &t, &probs, true) {
			if r := add(arn, o.file(name), ""); r != nil {
				r.Tags = tagMap(t.Tags)
			}
		}
	}
	for _, name := range o.under("sms-voice/get-resource-policy") {
		arn, ok := outputARN(o, name, &probs)
		var p struct{ Policy json.RawMessage }
		if !ok || !o.decode(name, &p, &probs, true) {
			continue
		}
		r := add(arn, o.file(name), "")
		if r == nil || len(p.Policy) == 0 || string(p.Policy) == "null" {
			continue
		}
		text, err := documentText(p.Policy)
		if err != nil {
			probs.add(o.file(name), "Policy", "%v", err)
			continue
		}
		r.Policy, r.at = text, place{file: o.file(name), path: "Policy"}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	out := make([]*PinpointResource, 0, len(byARN))
	for _, r := range byARN {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out, nil
}

// ReadResourcePolicies reads resource-based policies, one output per
// resource named by its escaped ARN (see EscapeARN) — or, in a single-file
// export, by its plain ARN — each holding the document in any of the three
// encodings.
func ReadResourcePolicies(o *Outputs) (map[string]*PinpointResource, error) {
	var probs Problems
	out := make(map[string]*PinpointResource)
	names := make([]string, 0, len(o.files))
	for k := range o.files {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		arn, ok := outputARN(o, name, &probs)
		if !ok {
			continue
		}
		data, file, _ := o.get(name)
		text, err := documentText(data)
		if err != nil {
			probs.add(file, "", "%v", err)
			continue
		}
		out[arn] = &PinpointResource{ARN: arn, Policy: text, at: place{file: file}}
	}
	return out, probs.Err()
}

// outputARN reads the ARN an output is named after.
func outputARN(o *Outputs, name string, probs *Problems) (string, bool) {
	// A single-file export may name a resource by its plain ARN.
	base := name
	if !strings.HasPrefix(name, "arn:") {
		base = name[strings.LastIndexByte(name, '/')+1:]
	}
	arn, err := unescapeARN(base)
	if err != nil || !strings.HasPrefix(arn, "arn:") {
		probs.add(o.file(name), "", "the file name must be a URL-escaped resource ARN (%% written %%25, / %%2F and : %%3A)")
		return "", false
	}
	return arn, true
}

// tagMap converts AWS tag lists to a map.
func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
