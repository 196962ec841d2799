package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/changeset"
	"github.com/pdp-dev/pdp/pkg/access"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

func impactCommand() command {
	var o accessOptions
	var maxChanges int
	return command{
		name:    "impact",
		env:     clientEnv(map[string]string{"addr": "PDP_ADDR"}),
		args:    "FROM [TO]",
		summary: "list every access that differs between two policy models",
		doc: `pdp impact lists every (principal, action, resource) whose answer differs
between two models, with its answer before and after, counted per
principal and per action, and the resource types of which neither model
lists a resource but which a changed statement reaches.

With --addr, FROM and TO are revisions of the server's store (TO defaults
to the current one):

  pdp impact --addr 127.0.0.1:8181 3 5

With --policies, FROM and TO are two policy directories:

  pdp impact --policies examples/model examples/model new-model

Answers are taken with every request key open, as pdp who-can does
without --context.`,
		setup: func(fs *flag.FlagSet) runFunc {
			o.register(fs)
			fs.IntVar(&maxChanges, "max-changes", 10000, "list at most `n` changes (the counts cover all)")
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) < 1 || len(args) > 2 {
					return usageError(e, "impact", "want FROM [TO], got %d arguments", len(args))
				}
				if err := o.check(); err != nil {
					return usageError(e, "impact", "%v", err)
				}
				if maxChanges <= 0 {
					return usageError(e, "impact", "-max-changes must be positive, got %d", maxChanges)
				}
				return impact(ctx, e, &o, args, maxChanges)
			}
		},
	}
}

func impact(ctx context.Context, e *env, o *accessOptions, args []string, maxChanges int) int {
	var resp *pdpv1.ImpactResponse
	var err error
	if o.addr != "" {
		resp, err = remoteImpact(ctx, e, o, args, maxChanges)
		if err != nil {
			return exitUsage
		}
		if resp == nil {
			return exitFailure
		}
	} else {
		if len(args) != 2 {
			return usageError(e, "impact", "with --policies, give two policy directories FROM TO")
		}
		resp, err = localImpact(args[0], args[1], maxChanges)
		if err != nil {
			fmt.Fprintf(e.stderr, "pdp impact: %v\n", err)
			return exitFailure
		}
	}
	if o.format.value == "json" {
		err = writeProtoJSON(e.stdout, resp)
	} else {
		_, err = io.WriteString(e.stdout, impactText(resp))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp impact: write result: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// remoteImpact asks a server; it returns an error for bad revision
// arguments (already reported) and a nil response for a failed call.
func remoteImpact(ctx context.Context, e *env, o *accessOptions, args []string, maxChanges int) (*pdpv1.ImpactResponse, error) {
	revs := make([]int64, 2)
	for i, a := range args {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			usageError(e, "impact", "with --addr, FROM and TO are revisions: bad revision %q", a)
			return nil, fmt.Errorf("bad revision")
		}
		revs[i] = n
	}
	c, done, err := o.client(e.log)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp impact: %v\n", err)
		return nil, nil
	}
	defer done()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	resp, err := c.Impact(ctx, &pdpv1.ImpactRequest{FromRevision: revs[0], ToRevision: revs[1], MaxChanges: int32(maxChanges)})
	if err != nil {
		printCallError(e.stderr, "impact", err)
		return nil, nil
	}
	return resp, nil
}

// localImpact compares two policy directories in-process.
func localImpact(fromDir, toDir string, maxChanges int) (*pdpv1.ImpactResponse, error) {
	cat, err := catalog.Load()
	if err != nil {
		return nil, err
	}
	models := make([]*access.Model, 2)
	for i, dir := range []string{fromDir, toDir} {
		res, err := loadResolved(cat, dir)
		if err != nil {
			return nil, err
		}
		if models[i], err = access.NewModel(cat, res, int64(i)); err != nil {
			return nil, err
		}
	}
	im, err := access.Compare(models[0], models[1])
	if err != nil {
		return nil, err
	}
	return changeset.Response(im, maxChanges), nil
}

// impactText writes the summary, then the details.
func impactText(r *pdpv1.ImpactResponse) string {
	return fmt.Sprintf("impact from revision %d to %d: %s\n", r.GetFromRevision(), r.GetToRevision(), impactCounts(r)) +
		impactDetails(r)
}

// impactCounts is the summary of an impact's counts.
func impactCounts(r *pdpv1.ImpactResponse) string {
	return fmt.Sprintf("%d changes (%d gained, %d lost)", r.GetTotal(), r.GetGained(), r.GetLost())
}

// impactDetails writes the counts per principal and per action, then
// every change listed.
func impactDetails(r *pdpv1.ImpactResponse) string {
	var b strings.Builder
	groups := func(title string, gs []*pdpv1.ImpactGroup) {
		if len(gs) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s:\n", title)
		for _, g := range gs {
			fmt.Fprintf(&b, "  %-60s %d changed (+%d -%d)\n", g.GetKey(), g.GetChanged(), g.GetGained(), g.GetLost())
		}
	}
	groups("by principal", r.GetByPrincipal())
	groups("by action", r.GetByAction())
	if len(r.GetChanges()) > 0 {
		b.WriteString("changes:\n")
	}
	for _, c := range r.GetChanges() {
		fmt.Fprintf(&b, "  %s %s %s: %s -> %s\n", c.GetPrincipal(), c.GetAction(), c.GetResource(),
			accessName(c.GetBefore()), accessName(c.GetAfter()))
	}
	if r.GetTruncated() {
		b.WriteString("  … (more changes; raise -max-changes)\n")
	}
	for _, u := range r.GetUnlistedTypes() {
		fmt.Fprintf(&b, "no resource listed of type %s (%s), which changed statements reach: %s\n",
			u.GetResourceType(), u.GetArnFormat(), strings.Join(u.GetPatterns(), ", "))
	}
	return b.String()
}

// dryRunImpactLines bounds the impact a dry run prints: the summary and
// the first lines of the details; pdp impact lists the whole of an
// applied change.
const dryRunImpactLines = 20

// dryRunImpactText writes the summary of the impact of a change set and
// at most maxLines lines of its details, then how many lines were left
// out.
func dryRunImpactText(r *pdpv1.ImpactResponse, maxLines int) string {
	details := strings.SplitAfter(impactDetails(r), "\n")
	if n := len(details); n > 0 && details[n-1] == "" {
		details = details[:n-1]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "impact: %s\n", impactCounts(r))
	for i, line := range details {
		if i == maxLines {
			fmt.Fprintf(&b, "  … %d more lines\n", len(details)-maxLines)
			break
		}
		b.WriteString(line)
	}
	return b.String()
}
