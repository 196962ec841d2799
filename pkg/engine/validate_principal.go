package engine

import (
	"strconv"
	"strings"
)

// principals checks the Principal or NotPrincipal element of a
// resource-based policy statement.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
func (v *validator) principals(st *Statement) {
	p, name := st.Principal, plain("Principal")
	if st.NotPrincipal != nil {
		p, name = st.NotPrincipal, plain("NotPrincipal")
		if st.Effect == EffectAllow {
			v.warnf(st, name, st.PrincipalPos, CodeAllowNotPrincipal,
				"Allow with NotPrincipal grants access to every principal not listed, anonymous users included; "+
					"use Principal, or Deny with NotPrincipal")
		}
	}
	if p == nil {
		return
	}
	count := make(map[string]int)
	for _, e := range p.Entries {
		count[e.Type]++
	}
	index := make(map[string]int)
	for _, e := range p.Entries {
		f := name.child(e.Type).elem(index[e.Type], count[e.Type])
		index[e.Type]++
		if strings.Contains(e.Value, "${") {
			v.errorf(st, f, e.Pos, CodeVariableNotAllowed,
				"%s cannot hold policy variables: IAM does not expand them in principals, so %q is taken as written", f, e.Value)
			continue
		}
		if e.Type == "AWS" {
			v.awsPrincipal(st, f, e)
		}
	}
}

// awsPrincipal checks one value under "AWS": "*", an account ID, or the ARN
// of an account root, an IAM user or role, or an STS session.
func (v *validator) awsPrincipal(st *Statement, f field, e PrincipalEntry) {
	s := e.Value
	if s == "*" || IsAccountID(s) {
		return
	}
	if hasWildcard(s) {
		v.errorf(st, f, e.Pos, CodeInvalidValue,
			`%q: a principal cannot hold wildcards other than "*" alone; use "*" with a condition on aws:PrincipalArn (ArnLike)`, s)
		return
	}
	if msg := awsPrincipalProblem(s); msg != "" {
		v.errorf(st, f, e.Pos, CodeInvalidValue, "%s", msg)
	}
}

// awsPrincipalProblem explains why s is not a valid AWS principal ARN, or
// returns "".
func awsPrincipalProblem(s string) string {
	const want = `an AWS principal must be "*", a 12-digit account ID, or the ARN of an account root, ` +
		`IAM user or role, or STS session, not `
	a, ok := splitARN(s)
	if !ok || a.partition == "" || a.region != "" || !IsAccountID(a.account) {
		return want + strconv.Quote(s)
	}
	res := a.resource
	switch a.service {
	case "iam":
		switch {
		case res == "root", namedPath(res, "user/"), namedPath(res, "role/"):
			return ""
		case strings.HasPrefix(res, "group/"):
			return "IAM groups cannot be principals: name the group's users or roles, or the account, not " + strconv.Quote(s)
		}
	case "sts":
		if rest, ok := strings.CutPrefix(res, "assumed-role/"); ok {
			role, session, ok := strings.Cut(rest, "/")
			if ok && role != "" && session != "" {
				return ""
			}
			return "an assumed-role principal must be arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION, not " + strconv.Quote(s)
		}
		if namedPath(res, "federated-user/") {
			return ""
		}
	}
	return want + strconv.Quote(s)
}

// namedPath reports whether res is kind followed by an optional path and a
// non-empty name ("user/team/alice").
func namedPath(res, kind string) bool {
	rest, ok := strings.CutPrefix(res, kind)
	return ok && rest != "" && !strings.HasSuffix(rest, "/")
}
