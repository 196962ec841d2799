package server

import (
	"strings"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// resourceProblem says what is wrong with a request's resource, or ""
// when it is "*" or a well-formed ARN: a partition and a service, a
// region (empty for global resources), a 12-digit account, and a resource
// part. Every Pinpoint and SMS-voice resource type carries its account,
// and IAM refuses such requests rather than deciding them, so a request
// for "arn::::::" or an account of 2 digits is refused, not denied.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
func resourceProblem(arn string) string {
	const form = "(arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)"
	if arn == "*" {
		return ""
	}
	var f [6]string // as strings.SplitN(arn, ":", 6) gives them, without allocating
	n, rest := 0, arn
	for ; n < 5; n++ {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			break
		}
		f[n], rest = rest[:i], rest[i+1:]
	}
	f[n] = rest
	if n != 5 || f[0] != "arn" {
		return `want an ARN ` + form + ` or "*"`
	}
	switch partition, service, region, account, resource := f[1], f[2], f[3], f[4], f[5]; {
	case !arnWord(partition):
		return "the partition (aws, aws-cn, aws-us-gov, …) is missing or malformed " + form
	case !arnWord(service):
		return "the service (mobiletargeting, sms-voice) is missing or malformed " + form
	case region != "" && !arnWord(region):
		return "the region is malformed " + form
	case !engine.IsAccountID(account):
		return "the account must be 12 digits " + form
	case resource == "":
		return "the resource part is empty " + form
	}
	return ""
}

// arnWord reports whether s is a partition, service or region name: lower
// case letters, digits and hyphens.
func arnWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
