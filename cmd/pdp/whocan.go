package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

func whoCanCommand() command {
	var o accessOptions
	return command{
		name:    "who-can",
		env:     clientEnv(map[string]string{"addr": "PDP_ADDR"}),
		args:    "ACTION RESOURCE",
		summary: "list the users and roles that may perform an action on a resource",
		doc: `pdp who-can answers, for every user and role of the policy model, whether
it may perform ACTION on RESOURCE (an ARN, or * for actions without
resource types): ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY, or CONDITIONAL
when the answer depends on request keys the model cannot know
(aws:SourceIp, aws:CurrentTime, aws:MultiFactorAuthPresent,
aws:RequestTag/..., ...). A conditional answer lists the conditions that
decide and one request of each outcome. Fix keys with --context,
--context-list and --absent; the others stay open.

  pdp who-can --policies examples/model sms-voice:SendTextMessage \
      arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing

The model is a server's (--addr) or a policy directory's (--policies).
The exit status is 0 when the question was answered, 1 when it failed,
2 for bad flags.`,
		setup: func(fs *flag.FlagSet) runFunc {
			o.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) != 2 {
					return usageError(e, "who-can", "want ACTION RESOURCE, got %d arguments", len(args))
				}
				if err := o.check(); err != nil {
					return usageError(e, "who-can", "%v", err)
				}
				return whoCan(ctx, e, &o, args[0], args[1])
			}
		},
	}
}

func whoCan(ctx context.Context, e *env, o *accessOptions, action, resource string) int {
	c, done, err := o.client(e.log)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp who-can: %v\n", err)
		return exitFailure
	}
	defer done()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req := &pdpv1.WhoCanRequest{Action: action, Resource: resource, Context: o.context, IncludeDenied: o.all}
	all := &pdpv1.WhoCanResponse{}
	for range maxAccessPages {
		resp, err := c.WhoCan(ctx, req)
		if err != nil {
			printCallError(e.stderr, "who-can", err)
			return exitFailure
		}
		all.Revision = resp.GetRevision()
		all.Principals = append(all.Principals, resp.GetPrincipals()...)
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			break
		}
		req.MinRevision = resp.GetRevision()
	}
	if o.format.value == "json" {
		err = writeProtoJSON(e.stdout, all)
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "who can %s on %s (revision %d): %d principals\n", action, resource, all.GetRevision(), len(all.GetPrincipals()))
		for _, p := range all.GetPrincipals() {
			writeAnswer(&b, p.GetPrincipal(), p.GetAnswer())
		}
		_, err = io.WriteString(e.stdout, b.String())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp who-can: write result: %v\n", err)
		return exitFailure
	}
	return exitOK
}
