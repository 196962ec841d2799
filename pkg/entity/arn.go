package entity

import (
	"fmt"
	"strings"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// iamARN is an IAM user or role ARN taken apart.
type iamARN struct {
	partition, account string
	kind               string // "user" or "role"
	path               string // "/" or "/a/b/"
	name               string
}

// parseIAMARN checks that s is the ARN of an IAM user or role (kind) with a
// 12-digit account, a valid path and a valid name, and takes it apart. The
// error says what is wrong and shows the expected form.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
func parseIAMARN(s, kind string) (iamARN, error) {
	example := func() string {
		return fmt.Sprintf("arn:aws:iam::111122223333:%s/NAME or arn:aws:iam::111122223333:%s/PATH/NAME", kind, kind)
	}
	var f [6]string
	n := splitARN(s, &f)
	switch {
	case s == "":
		return iamARN{}, fmt.Errorf("missing (want %s)", example())
	case n != 6 || f[0] != "arn":
		return iamARN{}, fmt.Errorf("not an ARN (want %s)", example())
	case f[2] == "sts" && strings.HasPrefix(f[5], "assumed-role/") && kind == "role":
		return iamARN{}, fmt.Errorf("an STS session ARN; give the role's ARN (%s)", example())
	case !validPartition(f[1]) || f[2] != "iam" || f[3] != "" || len(f[5]) <= len(kind) || f[5][:len(kind)] != kind || f[5][len(kind)] != '/':
		return iamARN{}, fmt.Errorf("not an IAM %s ARN (want %s)", kind, example())
	case !isAccountID(f[4]):
		return iamARN{}, fmt.Errorf("account %q must be 12 digits", f[4])
	}
	a := iamARN{partition: f[1], account: f[4], kind: kind}
	rest := f[5][len(kind):] // "/PATH/NAME"
	i := strings.LastIndexByte(rest, '/')
	a.path, a.name = rest[:i+1], rest[i+1:]
	if err := checkIAMPath(a.path); err != nil {
		return iamARN{}, err
	}
	if err := checkIAMName(a.name, 64); err != nil {
		return iamARN{}, fmt.Errorf("%s name %w", kind, err)
	}
	return a, nil
}

// splitARN splits s at its first five colons into f, as strings.SplitN(s,
// ":", 6) does without allocating, and returns the number of fields.
func splitARN(s string, f *[6]string) int {
	n := 0
	for ; n < 5; n++ {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			break
		}
		f[n], s = s[:i], s[i+1:]
	}
	f[n] = s
	return n + 1
}

// principalRef is what a request's principal ARN names, for lookups.
type principalRef struct {
	partition, account string
	kind               string // "user" or "role"
	name               string
}

// parsePrincipalRef takes apart a user or role ARN (its name is the last
// path element) or an assumed-role session ARN, which names its role.
func parsePrincipalRef(s string) (principalRef, bool) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[3] != "" {
		return principalRef{}, false
	}
	ref := principalRef{partition: f[1], account: f[4]}
	res := f[5]
	switch {
	case f[2] == "iam" && strings.HasPrefix(res, "user/"):
		ref.kind = "user"
	case f[2] == "iam" && strings.HasPrefix(res, "role/"):
		ref.kind = "role"
	case f[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		role, _, ok := strings.Cut(res[len("assumed-role/"):], "/")
		ref.kind, ref.name = "role", role
		return ref, ok && role != ""
	default:
		return principalRef{}, false
	}
	ref.name = res[strings.LastIndexByte(res, '/')+1:]
	return ref, ref.name != ""
}

// validPartition accepts the AWS partitions: aws, aws-cn, aws-us-gov,
// aws-iso and so on.
func validPartition(p string) bool {
	if p != "aws" && !strings.HasPrefix(p, "aws-") {
		return false
	}
	for _, c := range p {
		if c != '-' && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// isAccountID reports whether s is a 12-digit AWS account ID.
func isAccountID(s string) bool { return engine.IsAccountID(s) }

// checkIAMName checks a user, role, group or policy name: 1 to max
// characters of letters, digits and +=,.@_-.
func checkIAMName(name string, limit int) error {
	if name == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(name) > limit {
		return fmt.Errorf("%q is longer than %d characters", name, limit)
	}
	for _, c := range name {
		if !isNameChar(c) {
			return fmt.Errorf("%q holds %q; names use letters, digits and +=,.@_-", name, c)
		}
	}
	return nil
}

func isNameChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("+=,.@_-", c)
}

// checkIAMPath checks an IAM path: "/" or "/" followed by segments of
// printable ASCII each ending in "/", at most 512 characters.
func checkIAMPath(p string) error {
	if p == "/" {
		return nil
	}
	if len(p) > 512 {
		return fmt.Errorf("path is longer than 512 characters")
	}
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return fmt.Errorf("path %q must be \"/\" or start and end with \"/\" with no empty segment, e.g. \"/service/\"", p)
	}
	for _, c := range p {
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("path %q holds %q; paths use printable ASCII without spaces", p, c)
		}
	}
	return nil
}

// resourceARN is a resource ARN taken apart.
type resourceARN struct {
	partition, service, region, account, resource string
}

func splitResourceARN(s string) (resourceARN, bool) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" {
		return resourceARN{}, false
	}
	return resourceARN{partition: f[1], service: f[2], region: f[3], account: f[4], resource: f[5]}, true
}

// CheckPrincipalARN checks that s is the ARN of an IAM user or role, as
// the model names its principals: the user's form unless s names a role.
func CheckPrincipalARN(s string) error {
	var f [6]string
	kind := "user"
	if splitARN(s, &f) == 6 && strings.HasPrefix(f[5], "role/") {
		kind = "role"
	}
	_, err := parseIAMARN(s, kind)
	return err
}
