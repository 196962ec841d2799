package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

func whichResourcesCommand() command {
	var o accessOptions
	return command{
		name:    "which-resources",
		env:     clientEnv(map[string]string{"addr": "PDP_ADDR"}),
		args:    "PRINCIPAL ACTION",
		summary: "list the resources a user or role may perform an action on",
		doc: `pdp which-resources answers, for every resource of the model that ACTION
can act on, whether PRINCIPAL may perform it there (as pdp who-can
does), then, for resources the model does not list, the Resource patterns
of the principal's identity policies that allow the action, with their
conditions (those on aws:ResourceTag keys decide by the resource's tags),
and the resource types of which the model lists nothing.

  pdp which-resources --policies examples/model \
      arn:aws:iam::111122223333:role/service/sms-sender sms-voice:SendTextMessage

The model is a server's (--addr) or a policy directory's (--policies).`,
		setup: func(fs *flag.FlagSet) runFunc {
			o.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) != 2 {
					return usageError(e, "which-resources", "want PRINCIPAL ACTION, got %d arguments", len(args))
				}
				if err := o.check(); err != nil {
					return usageError(e, "which-resources", "%v", err)
				}
				return whichResources(ctx, e, &o, args[0], args[1])
			}
		},
	}
}

func whichResources(ctx context.Context, e *env, o *accessOptions, principal, action string) int {
	c, done, err := o.client(e.log)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp which-resources: %v\n", err)
		return exitFailure
	}
	defer done()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req := &pdpv1.WhichResourcesRequest{Principal: principal, Action: action, Context: o.context, IncludeDenied: o.all}
	var all *pdpv1.WhichResourcesResponse
	for range maxAccessPages {
		resp, err := c.WhichResources(ctx, req)
		if err != nil {
			printCallError(e.stderr, "which-resources", err)
			return exitFailure
		}
		if all == nil {
			all = resp
		} else {
			all.Resources = append(all.Resources, resp.GetResources()...)
		}
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			break
		}
		req.MinRevision = resp.GetRevision()
	}
	all.NextPageToken = ""
	if o.format.value == "json" {
		err = writeProtoJSON(e.stdout, all)
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "where %s can %s (revision %d): %d listed resources\n", principal, action, all.GetRevision(), len(all.GetResources()))
		for _, r := range all.GetResources() {
			writeAnswer(&b, r.GetResource(), r.GetAnswer())
		}
		if len(all.GetUnlisted()) > 0 {
			b.WriteString("resources the model does not list:\n")
			writeScopes(&b, all.GetUnlisted())
		}
		if len(all.GetEmptyTypes()) > 0 {
			fmt.Fprintf(&b, "no resource listed of type: %s\n", strings.Join(all.GetEmptyTypes(), ", "))
		}
		_, err = io.WriteString(e.stdout, b.String())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp which-resources: write result: %v\n", err)
		return exitFailure
	}
	return exitOK
}
