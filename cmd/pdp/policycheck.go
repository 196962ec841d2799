package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/policycheck"
)

// The exit statuses of the custom policy checks follow those of a test:
// 0 PASS, 1 FAIL, 2 bad flags or a policy that does not parse.

// policyCheckOptions are the flags the two checks share.
type policyCheckOptions struct {
	typ    *enumFlag
	format *enumFlag
}

func (o *policyCheckOptions) register(fs *flag.FlagSet) {
	o.typ = newEnumFlag("IDENTITY_POLICY", "IDENTITY_POLICY", "RESOURCE_POLICY", "identity", "resource")
	o.format = newEnumFlag("text", "text", "json")
	fs.Var(o.typ, "type", "policy `type`: IDENTITY_POLICY or RESOURCE_POLICY")
	fs.Var(o.format, "format", "output `format`: text, or json (Access Analyzer's result, reasons and message, with notes)")
}

const policyCheckDoc = `Only the actions of pdp's catalog (mobiletargeting and sms-voice) are
checked; a policy that names actions of other services gets a note. As in
Access Analyzer, a check FAILs when the policy might grant the access: a
statement with conditions counts as granting, and a Deny with conditions
counts as removing nothing.

The exit status is 0 for PASS, 1 for FAIL, and 2 for bad flags or a
policy that does not parse.`

func checkNoNewAccessCommand() command {
	var o policyCheckOptions
	var existing, updated string
	return command{
		name:    "check-no-new-access",
		summary: "check that an updated policy grants no access the existing one does not",
		doc: `pdp check-no-new-access runs IAM Access Analyzer's CheckNoNewAccess: it
compares the updated policy (--new) with the existing or reference policy
(--existing) and FAILs with the statements of the updated policy that grant
new access, each with an example action and resource.

` + policyCheckDoc,
		setup: func(fs *flag.FlagSet) runFunc {
			fs.StringVar(&existing, "existing", "", "existing or reference policy `file` (\"-\" for stdin) (required)")
			fs.StringVar(&updated, "new", "", "updated policy `file` (\"-\" for stdin) (required)")
			o.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				const name = "check-no-new-access"
				if len(args) > 0 {
					return usageError(e, name, "unexpected argument %q", args[0])
				}
				if existing == "" || updated == "" {
					return usageError(e, name, "--existing and --new are required")
				}
				if existing == "-" && updated == "-" {
					return usageError(e, name, "only one of --existing and --new can be stdin")
				}
				c, typ, code := o.checker(ctx, e, name)
				if c == nil {
					return code
				}
				oldSrc, err := readPolicyFile(e, existing)
				if err != nil {
					return usageError(e, name, "--existing: %v", err)
				}
				newSrc, err := readPolicyFile(e, updated)
				if err != nil {
					return usageError(e, name, "--new: %v", err)
				}
				rep, err := c.CheckNoNewAccess(ctx, oldSrc, newSrc, typ)
				return o.report(e, name, rep, err)
			}
		},
	}
}

func checkAccessNotGrantedCommand() command {
	var o policyCheckOptions
	var file string
	var actions, resources stringsFlag
	return command{
		name:    "check-access-not-granted",
		summary: "check that a policy grants none of some actions or resources",
		doc: `pdp check-access-not-granted runs IAM Access Analyzer's
CheckAccessNotGranted: it FAILs with the statements of the policy that
grant any of the --action actions (names or patterns) on any of the
--resource ARNs. With actions only, no resource may be granted; with
resources only, no action may be granted on them.

` + policyCheckDoc,
		setup: func(fs *flag.FlagSet) runFunc {
			fs.StringVar(&file, "policy", "", "policy `file` (\"-\" for stdin) (required)")
			fs.Var(&actions, "action", "`action` that must not be granted, e.g. mobiletargeting:DeleteApp (repeatable)")
			fs.Var(&resources, "resource", "resource `ARN` or pattern that must not be accessible (repeatable)")
			o.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				const name = "check-access-not-granted"
				if len(args) > 0 {
					return usageError(e, name, "unexpected argument %q", args[0])
				}
				if file == "" {
					return usageError(e, name, "--policy is required")
				}
				if len(actions) == 0 && len(resources) == 0 {
					return usageError(e, name, "give at least one --action or --resource")
				}
				c, typ, code := o.checker(ctx, e, name)
				if c == nil {
					return code
				}
				src, err := readPolicyFile(e, file)
				if err != nil {
					return usageError(e, name, "--policy: %v", err)
				}
				rep, err := c.CheckAccessNotGranted(ctx, src, policycheck.Access{Actions: actions, Resources: resources}, typ)
				return o.report(e, name, rep, err)
			}
		},
	}
}

// checker loads the catalog and reads the policy type; on failure it
// returns a nil checker and the exit status.
func (o *policyCheckOptions) checker(ctx context.Context, e *env, name string) (*policycheck.Checker, engine.PolicyType, int) {
	typ, err := policycheck.ParsePolicyType(o.typ.value)
	if err != nil {
		return nil, 0, usageError(e, name, "-type: %v", err)
	}
	cat, err := catalog.Load()
	if err != nil {
		e.log.ErrorContext(ctx, "load catalog", "err", err)
		return nil, 0, exitUsage
	}
	return policycheck.New(cat), typ, exitOK
}

func readPolicyFile(e *env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(e.stdin)
	}
	return os.ReadFile(name)
}

// report prints the result and gives the exit status.
func (o *policyCheckOptions) report(e *env, name string, rep *policycheck.Report, err error) int {
	if err != nil {
		var perrs engine.Errors
		if errors.As(err, &perrs) {
			for _, pe := range perrs {
				fmt.Fprintf(e.stderr, "pdp %s: %v\n", name, pe)
			}
			return exitUsage
		}
		fmt.Fprintf(e.stderr, "pdp %s: %v\n", name, err)
		return exitUsage
	}
	if o.format.value == "json" {
		out, _ := json.MarshalIndent(rep, "", "  ")
		_, err = e.stdout.Write(append(out, '\n'))
	} else {
		_, err = io.WriteString(e.stdout, reportText(rep))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp %s: write result: %v\n", name, err)
		return exitUsage
	}
	if rep.Result == policycheck.Fail {
		return exitFailure
	}
	return exitOK
}

// reportText writes the result and message, then one line per reason and
// note:
//
//	FAIL: The modified permissions grant new access compared to your existing policy.
//	  4:5: Statement[0] (Sid "Read") grants access the existing policy does not, ...
//	  note: new Statement[1]: action "s3:GetObject" is outside pdp's domain ...
func reportText(rep *policycheck.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", rep.Result, rep.Message)
	for _, r := range rep.Reasons {
		b.WriteString("  ")
		if r.Line > 0 {
			fmt.Fprintf(&b, "%d:%d: ", r.Line, r.Column)
		}
		b.WriteString(r.Description + "\n")
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	return b.String()
}
