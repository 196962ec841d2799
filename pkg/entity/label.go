package entity

import "fmt"

// Labels name an entity in messages by its key or, when the key is
// missing, by its place in the list of its bundle file (of the Set for an
// entity built in code).

// place returns the index that names an entity without a key.
func place(i int, o *origin) int {
	if o != nil {
		return o.index
	}
	return i
}

func accountLabel(i int, a *Account) string {
	if a.ID == "" {
		return fmt.Sprintf("accounts[%d]", place(i, a.src))
	}
	return fmt.Sprintf("account %q", a.ID)
}

func managedLabel(i int, m *ManagedPolicy) string {
	if m.Name == "" {
		return fmt.Sprintf("managed_policies[%d]", place(i, m.src))
	}
	return fmt.Sprintf("managed policy %q", m.Name)
}

func scpLabel(i int, s *SCP) string {
	if s.Name == "" {
		return fmt.Sprintf("scps[%d]", place(i, s.src))
	}
	return fmt.Sprintf("scp %q", s.Name)
}

func groupLabel(i int, g *Group) string {
	switch {
	case g.Name == "":
		return fmt.Sprintf("groups[%d]", place(i, g.src))
	case g.Account == "":
		return fmt.Sprintf("group %q", g.Name)
	}
	return fmt.Sprintf("group %q in account %q", g.Name, g.Account)
}

// principalLabel names a user or role (kind); i is its place.
func principalLabel(kind string, i int, arn string) string {
	if arn == "" {
		return fmt.Sprintf("%ss[%d]", kind, i)
	}
	return fmt.Sprintf("%s %q", kind, arn)
}

// resourceLabel names a resource; i is its place.
func resourceLabel(i int, arn string) string {
	if arn == "" {
		return fmt.Sprintf("resources[%d]", i)
	}
	return fmt.Sprintf("resource %q", arn)
}
