package awsimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// A GAAD is one page of the output of `aws iam
// get-account-authorization-details`. Fields this package does not use
// (dates, IDs, instance profiles, last use) are ignored.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
type GAAD struct {
	File        string
	Users       []*UserDetail
	Groups      []*GroupDetail
	Roles       []*RoleDetail
	Policies    []*ManagedPolicyDetail
	IsTruncated bool
	Marker      string
}

// UserDetail is one element of UserDetailList.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_UserDetail.html
type UserDetail struct {
	Path                    string
	UserName                string
	Arn                     string
	UserPolicyList          []PolicyDetail
	GroupList               []string
	AttachedManagedPolicies []AttachedPolicy
	PermissionsBoundary     *AttachedPermissionsBoundary
	Tags                    []Tag

	at place
}

// GroupDetail is one element of GroupDetailList.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GroupDetail.html
type GroupDetail struct {
	Path                    string
	GroupName               string
	Arn                     string
	GroupPolicyList         []PolicyDetail
	AttachedManagedPolicies []AttachedPolicy

	at place
}

// RoleDetail is one element of RoleDetailList.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleDetail.html
type RoleDetail struct {
	Path                     string
	RoleName                 string
	Arn                      string
	AssumeRolePolicyDocument json.RawMessage
	RolePolicyList           []PolicyDetail
	AttachedManagedPolicies  []AttachedPolicy
	PermissionsBoundary      *AttachedPermissionsBoundary
	Tags                     []Tag

	at place
}

// ManagedPolicyDetail is one element of Policies.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ManagedPolicyDetail.html
type ManagedPolicyDetail struct {
	PolicyName        string
	Arn               string
	Path              string
	DefaultVersionId  string
	Description       string
	PolicyVersionList []PolicyVersion

	at place
}

// PolicyVersion is one version of a managed policy; the one with
// IsDefaultVersion true is the policy in force.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html
type PolicyVersion struct {
	Document         json.RawMessage
	VersionId        string
	IsDefaultVersion *bool
}

// PolicyDetail is an inline policy.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyDetail.html
type PolicyDetail struct {
	PolicyName     string
	PolicyDocument json.RawMessage
}

// AttachedPolicy names an attached managed policy.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachedPolicy.html
type AttachedPolicy struct {
	PolicyName string
	PolicyArn  string
}

// AttachedPermissionsBoundary names a permissions boundary.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachedPermissionsBoundary.html
type AttachedPermissionsBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

// Tag is one tag of a user or role.
type Tag struct {
	Key   string
	Value string
}

// place says where an element was read: its file and JSON path, with the
// entity's name, for messages.
type place struct {
	file, path string
}

// ReadGAAD decodes one page. Unknown fields are ignored; a field of the
// wrong type, invalid JSON or a list that is not a list is a Problem naming
// the JSON path and line:column in file.
func ReadGAAD(file string, data []byte) (*GAAD, error) {
	var probs Problems
	if err := checkJSON(file, data); err != nil {
		return nil, err
	}
	g := &GAAD{File: file}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		probs.add(file, "", "want a JSON object, the output of aws iam get-account-authorization-details")
		return nil, probs
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			probs.add(file, "", "%v", err)
			return nil, probs
		}
		key, _ := tok.(string)
		switch key {
		case "UserDetailList":
			g.Users = readList(dec, data, file, key, &probs, func(u *UserDetail) string { return "user/" + u.UserName })
		case "GroupDetailList":
			g.Groups = readList(dec, data, file, key, &probs, func(x *GroupDetail) string { return "group/" + x.GroupName })
		case "RoleDetailList":
			g.Roles = readList(dec, data, file, key, &probs, func(r *RoleDetail) string { return "role/" + r.RoleName })
		case "Policies":
			g.Policies = readList(dec, data, file, key, &probs, func(p *ManagedPolicyDetail) string { return "policy/" + p.PolicyName })
		case "IsTruncated":
			decodeField(dec, data, file, key, &g.IsTruncated, &probs)
		case "Marker":
			decodeField(dec, data, file, key, &g.Marker, &probs)
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				probs.add(file, key, "%v", err)
				return nil, probs
			}
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return g, nil
}

// checkJSON reports text that is not JSON with its line and column.
func checkJSON(file string, data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	p := &Problem{File: file, Msg: "invalid JSON"}
	switch {
	case errors.As(err, &se):
		p.Line, p.Col = lineCol(data, syntaxOffset(data, se))
		p.Msg = "invalid JSON: " + se.Error()
	case err != nil:
		p.Msg = "invalid JSON: " + err.Error()
	}
	if len(bytes.TrimSpace(data)) == 0 {
		p.Msg = "empty file"
	}
	return Problems{p}
}

// element is implemented by the detail types, which record where they
// were read.
type element interface {
	setPlace(place)
}

func (u *UserDetail) setPlace(p place)          { u.at = p }
func (g *GroupDetail) setPlace(p place)         { g.at = p }
func (r *RoleDetail) setPlace(p place)          { r.at = p }
func (m *ManagedPolicyDetail) setPlace(p place) { m.at = p }

// readList decodes a list field element by element, so that a problem
// names the element's index and a field of the wrong type its position in
// the file.
func readList[T any, PT interface {
	*T
	element
}](dec *json.Decoder, data []byte, file, key string, probs *Problems, name func(PT) string) []PT {
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		probs.add(file, key, "%v", err)
		return nil
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		line, col := lineCol(data, skipSpace(data, int(start)))
		*probs = append(*probs, &Problem{File: file, Path: key, Line: line, Col: col, Msg: fmt.Sprintf("want an array, got %v", tokenKind(tok))})
		skipRest(dec, tok)
		return nil
	}
	var out []PT
	for i := 0; dec.More(); i++ {
		off := skipSpace(data, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			probs.add(file, fmt.Sprintf("%s[%d]", key, i), "%v", err)
			return out
		}
		path := fmt.Sprintf("%s[%d]", key, i)
		v := PT(new(T))
		if err := json.Unmarshal(raw, v); err != nil {
			*probs = append(*probs, typeProblem(file, path, data, off, err))
			continue
		}
		if n := name(v); n != "" {
			path += " (" + n + ")"
		}
		v.setPlace(place{file: file, path: path})
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil {
		probs.add(file, key, "%v", err)
	}
	return out
}

// decodeField decodes one scalar field.
func decodeField(dec *json.Decoder, data []byte, file, key string, v any, probs *Problems) {
	off := skipSpace(data, int(dec.InputOffset()))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		probs.add(file, key, "%v", err)
		return
	}
	if err := json.Unmarshal(raw, v); err != nil {
		*probs = append(*probs, typeProblem(file, key, data, off, err))
	}
}

// typeProblem turns a decoding error of the value at offset off into a
// Problem with the field's JSON path and position.
func typeProblem(file, path string, data []byte, off int, err error) *Problem {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		at := off + int(te.Offset)
		// Offset is just past the offending value; point at its start.
		start := bytes.LastIndexAny(data[:min(at, len(data))], ":[,")
		line, col := lineCol(data, skipSpace(data, start+1))
		if te.Field != "" {
			path += "." + te.Field
		}
		return &Problem{File: file, Path: path, Line: line, Col: col,
			Msg: fmt.Sprintf("want %s, got %s", goTypeName(te.Type.String()), te.Value)}
	}
	line, col := lineCol(data, off)
	return &Problem{File: file, Path: path, Line: line, Col: col, Msg: err.Error()}
}

// goTypeName names a Go type the way JSON users know it.
func goTypeName(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool" || t == "*bool":
		return "a boolean"
	case len(t) > 2 && t[:2] == "[]":
		return "an array"
	case t == "json.RawMessage":
		return "a JSON value"
	}
	return "an object"
}

// skipSpace returns the offset of the first non-space byte at or after off.
func skipSpace(data []byte, off int) int {
	for off < len(data) && (data[off] == ' ' || data[off] == '\t' || data[off] == '\n' || data[off] == '\r' || data[off] == ',' || data[off] == ':') {
		off++
	}
	return off
}

// skipRest consumes the rest of a value whose first token was tok.
func skipRest(dec *json.Decoder, tok json.Token) {
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		for depth := 1; depth > 0; {
			t, err := dec.Token()
			if err != nil {
				return
			}
			if d, ok := t.(json.Delim); ok {
				if d == '{' || d == '[' {
					depth++
				} else {
					depth--
				}
			}
		}
	}
}

// tokenKind names the JSON kind of a token for messages.
func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	}
	return "null"
}
