package engine

import (
	"fmt"
	"math/bits"
	"strings"
)

// A Request is one authorization question: may Principal perform Action on
// Resource, given Context?
type Request struct {
	Principal string // ARN of a user, role or assumed-role session
	Action    string // "service:Action"
	Resource  string // the resource's ARN, or "*" for actions with no resource type
	// ResourceAccount is the account that owns the resource. Empty means the
	// account field of Resource, or the principal's account when Resource
	// is "*".
	ResourceAccount string
	Context         *Context
}

// principalKind is what an ARN names as a caller.
type principalKind uint8

const (
	principalUnknown principalKind = iota
	principalUser
	principalRole
	principalSession
	principalRoot
)

// principalInfo is a principal ARN taken apart without allocating.
type principalInfo struct {
	arn       string
	partition string
	account   string
	kind      principalKind
	roleName  string // the role of a role or session (last path element)
}

// parsePrincipal splits "arn:aws:iam::ACCOUNT:user/PATH/NAME",
// "arn:aws:iam::ACCOUNT:role/PATH/NAME" and
// "arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION".
func parsePrincipal(arn string) principalInfo {
	pi := principalInfo{arn: arn}
	a, ok := splitARN(arn)
	if !ok {
		return pi
	}
	pi.partition, pi.account = a.partition, a.account
	res := a.resource
	switch {
	case a.service == "iam" && res == "root":
		pi.kind = principalRoot
	case a.service == "iam" && strings.HasPrefix(res, "user/"):
		pi.kind = principalUser
	case a.service == "iam" && strings.HasPrefix(res, "role/"):
		pi.kind = principalRole
		pi.roleName = res[strings.LastIndexByte(res, '/')+1:]
	case a.service == "sts" && strings.HasPrefix(res, "assumed-role/"):
		rest := res[len("assumed-role/"):]
		if role, _, ok := strings.Cut(rest, "/"); ok {
			pi.kind, pi.roleName = principalSession, role
		}
	}
	return pi
}

// arnParts are the six colon-separated fields of an ARN.
type arnParts struct {
	partition, service, region, account, resource string
}

// splitARN splits an ARN into its fields; the resource part keeps any
// further colons.
func splitARN(s string) (arnParts, bool) {
	if len(s) < 4 || s[:4] != "arn:" {
		return arnParts{}, false
	}
	i := 4
	j := colonFrom(s, i)
	if j < 0 {
		return arnParts{}, false
	}
	partition := s[i:j]
	i = j + 1
	if j = colonFrom(s, i); j < 0 {
		return arnParts{}, false
	}
	service := s[i:j]
	i = j + 1
	if j = colonFrom(s, i); j < 0 {
		return arnParts{}, false
	}
	region := s[i:j]
	i = j + 1
	if j = colonFrom(s, i); j < 0 {
		return arnParts{}, false
	}
	return arnParts{partition: partition, service: service, region: region, account: s[i:j], resource: s[j+1:]}, true
}

// colonFrom returns the index of the first ':' in s at or after i, or -1.
// It tests eight bytes at a time: the fields of an ARN are short, where a
// call to strings.IndexByte costs more than the search.
func colonFrom(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := colonMask(load64(s, i)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

// arnAccount returns the account field of an ARN, the text between its
// fourth and fifth colons, or "" when s is not one. It visits the colons
// eight bytes at a time, as every decision reads the account of both the
// principal and the resource.
func arnAccount(s string) string {
	if len(s) < 4 || s[:4] != "arn:" {
		return ""
	}
	seen, start := 1, 0 // colons so far; where the account starts
	i := 4
	for ; i+8 <= len(s); i += 8 {
		for m := colonMask(load64(s, i)); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)/8
			if seen++; seen == 4 {
				start = j + 1
			} else if seen == 5 {
				return s[start:j]
			}
		}
	}
	for ; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		if seen++; seen == 4 {
			start = i + 1
		} else if seen == 5 {
			return s[start:i]
		}
	}
	return ""
}

// colonMask returns a word with the high bit of every byte of w that is a
// ':' set, and no other bit.
func colonMask(w uint64) uint64 {
	const low7, highs, colons = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080, ':' * 0x0101010101010101
	x := w ^ colons // a zero byte where w has a ':'
	// Adding 0x7f to the low seven bits of a byte sets its high bit unless
	// they are zero, and never carries into the next byte.
	return ^((x & low7) + low7 | x) & highs
}

// resourceAccount applies the defaulting rule of Request.ResourceAccount.
func (r *Request) resourceAccount(principalAccount string) string {
	if r.ResourceAccount != "" {
		return r.ResourceAccount
	}
	if a := arnAccount(r.Resource); a != "" {
		return a
	}
	return principalAccount
}

// PrincipalKind is what a principal ARN names.
type PrincipalKind uint8

// The kinds of caller pdp decides for.
const (
	PrincipalUnknown PrincipalKind = iota
	PrincipalUser                  // arn:aws:iam::ACCOUNT:user/PATH/NAME
	PrincipalRole                  // arn:aws:iam::ACCOUNT:role/PATH/NAME
	PrincipalSession               // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
)

// A PrincipalARN is a caller's ARN taken apart.
type PrincipalARN struct {
	Kind      PrincipalKind
	Partition string
	Account   string
	// Name is the user's or role's name (the last path element) or, for a
	// session, the role's name.
	Name string
	// Session is the session name of an assumed-role session.
	Session string
}

// ParsePrincipalARN takes apart the ARN of an IAM user, an IAM role or an
// assumed-role session, and fails on anything else.
func ParsePrincipalARN(arn string) (PrincipalARN, error) {
	pi := parsePrincipal(arn)
	p := PrincipalARN{Partition: pi.partition, Account: pi.account}
	if !IsAccountID(pi.account) {
		return p, fmt.Errorf("%q is not the ARN of an IAM user, IAM role or assumed-role session "+
			"(arn:aws:iam::ACCOUNT:user/NAME, arn:aws:iam::ACCOUNT:role/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)", arn)
	}
	a, _ := splitARN(arn)
	if a.region != "" {
		return PrincipalARN{}, fmt.Errorf("%q is not the ARN of an IAM user, IAM role or assumed-role session: "+
			"IAM and STS ARNs have no region (arn:aws:iam::ACCOUNT:user/NAME)", arn)
	}
	switch pi.kind {
	case principalUser:
		p.Kind, p.Name = PrincipalUser, a.resource[strings.LastIndexByte(a.resource, '/')+1:]
	case principalRole:
		p.Kind, p.Name = PrincipalRole, pi.roleName
	case principalSession:
		p.Kind, p.Name = PrincipalSession, pi.roleName
		p.Session = a.resource[len("assumed-role/")+len(pi.roleName)+1:]
	}
	if p.Kind == PrincipalUnknown || p.Name == "" || (p.Kind == PrincipalSession && p.Session == "") {
		return PrincipalARN{}, fmt.Errorf("%q is not the ARN of an IAM user, IAM role or assumed-role session "+
			"(arn:aws:iam::ACCOUNT:user/NAME, arn:aws:iam::ACCOUNT:role/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)", arn)
	}
	return p, nil
}

// IsARN reports whether s has the six fields of an ARN.
func IsARN(s string) bool {
	_, ok := splitARN(s)
	return ok
}
