package awsimport

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// The outputs of an organization export, as scripts/export-aws.sh names
// them (each NAME.json in the organization directory):
//
//	describe-organization                       aws organizations describe-organization (optional)
//	list-roots                                  aws organizations list-roots
//	list-organizational-units-for-parent/ID     … list-organizational-units-for-parent --parent-id ID
//	list-accounts-for-parent/ID                 … list-accounts-for-parent --parent-id ID
//	list-policies                               … list-policies --filter SERVICE_CONTROL_POLICY
//	describe-policy/POLICY-ID                   … describe-policy --policy-id POLICY-ID
//	list-targets-for-policy/POLICY-ID           … list-targets-for-policy --policy-id POLICY-ID
//
// There is one list-…-for-parent output for the root and for every OU.

// An Organization is the SCPs of an AWS organization and the chain of SCPs
// that applies to each of its accounts.
type Organization struct {
	// Management is the management account, to which no SCP applies; ""
	// when describe-organization is not in the export.
	Management string
	Accounts   []OrgAccount
	SCPs       []OrgSCP
}

// An OrgAccount is one account and the names of the SCPs attached at each
// level from the root down through its OUs to the account itself.
type OrgAccount struct {
	ID, Name string
	SCPs     [][]string
}

// An OrgSCP is one service control policy.
type OrgSCP struct {
	ID, Name string
	Document []byte // normalized text
	at       place
}

type orgNode struct {
	Id, Arn, Name string
}

// ReadOrganization reads an organization export and computes each
// account's SCP chain as IAM evaluates it: every level, from the root
// through each OU on the path to the account, must allow a request, and a
// level allows what any SCP attached there allows. FullAWSAccess is an
// ordinary SCP.
//
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
func ReadOrganization(o *Outputs) (*Organization, error) {
	var probs Problems
	org := &Organization{}
	var desc struct {
		Organization struct{ MasterAccountId string }
	}
	if o.decode("describe-organization", &desc, &probs, false) {
		org.Management = desc.Organization.MasterAccountId
	}
	var roots struct{ Roots []orgNode }
	if !o.decode("list-roots", &roots, &probs, true) {
		return nil, probs
	}
	// Walk the tree from the roots; path holds the node IDs from the root.
	known := make(map[string]string) // node ID → output that names it
	type account struct {
		orgNode
		path []string
	}
	var accounts []account
	var walk func(id string, path []string, depth int)
	walk = func(id string, path []string, depth int) {
		if depth > 6 { // AWS allows five levels of OUs under the root
			probs.add(o.file("list-organizational-units-for-parent/"+id), "", "OUs nested deeper than AWS allows")
			return
		}
		path = append(slices.Clip(path), id)
		var ous struct{ OrganizationalUnits []orgNode }
		name := "list-organizational-units-for-parent/" + id
		o.decode(name, &ous, &probs, true)
		var accs struct{ Accounts []orgNode }
		aname := "list-accounts-for-parent/" + id
		o.decode(aname, &accs, &probs, true)
		for i, a := range accs.Accounts {
			if prev, dup := known[a.Id]; dup {
				probs.add(o.file(aname), fmt.Sprintf("Accounts[%d]", i), "account %q is also listed in %s", a.Id, prev)
				continue
			}
			known[a.Id] = o.file(aname)
			accounts = append(accounts, account{a, append(slices.Clip(path), a.Id)})
		}
		for i, ou := range ous.OrganizationalUnits {
			if prev, dup := known[ou.Id]; dup {
				probs.add(o.file(name), fmt.Sprintf("OrganizationalUnits[%d]", i), "OU %q is also listed in %s", ou.Id, prev)
				continue
			}
			known[ou.Id] = o.file(name)
			walk(ou.Id, path, depth+1)
		}
	}
	for _, r := range roots.Roots {
		known[r.Id] = o.file("list-roots")
		walk(r.Id, nil, 0)
	}

	// SCPs and their targets.
	attached := make(map[string][]string) // node ID → SCP names
	var list struct {
		Policies []struct{ Id, Name, Type string }
	}
	o.decode("list-policies", &list, &probs, true)
	names := make(map[string]string)
	for i, p := range list.Policies {
		path := fmt.Sprintf("Policies[%d] (%s)", i, p.Name)
		if p.Type != "" && p.Type != "SERVICE_CONTROL_POLICY" {
			continue
		}
		if prev, dup := names[p.Name]; dup {
			probs.add(o.file("list-policies"), path, "two SCPs are named %q (%s and %s)", p.Name, prev, p.Id)
			continue
		}
		names[p.Name] = p.Id
		var d struct {
			Policy struct {
				PolicySummary struct{ Id, Name string }
				Content       string
			}
		}
		dname := "describe-policy/" + p.Id
		if o.decode(dname, &d, &probs, true) {
			text, err := documentText(quoteJSON(d.Policy.Content))
			if err != nil {
				probs.add(o.file(dname), "Policy.Content", "%v", err)
			} else {
				org.SCPs = append(org.SCPs, OrgSCP{ID: p.Id, Name: p.Name, Document: text,
					at: place{file: o.file(dname), path: "Policy.Content"}})
			}
		}
		var t struct {
			Targets []struct{ TargetId, Type string }
		}
		tname := "list-targets-for-policy/" + p.Id
		o.decode(tname, &t, &probs, true)
		for j, target := range t.Targets {
			if _, ok := known[target.TargetId]; !ok {
				probs.add(o.file(tname), fmt.Sprintf("Targets[%d]", j),
					"SCP %q is attached to %q, which is not a root, OU or account of the organization export", p.Name, target.TargetId)
				continue
			}
			attached[target.TargetId] = append(attached[target.TargetId], p.Name)
		}
	}
	for _, a := range accounts {
		oa := OrgAccount{ID: a.Id, Name: a.Name}
		if a.Id != org.Management {
			for _, node := range a.path {
				level := slices.Clone(attached[node])
				sort.Strings(level)
				if len(level) == 0 {
					probs.add(known[node], "", "no SCP is attached to %q, on the path to account %q: AWS requires one at every level", node, a.Id)
				}
				oa.SCPs = append(oa.SCPs, level)
			}
		}
		org.Accounts = append(org.Accounts, oa)
	}
	sort.Slice(org.Accounts, func(i, j int) bool { return org.Accounts[i].ID < org.Accounts[j].ID })
	sort.Slice(org.SCPs, func(i, j int) bool { return org.SCPs[i].Name < org.SCPs[j].Name })
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return org, nil
}

// quoteJSON returns s as a JSON string, for documentText.
func quoteJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
