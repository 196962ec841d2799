package entity

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"slices"
)

// A Set is the content of a whole policy directory. Its JSON form is the
// bundle format that [Set.Bundle] writes and [LoadBundle] reads.
type Set struct {
	Accounts        []Account       `json:"accounts,omitempty"`
	ManagedPolicies []ManagedPolicy `json:"managed_policies,omitempty"`
	SCPs            []SCP           `json:"scps,omitempty"`
	Users           []User          `json:"users,omitempty"`
	Groups          []Group         `json:"groups,omitempty"`
	Roles           []Role          `json:"roles,omitempty"`
	Resources       []Resource      `json:"resources,omitempty"`
}

// An Account is an AWS account and its place in an AWS Organizations
// organization.
type Account struct {
	ID   string `json:"id"` // 12 digits
	Name string `json:"name,omitempty"`
	// SCPs lists, for each level of the organization from the root down
	// through the OUs to the account itself, the names of the SCPs
	// attached there. Every level must allow a request, so every level
	// lists at least one SCP. Empty means the account is in no organization
	// and no SCP applies.
	//
	// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
	SCPs [][]string `json:"scps,omitempty"`

	src *origin
}

// A ManagedPolicy is a customer managed policy. Users, groups and roles
// attach it by Name, and a user or role names it as its permissions
// boundary. Names are unique in a Set.
type ManagedPolicy struct {
	Name        string          `json:"name"`
	Path        string          `json:"path,omitempty"` // "" means "/"
	Description string          `json:"description,omitempty"`
	Document    json.RawMessage `json:"document,omitempty"`
	// Account, when set, is the account the policy belongs to: only
	// principals and groups of that account can attach it. Empty means
	// any account of the Set can.
	Account string `json:"account,omitempty"`

	src *origin
}

// ARN returns the policy's ARN, arn:aws:iam::ACCOUNT:policy/PATH/NAME, or ""
// when it belongs to no Account.
func (m *ManagedPolicy) ARN() string {
	if m.Account == "" {
		return ""
	}
	return "arn:aws:iam::" + m.Account + ":policy" + m.path() + m.Name
}

// path returns Path with its default.
func (m *ManagedPolicy) path() string {
	if m.Path == "" {
		return "/"
	}
	return m.Path
}

// An SCP is an AWS Organizations service control policy. Accounts name it
// in their SCPs levels.
type SCP struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document,omitempty"`

	src *origin
}

// A User is an IAM user.
type User struct {
	ARN             string                     `json:"arn"` // arn:aws:iam::ACCOUNT:user/PATH/NAME
	Groups          []string                   `json:"groups,omitempty"`
	ManagedPolicies []string                   `json:"managed_policies,omitempty"`
	InlinePolicies  map[string]json.RawMessage `json:"inline_policies,omitempty"`
	// PermissionsBoundary names the managed policy that is the user's
	// permissions boundary; empty for none.
	PermissionsBoundary string            `json:"permissions_boundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`

	src *origin
}

// A Group is an IAM group. Groups belong to one account, and a user joins
// groups of its own account by name.
type Group struct {
	Name            string                     `json:"name"`
	Account         string                     `json:"account"`
	ManagedPolicies []string                   `json:"managed_policies,omitempty"`
	InlinePolicies  map[string]json.RawMessage `json:"inline_policies,omitempty"`

	src *origin
}

// A Role is an IAM role. Requests made with its sessions
// (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION) resolve to it.
type Role struct {
	ARN                 string                     `json:"arn"` // arn:aws:iam::ACCOUNT:role/PATH/NAME
	ManagedPolicies     []string                   `json:"managed_policies,omitempty"`
	InlinePolicies      map[string]json.RawMessage `json:"inline_policies,omitempty"`
	PermissionsBoundary string                     `json:"permissions_boundary,omitempty"`
	Tags                map[string]string          `json:"tags,omitempty"`
	// TrustPolicy is the role's trust policy (who may assume it), kept
	// with the role as imported from AWS. It decides no request of this
	// model, so it is neither evaluated nor validated beyond being JSON.
	TrustPolicy json.RawMessage `json:"trust_policy,omitempty"`

	src *origin
}

// A Resource is a resource of Amazon Pinpoint or of SMS and voice: an app,
// campaign, journey, segment, template or recommender, a pool, phone number,
// configuration set and so on. Its ARN must fit a resource type of the
// catalog.
type Resource struct {
	ARN string `json:"arn"`
	// Policy is the resource-based policy attached to the resource, if
	// any. It also governs the resources under it: see [Resolved.Resource].
	Policy json.RawMessage   `json:"policy,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`

	src *origin
}

// origin says where an entity was read from, for messages. Entities built
// in code have none.
type origin struct {
	file  string // the bundle file
	index int    // the entity's place in its list in that file
	// docs says where each document of the entity was read from, by the
	// field that holds it: "document", "policy" or `inline_policies["NAME"]`.
	docs map[string]docOrigin
}

// docOrigin is where a document's text came from.
type docOrigin struct {
	file  string // the file the text is in: the bundle or a referenced file
	field string // the field that gave it: "document" or "document_file", …
	// line and col are the position of the document's first character in
	// file; zero when the document is the whole text (no shift needed).
	line, col int
	// converted means the text is not as written (a YAML object converted
	// to JSON), so positions inside it are dropped from messages.
	converted bool
}

// fileOf returns the bundle file of o, or "".
func (o *origin) fileOf() string {
	if o == nil {
		return ""
	}
	return o.file
}

// doc returns where the document in field came from; a document of an
// entity built in code is described by the field alone.
func (o *origin) doc(field string) docOrigin {
	if o != nil {
		if d, ok := o.docs[field]; ok {
			return d
		}
		return docOrigin{file: o.file, field: field}
	}
	return docOrigin{field: field}
}

// isNull reports whether raw is absent or JSON null, which both mean "no
// document".
func isNull(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw) // not through a string, which would copy a policy
	return len(s) == 0 || string(s) == "null"
}

// sortedKeys returns the keys of m in order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
