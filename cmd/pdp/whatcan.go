package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

func whatCanCommand() command {
	var o accessOptions
	return command{
		name:    "what-can",
		env:     clientEnv(map[string]string{"addr": "PDP_ADDR"}),
		args:    "PRINCIPAL [RESOURCE]",
		summary: "list what a user or role may do, on one resource or per resource type",
		doc: `pdp what-can answers, for every catalog action that can act on RESOURCE,
whether PRINCIPAL (a user or role ARN, or a session ARN of a role) may
perform it there: ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY or CONDITIONAL,
as pdp who-can does. Without RESOURCE it lists, for every action and
resource type, the Resource patterns of the principal's identity policies
that allow (and deny) it, with their conditions.

  pdp what-can --policies examples/model arn:aws:iam::111122223333:user/alice \
      arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale

The model is a server's (--addr) or a policy directory's (--policies).`,
		setup: func(fs *flag.FlagSet) runFunc {
			o.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) < 1 || len(args) > 2 {
					return usageError(e, "what-can", "want PRINCIPAL [RESOURCE], got %d arguments", len(args))
				}
				if err := o.check(); err != nil {
					return usageError(e, "what-can", "%v", err)
				}
				resource := ""
				if len(args) == 2 {
					resource = args[1]
				}
				return whatCan(ctx, e, &o, args[0], resource)
			}
		},
	}
}

func whatCan(ctx context.Context, e *env, o *accessOptions, principal, resource string) int {
	c, done, err := o.client(e.log)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp what-can: %v\n", err)
		return exitFailure
	}
	defer done()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	resp, err := c.WhatCan(ctx, &pdpv1.WhatCanRequest{Principal: principal, Resource: resource, Context: o.context, IncludeDenied: o.all})
	if err != nil {
		printCallError(e.stderr, "what-can", err)
		return exitFailure
	}
	if o.format.value == "json" {
		err = writeProtoJSON(e.stdout, resp)
	} else {
		var b strings.Builder
		if resource == "" {
			fmt.Fprintf(&b, "what %s can do, per resource type (revision %d)\n", principal, resp.GetRevision())
			writeScopes(&b, resp.GetScopes())
		} else {
			fmt.Fprintf(&b, "what %s can do on %s (revision %d): %d actions\n", principal, resource, resp.GetRevision(), len(resp.GetActions()))
			for _, a := range resp.GetActions() {
				writeAnswer(&b, a.GetAction(), a.GetAnswer())
			}
		}
		_, err = io.WriteString(e.stdout, b.String())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp what-can: write result: %v\n", err)
		return exitFailure
	}
	return exitOK
}
