package engine

import "strings"

// grantKind says how a resource-policy statement names the caller, which
// decides what an Allow from it is worth in the same account.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
type grantKind uint8

const (
	grantNone    grantKind = iota
	grantAccount           // the caller's account: delegates to identity policies
	grantRole              // the caller's role: limited by boundary and session policy
	grantDirect            // the user or session ARN itself, or everyone
)

// principalEntryKind is what one Principal value names.
type principalEntryKind uint8

const (
	peNone    principalEntryKind = iota // never an IAM caller (services, federated, ...)
	peAccount                           // "111122223333" or "arn:aws:iam::111122223333:root"
	peUser                              // an IAM user ARN
	peRole                              // an IAM role ARN: the role and all its sessions
	peSession                           // one assumed-role session
	peOther                             // some other ARN, matched exactly
)

type principalEntry struct {
	kind      principalEntryKind
	partition string
	account   string
	arn       string
	roleName  string
}

// principalMatcher is a compiled Principal or NotPrincipal element.
type principalMatcher struct {
	any     bool
	entries []principalEntry
}

func compilePrincipal(p *Principal) *principalMatcher {
	if p == nil {
		return nil
	}
	m := &principalMatcher{any: p.Any}
	for _, e := range p.Entries {
		if e.Type != "AWS" {
			m.entries = append(m.entries, principalEntry{kind: peNone, arn: e.Value})
			continue
		}
		m.entries = append(m.entries, compilePrincipalEntry(e.Value))
	}
	return m
}

func compilePrincipalEntry(v string) principalEntry {
	if IsAccountID(v) {
		return principalEntry{kind: peAccount, account: v}
	}
	pi := parsePrincipal(v)
	e := principalEntry{partition: pi.partition, account: pi.account, arn: v, roleName: pi.roleName}
	switch pi.kind {
	case principalRoot:
		e.kind = peAccount
	case principalUser:
		e.kind = peUser
	case principalRole:
		e.kind = peRole
	case principalSession:
		e.kind = peSession
	default:
		e.kind = peOther
	}
	return e
}

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// match returns the strongest way the element names the caller, or
// grantNone. A role ARN names the role itself and every session of it; the
// session ARN carries the role's name without its path.
func (m *principalMatcher) match(pi *principalInfo) grantKind {
	if m.any {
		return grantDirect
	}
	best := grantNone
	for i := range m.entries {
		e := &m.entries[i]
		var g grantKind
		switch e.kind {
		case peAccount:
			if e.account == pi.account {
				g = grantAccount
			}
		case peUser, peSession, peOther:
			if e.arn == pi.arn {
				g = grantDirect
			}
		case peRole:
			switch {
			case pi.kind == principalRole && e.arn == pi.arn:
				g = grantRole
			case pi.kind == principalSession && e.namesRoleOf(pi):
				g = grantRole
			}
		}
		best = max(best, g)
	}
	return best
}

// exempts reports whether a NotPrincipal element names the caller by its own
// identity, which is what keeps a Deny with NotPrincipal from applying to it.
// Each principal is checked as itself: the account entry
// (arn:aws:iam::ACCOUNT:root or the bare ID) exempts only the account root,
// not the account's users, roles or sessions; a user ARN exempts that user; a
// role ARN exempts the role. An assumed-role session is evaluated as its role
// and then as the session, so it is exempt only when the list names both the
// session ARN and its role.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
func (m *principalMatcher) exempts(pi *principalInfo) bool {
	if m.any {
		return true
	}
	var self, role bool
	for i := range m.entries {
		e := &m.entries[i]
		switch e.kind {
		case peAccount:
			self = self || pi.kind == principalRoot && e.account == pi.account
		case peUser, peSession, peOther:
			self = self || e.arn == pi.arn
		case peRole:
			switch pi.kind {
			case principalRole:
				self = self || e.arn == pi.arn
			case principalSession:
				role = role || e.namesRoleOf(pi)
			}
		}
	}
	if pi.kind == principalSession {
		return self && role
	}
	return self
}

// namesRoleOf reports whether a role entry names the role of a session.
// The session ARN carries the role's name without its path.
func (e *principalEntry) namesRoleOf(pi *principalInfo) bool {
	return e.account == pi.account && e.partition == pi.partition && strings.EqualFold(e.roleName, pi.roleName)
}
