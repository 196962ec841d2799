package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"google.golang.org/grpc/metadata"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/admin"
	"github.com/pdp-dev/pdp/pkg/awsimport"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

// importOptions are the flags of pdp import aws.
type importOptions struct {
	gaad                 stringsFlag
	iamCollect           string
	organization         string
	pinpoint             string
	resourcePolicies     string
	allowMissingPolicies bool
	out                  string
	addr                 string
	timeout              time.Duration
	dryRun               bool
	message              string
	expectRevision       int64
	prune                bool
	author               string
	tls                  clientTLS
}

func importCommand() command {
	return command{
		name: "import",
		// Only an explicit --addr writes to a server: PDP_ADDR, which other
		// client commands read, must not turn writing a directory into an
		// import into whatever server the shell points at.
		env:     clientEnv(map[string]string{"author": "PDP_AUTHOR"}),
		args:    "aws",
		summary: "import an AWS account export (scripts/export-aws.sh) as a policy directory or into a server",
		doc: `pdp import aws reads what scripts/export-aws.sh saves of an AWS account and
converts it into pdp's policy model:
  --gaad FILE              aws iam get-account-authorization-details (repeat for
                           each page); policy documents as JSON objects, JSON
                           strings or URL-encoded JSON strings
  --iam-collect DIR        the file storage of iam-collect instead of --gaad and
                           --organization: IAM of every account, and the organization
  --organization DIR|FILE  the organization's SCPs and where they attach
  --pinpoint DIR|FILE      Pinpoint apps, SMS and voice resources, tags, policies
  --resource-policies DIR  resource policies, one file per resource, named after
                           its ARN URL-escaped (% as %25, / as %2F, : as %3A)
It writes a policy directory (--out DIR), applies the model to a server as one
revision that changes only what differs (--addr), or both. --prune also deletes
the server's entities of the imported accounts that the export no longer has.
Every problem is listed, and an export with any is refused whole.`,
		setup: func(fs *flag.FlagSet) runFunc {
			var o importOptions
			fs.Var(&o.gaad, "gaad", "output `file` of aws iam get-account-authorization-details (repeatable)")
			fs.StringVar(&o.iamCollect, "iam-collect", "", "iam-collect storage `directory` (holds aws/)")
			fs.StringVar(&o.organization, "organization", "", "organization export `directory or file`")
			fs.StringVar(&o.pinpoint, "pinpoint", "", "Pinpoint export `directory or file`")
			fs.StringVar(&o.resourcePolicies, "resource-policies", "", "`directory` of resource policies named after their ARNs")
			fs.BoolVar(&o.allowMissingPolicies, "allow-missing-policies", false,
				"import an attached managed policy absent from the export as not attached, instead of refusing")
			fs.StringVar(&o.out, "out", "", "write the policy directory `DIR`")
			fs.StringVar(&o.addr, "addr", "", "apply to the server at `address` (not read from PDP_ADDR)")
			fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "deadline of each call")
			fs.BoolVar(&o.dryRun, "dry-run", false, "with --addr: validate on the server only; write nothing")
			fs.StringVar(&o.message, "m", "", "`message` recorded in the history")
			fs.Int64Var(&o.expectRevision, "expect-revision", 0, "apply only if the store is at this `revision`")
			fs.BoolVar(&o.prune, "prune", false, "delete the entities of the imported accounts that the export lacks")
			fs.StringVar(&o.author, "author", "", "`name` recorded as the author; default $USER (PDP_AUTHOR)")
			o.tls.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) == 0 || args[0] != "aws" {
					return usageError(e, "import", "want the source: pdp import aws --gaad FILE …")
				}
				if rest, err := parseInterleaved(fs, args[1:]); err != nil || len(rest) > 0 {
					return usageError(e, "import", "unexpected arguments %q (%v)", rest, err)
				}
				if len(o.gaad) == 0 && o.iamCollect == "" {
					return usageError(e, "import", "give at least one --gaad FILE, or --iam-collect DIR")
				}
				if o.iamCollect != "" && o.organization != "" {
					return usageError(e, "import", "--iam-collect reads the organization too: leave out --organization")
				}
				if o.out == "" && o.addr == "" {
					return usageError(e, "import", "give --out DIR, --addr HOST:PORT or both")
				}
				if o.addr == "" && (o.dryRun || o.prune || o.expectRevision != 0 || o.message != "") {
					return usageError(e, "import", "--dry-run, --prune, --expect-revision and -m need --addr")
				}
				if !flagGiven(fs, "author") {
					o.author, _ = e.getenv("USER")
				}
				return runImport(ctx, e, o)
			}
		},
	}
}

// runImport reads, converts, writes and applies an export.
func runImport(ctx context.Context, e *env, o importOptions) int {
	cat, err := catalog.Load()
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp import: %v\n", err)
		return exitFailure
	}
	in, err := readImportInput(o)
	if err != nil {
		printProblems(e.stderr, err)
		return exitFailure
	}
	res, err := awsimport.Convert(in, awsimport.Options{Catalog: cat, AllowMissingPolicies: o.allowMissingPolicies})
	if err != nil {
		printProblems(e.stderr, err)
		return exitFailure
	}
	files, err := awsimport.Files(res.Set)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp import: %v\n", err)
		return exitFailure
	}
	if o.out != "" {
		if err := writePolicyDir(o.out, files); err != nil {
			fmt.Fprintf(e.stderr, "pdp import: %v\n", err)
			return exitFailure
		}
	}
	var plan *awsimport.Plan
	if o.addr != "" {
		if plan, err = applyImport(ctx, e, o, res); err != nil {
			printCallError(e.stderr, "import", err)
			printImportSummary(e.stderr, res, nil, o)
			return exitFailure
		}
	}
	printImportSummary(e.stderr, res, plan, o)
	return exitOK
}

// readImportInput reads every input file.
func readImportInput(o importOptions) (*awsimport.Input, error) {
	in := &awsimport.Input{}
	var probs awsimport.Problems
	collect := func(err error) {
		var ps awsimport.Problems
		switch {
		case err == nil:
		case errors.As(err, &ps):
			probs = append(probs, ps...)
		default:
			probs = append(probs, &awsimport.Problem{Msg: err.Error()})
		}
	}
	for _, name := range o.gaad {
		data, err := os.ReadFile(name)
		if err != nil {
			collect(err)
			continue
		}
		g, err := awsimport.ReadGAAD(name, data)
		collect(err)
		if g != nil {
			in.GAAD = append(in.GAAD, g)
		}
	}
	if o.iamCollect != "" {
		abs, err := filepath.Abs(o.iamCollect)
		collect(err)
		if err == nil {
			ic, err := awsimport.ReadIAMCollect(os.DirFS(abs), ".", o.iamCollect)
			collect(err)
			if ic != nil {
				in.GAAD = append(in.GAAD, ic.GAAD...)
				in.Organization = ic.Organization
			}
		}
	}
	outputs := func(name string) *awsimport.Outputs {
		abs, err := filepath.Abs(name)
		if err != nil {
			collect(err)
			return nil
		}
		out, err := awsimport.ReadOutputs(os.DirFS(filepath.Dir(abs)), filepath.Base(abs))
		collect(err)
		return out
	}
	if o.organization != "" {
		if out := outputs(o.organization); out != nil {
			org, err := awsimport.ReadOrganization(out)
			collect(err)
			in.Organization = org
		}
	}
	if o.pinpoint != "" {
		if out := outputs(o.pinpoint); out != nil {
			pp, err := awsimport.ReadPinpoint(out)
			collect(err)
			in.Pinpoint = pp
		}
	}
	if o.resourcePolicies != "" {
		if out := outputs(o.resourcePolicies); out != nil {
			rp, err := awsimport.ReadResourcePolicies(out)
			collect(err)
			in.ResourcePolicies = rp
		}
	}
	return in, probs.Err()
}

// writePolicyDir replaces what a previous import wrote in dir with files.
func writePolicyDir(dir string, files map[string][]byte) error {
	for _, name := range awsimport.KindFiles {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, awsimport.PoliciesDir)); err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// importKinds are the kinds an import reads from the server.
var importKinds = []pdpv1.EntityKind{
	pdpv1.EntityKind_ENTITY_KIND_ACCOUNT, pdpv1.EntityKind_ENTITY_KIND_SCP,
	pdpv1.EntityKind_ENTITY_KIND_MANAGED_POLICY, pdpv1.EntityKind_ENTITY_KIND_GROUP,
	pdpv1.EntityKind_ENTITY_KIND_USER, pdpv1.EntityKind_ENTITY_KIND_ROLE,
	pdpv1.EntityKind_ENTITY_KIND_RESOURCE,
}

// applyImport reads the server's model, and applies the difference as one
// revision, compare-and-swap against the revision it read.
func applyImport(ctx context.Context, e *env, o importOptions, res *awsimport.Result) (*awsimport.Plan, error) {
	if o.author != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-pdp-author", o.author)
	}
	conn, err := dial(o.addr, o.tls)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c := pdpv1.NewPolicyServiceClient(conn)
	current, rev, err := listModel(ctx, c, o.timeout)
	if err != nil {
		return nil, err
	}
	if o.expectRevision != 0 && o.expectRevision != rev {
		return nil, fmt.Errorf("the server is at revision %d, not %d: nothing applied", rev, o.expectRevision)
	}
	changes, err := admin.BundleChanges(res.Set)
	if err != nil {
		return nil, err
	}
	imported := make([]awsimport.Entry, 0, len(changes))
	for _, ch := range changes {
		imported = append(imported, awsimport.Entry{Kind: kindName(ch.GetKey().GetKind()), ID: ch.GetKey().GetId(),
			Document: []byte(ch.GetDocument())})
	}
	var scope *awsimport.PruneScope
	if o.prune {
		// An iam-collect tree speaks for the SCPs only when it holds an
		// organization, which always has at least FullAWSAccess.
		scps := o.organization != "" || (o.iamCollect != "" && len(res.Set.SCPs) > 0)
		scope = &awsimport.PruneScope{Accounts: res.Accounts, SCPs: scps}
	}
	plan := awsimport.Diff(imported, current, scope)
	if len(plan.Changes) == 0 {
		fmt.Fprintf(e.stdout, "unchanged at revision %d\n", rev)
		return plan, nil
	}
	req := &pdpv1.ApplyChangesRequest{ExpectRevision: rev, DryRun: o.dryRun, Message: o.message}
	for _, ch := range plan.Changes {
		kind, _ := kindArg(ch.Kind)
		pc := &pdpv1.Change{Op: pdpv1.ChangeOp_CHANGE_OP_PUT, Key: &pdpv1.EntityKey{Kind: kind, Id: ch.ID},
			Document: string(ch.Document)}
		if ch.Delete {
			pc.Op, pc.Document = pdpv1.ChangeOp_CHANGE_OP_DELETE, ""
		}
		req.Changes = append(req.Changes, pc)
	}
	cctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	resp, err := c.ApplyChanges(cctx, req)
	if err != nil {
		return nil, err
	}
	verb := "revision"
	if o.dryRun {
		verb = "valid at revision"
	}
	fmt.Fprintf(e.stdout, "%s %d\n", verb, resp.GetRevision())
	for _, pc := range req.Changes {
		fmt.Fprintln(e.stdout, "  "+changeLine(pc))
	}
	for _, w := range resp.GetWarnings() {
		fmt.Fprintf(e.stderr, "warning: %s\n", w.GetMessage())
	}
	return plan, nil
}

// listModel reads every entity of the server at one revision.
func listModel(ctx context.Context, c pdpv1.PolicyServiceClient, timeout time.Duration) ([]awsimport.Entry, int64, error) {
	var out []awsimport.Entry
	var rev int64
	for _, kind := range importKinds {
		token := ""
		for page := 0; ; page++ {
			if page > 1_000_000 {
				return nil, 0, errors.New("list entities: too many pages")
			}
			cctx, cancel := context.WithTimeout(ctx, timeout)
			resp, err := c.ListEntities(cctx, &pdpv1.ListEntitiesRequest{Kind: kind, Revision: rev, PageSize: 1000, PageToken: token})
			cancel()
			if err != nil {
				return nil, 0, err
			}
			rev = resp.GetRevision()
			for _, ent := range resp.GetEntities() {
				out = append(out, awsimport.Entry{Kind: kindName(kind), ID: ent.GetKey().GetId(), Document: []byte(ent.GetDocument())})
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
	}
	return out, rev, nil
}

// printProblems lists every problem of a refused import.
func printProblems(w io.Writer, err error) {
	var ps awsimport.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintf(w, "error: %v\n", p)
		}
		fmt.Fprintf(w, "pdp import: %d problems; nothing written or applied\n", len(ps))
		return
	}
	fmt.Fprintf(w, "error: %v\npdp import: nothing written or applied\n", err)
}

// printImportSummary writes the counts per kind, the missing policies and
// the warnings.
func printImportSummary(w io.Writer, res *awsimport.Result, plan *awsimport.Plan, o importOptions) {
	counts := map[string]int{"account": len(res.Set.Accounts), "scp": len(res.Set.SCPs),
		"managed_policy": len(res.Set.ManagedPolicies), "group": len(res.Set.Groups), "user": len(res.Set.Users),
		"role": len(res.Set.Roles), "resource": len(res.Set.Resources)}
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		line := fmt.Sprintf("%-15s imported %d", k, counts[k])
		if plan != nil {
			c := plan.Counts[k]
			if c == nil {
				c = &awsimport.Counts{}
			}
			line += fmt.Sprintf(", changed %d, unchanged %d, pruned %d", c.Changed, c.Unchanged, c.Pruned)
		}
		fmt.Fprintln(w, line)
	}
	for _, m := range res.Missing {
		fmt.Fprintf(w, "missing managed policy %s imported as not attached; attached by: %v\n", m.ARN, m.AttachedBy)
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	fmt.Fprintf(w, "%d of %d statements name no Pinpoint (mobiletargeting:) or sms-voice: action: kept, but they cannot affect a decision\n",
		res.NonPinpoint, res.Statements)
	if o.out != "" {
		fmt.Fprintf(w, "wrote %s\n", o.out)
	}
}
