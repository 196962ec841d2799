package awsimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/entity"
)

// The files of a policy directory written by Files: one bundle per kind,
// and every policy document in a file of its own under policies/.
var KindFiles = []string{"accounts.json", "scps.json", "managed-policies.json", "groups.json",
	"users.json", "roles.json", "resources.json"}

// PoliciesDir is the directory under which Files puts policy documents.
const PoliciesDir = "policies"

// Wire forms of the bundle files: the entity fields, with documents by
// file.
type (
	scpOut struct {
		Name         string `json:"name"`
		DocumentFile string `json:"document_file"`
	}
	managedOut struct {
		Name         string `json:"name"`
		Path         string `json:"path,omitempty"`
		Description  string `json:"description,omitempty"`
		Account      string `json:"account,omitempty"`
		DocumentFile string `json:"document_file"`
	}
	groupOut struct {
		Name              string            `json:"name"`
		Account           string            `json:"account"`
		ManagedPolicies   []string          `json:"managed_policies,omitempty"`
		InlinePolicyFiles map[string]string `json:"inline_policy_files,omitempty"`
	}
	userOut struct {
		ARN                 string            `json:"arn"`
		Groups              []string          `json:"groups,omitempty"`
		ManagedPolicies     []string          `json:"managed_policies,omitempty"`
		InlinePolicyFiles   map[string]string `json:"inline_policy_files,omitempty"`
		PermissionsBoundary string            `json:"permissions_boundary,omitempty"`
		Tags                map[string]string `json:"tags,omitempty"`
	}
	roleOut struct {
		ARN                 string            `json:"arn"`
		ManagedPolicies     []string          `json:"managed_policies,omitempty"`
		InlinePolicyFiles   map[string]string `json:"inline_policy_files,omitempty"`
		PermissionsBoundary string            `json:"permissions_boundary,omitempty"`
		Tags                map[string]string `json:"tags,omitempty"`
		TrustPolicy         json.RawMessage   `json:"trust_policy,omitempty"`
	}
	resourceOut struct {
		ARN        string            `json:"arn"`
		PolicyFile string            `json:"policy_file,omitempty"`
		Tags       map[string]string `json:"tags,omitempty"`
	}
)

// Files renders a Set as a policy directory that entity.LoadDir reads
// back: file path → content. Lists are sorted by their keys and map keys
// are sorted, so that equal Sets give equal bytes and a change to one
// entity changes only its lines.
func Files(s *entity.Set) (map[string][]byte, error) {
	files := make(map[string][]byte)
	put := func(name string, doc []byte) string {
		files[name] = doc
		return name
	}
	var err error
	bundle := func(name, list string, v any) {
		if err != nil || sliceLen(v) == 0 {
			return
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if e := enc.Encode(map[string]any{list: v}); e != nil {
			err = fmt.Errorf("awsimport: write %s: %w", name, e)
		}
		files[name] = b.Bytes()
	}
	accounts := sorted(s.Accounts, func(a entity.Account) string { return a.ID })
	bundle("accounts.json", "accounts", accounts)

	var scps []scpOut
	for _, p := range sorted(s.SCPs, func(p entity.SCP) string { return p.Name }) {
		scps = append(scps, scpOut{Name: p.Name, DocumentFile: put(policyPath("scp", p.Name), p.Document)})
	}
	bundle("scps.json", "scps", scps)

	var managed []managedOut
	for _, m := range sorted(s.ManagedPolicies, func(m entity.ManagedPolicy) string { return m.Name }) {
		managed = append(managed, managedOut{Name: m.Name, Path: m.Path, Description: m.Description, Account: m.Account,
			DocumentFile: put(policyPath("managed", m.Name), m.Document)})
	}
	bundle("managed-policies.json", "managed_policies", managed)

	inline := func(kind, acct, name string, docs map[string]json.RawMessage) map[string]string {
		if len(docs) == 0 {
			return nil
		}
		out := make(map[string]string, len(docs))
		for p, doc := range docs {
			out[p] = put(policyPath(kind, acct, name, p), doc)
		}
		return out
	}
	var groups []groupOut
	for _, g := range sorted(s.Groups, func(g entity.Group) string { return g.Account + "/" + g.Name }) {
		groups = append(groups, groupOut{Name: g.Name, Account: g.Account, ManagedPolicies: g.ManagedPolicies,
			InlinePolicyFiles: inline("group", g.Account, g.Name, g.InlinePolicies)})
	}
	bundle("groups.json", "groups", groups)

	var users []userOut
	for _, u := range sorted(s.Users, func(u entity.User) string { return u.ARN }) {
		users = append(users, userOut{ARN: u.ARN, Groups: u.Groups, ManagedPolicies: u.ManagedPolicies,
			InlinePolicyFiles:   inline("user", arnAccount(u.ARN), lastName(u.ARN), u.InlinePolicies),
			PermissionsBoundary: u.PermissionsBoundary, Tags: u.Tags})
	}
	bundle("users.json", "users", users)

	var roles []roleOut
	for _, r := range sorted(s.Roles, func(r entity.Role) string { return r.ARN }) {
		roles = append(roles, roleOut{ARN: r.ARN, ManagedPolicies: r.ManagedPolicies,
			InlinePolicyFiles:   inline("role", arnAccount(r.ARN), lastName(r.ARN), r.InlinePolicies),
			PermissionsBoundary: r.PermissionsBoundary, Tags: r.Tags, TrustPolicy: r.TrustPolicy})
	}
	bundle("roles.json", "roles", roles)

	var resources []resourceOut
	for _, r := range sorted(s.Resources, func(r entity.Resource) string { return r.ARN }) {
		ro := resourceOut{ARN: r.ARN, Tags: r.Tags}
		if len(r.Policy) > 0 {
			ro.PolicyFile = put(policyPath("resource", EscapeARN(r.ARN)), r.Policy)
		}
		resources = append(resources, ro)
	}
	bundle("resources.json", "resources", resources)
	if err != nil {
		return nil, err
	}
	return files, nil
}

// policyPath names a policy document's file.
func policyPath(parts ...string) string {
	parts[len(parts)-1] += ".json"
	return path.Join(append([]string{PoliciesDir}, parts...)...)
}

// lastName returns the name at the end of an IAM ARN.
func lastName(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func sorted[T any](list []T, key func(T) string) []T {
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return out
}

// sliceLen returns the length of the slices Files writes.
func sliceLen(v any) int {
	switch l := v.(type) {
	case []entity.Account:
		return len(l)
	case []scpOut:
		return len(l)
	case []managedOut:
		return len(l)
	case []groupOut:
		return len(l)
	case []userOut:
		return len(l)
	case []roleOut:
		return len(l)
	case []resourceOut:
		return len(l)
	}
	return 0
}
