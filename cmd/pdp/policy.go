package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/admin"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// policyOptions are the flags of pdp policy, shared by its subcommands.
type policyOptions struct {
	addr           string
	timeout        time.Duration
	file           string
	dryRun         bool
	expectRevision int64
	revision       int64
	message        string
	from, to       int64
	author         string
	tls            clientTLS
}

func policyCommand() command {
	return command{
		name:    "policy",
		env:     clientEnv(map[string]string{"addr": "PDP_ADDR", "author": "PDP_AUTHOR"}),
		args:    "SUBCOMMAND [ARG…]",
		summary: "administer a server's policy store: apply, import, delete, get, list, history, diff, rollback, export, watch",
		doc: `Subcommands (flags may come before or after the subcommand and its
arguments):
  apply -f DIR|FILE     put every entity of a policy directory or bundle file
                        as one revision (--dry-run validates only and
                        prints the access answers the change would change;
                        --expect-revision N makes it a compare-and-swap); the
                        files are checked locally first, each finding with
                        its file, entity, field and line:column
  import -f FILE        make the whole model equal to a bundle file
  delete KIND ID        delete one entity
  get KIND ID           print one entity's document (--revision N for the past)
  list KIND             list the entities of a kind
  history [KIND ID]     revisions of one entity, or those after --from up to
                        --to; a revision that changed many entities lists
                        the first few and counts the rest
  diff FROM [TO]        changes between two revisions (TO defaults to current)
  rollback REV          make the model what it was at REV, as a new revision
  export                print the whole model as one bundle (--revision N)
  watch                 stream changes, one line per revision: with --from N,
                        the revisions after N (N itself is not repeated)
KIND is account, scp, managed_policy, user, group, role or resource.`,
		setup: func(fs *flag.FlagSet) runFunc {
			var o policyOptions
			fs.StringVar(&o.addr, "addr", defaultAddr, "server `address` (PDP_ADDR)")
			fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "deadline of each call (not of watch)")
			fs.StringVar(&o.file, "f", "", "policy `directory or bundle file` for apply and import")
			fs.BoolVar(&o.dryRun, "dry-run", false, "validate only; write nothing")
			fs.Int64Var(&o.expectRevision, "expect-revision", 0, "apply only if the store is at this `revision`")
			fs.Int64Var(&o.revision, "revision", 0, "read at this `revision` (0: current)")
			fs.StringVar(&o.message, "m", "", "`message` recorded in the history")
			fs.Int64Var(&o.from, "from", 0, "history and watch start after this `revision` (exclusive)")
			fs.Int64Var(&o.to, "to", 0, "last `revision` for history (0: current)")
			fs.StringVar(&o.author, "author", "", "`name` recorded as the author of changes; default $USER (PDP_AUTHOR)")
			o.tls.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) == 0 {
					return usageError(e, "policy", "missing subcommand")
				}
				// Flags may also follow the subcommand and its arguments:
				// pdp policy apply -f DIR --dry-run.
				sub := args[0]
				rest, err := parseInterleaved(fs, args[1:])
				if err != nil {
					return usageError(e, "policy", "%v", err)
				}
				if o.timeout <= 0 {
					return usageError(e, "policy", "--timeout must be positive")
				}
				if !flagGiven(fs, "author") {
					o.author, _ = e.getenv("USER")
				}
				conn, err := dial(o.addr, o.tls)
				if err != nil {
					fmt.Fprintf(e.stderr, "pdp policy: %v\n", err)
					return exitFailure
				}
				defer conn.Close()
				p := &policyClient{o: o, e: e, c: pdpv1.NewPolicyServiceClient(conn)}
				return p.run(ctx, sub, rest)
			}
		},
	}
}

type policyClient struct {
	o policyOptions
	e *env
	c pdpv1.PolicyServiceClient
}

func (p *policyClient) run(ctx context.Context, sub string, args []string) int {
	if p.o.author != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-pdp-author", p.o.author)
	}
	var err error
	switch sub {
	case "apply", "import":
		if p.o.file == "" || len(args) > 0 {
			return usageError(p.e, "policy", "%s takes -f DIR|FILE and no arguments", sub)
		}
		files := readBundleFiles(p.o.file)
		set, lerr := loadPolicyFiles(p.o.file)
		var probs entity.Problems
		switch {
		case errors.As(lerr, &probs):
			p.printFindings(sub, "in "+p.o.file, files.placeProblems(probs))
			return exitUsage
		case lerr != nil:
			return usageError(p.e, "policy", "%s: %v", sub, lerr)
		}
		if found := localFindings(set, files); len(found) > 0 {
			p.printFindings(sub, "in "+p.o.file, found)
			return exitFailure
		}
		err = p.applySet(ctx, set, sub == "import")
		if found := serverFindings(err, files); len(found) > 0 {
			p.printFindings(sub, "from the server ("+status.Code(err).String()+")", found)
			return exitFailure
		}
	case "delete":
		key, kerr := entityKeyArgs(args)
		if kerr != nil {
			return usageError(p.e, "policy", "delete: %v", kerr)
		}
		err = p.call(ctx, func(ctx context.Context) error {
			resp, err := p.c.ApplyChanges(ctx, &pdpv1.ApplyChangesRequest{
				Changes:        []*pdpv1.Change{{Op: pdpv1.ChangeOp_CHANGE_OP_DELETE, Key: key}},
				ExpectRevision: p.o.expectRevision, DryRun: p.o.dryRun, Message: p.o.message,
				MaxImpactChanges: dryRunImpactLines})
			if err == nil {
				p.printApplied(resp.GetRevision(), resp.GetWarnings(), nil)
				p.printImpact(resp.GetImpact())
			}
			return err
		})
	case "get":
		key, kerr := entityKeyArgs(args)
		if kerr != nil {
			return usageError(p.e, "policy", "get: %v", kerr)
		}
		err = p.call(ctx, func(ctx context.Context) error {
			resp, err := p.c.GetEntity(ctx, &pdpv1.GetEntityRequest{Key: key, Revision: p.o.revision})
			if err == nil {
				p.printJSON(resp.GetEntity().GetDocument())
			}
			return err
		})
	case "list":
		if len(args) != 1 {
			return usageError(p.e, "policy", "list takes one KIND")
		}
		kind, ok := kindArg(args[0])
		if !ok {
			return usageError(p.e, "policy", "unknown kind %q", args[0])
		}
		err = p.list(ctx, kind)
	case "history":
		var key *pdpv1.EntityKey
		if len(args) > 0 {
			var kerr error
			if key, kerr = entityKeyArgs(args); kerr != nil {
				return usageError(p.e, "policy", "history: %v", kerr)
			}
		}
		err = p.history(ctx, key)
	case "diff":
		if len(args) < 1 || len(args) > 2 {
			return usageError(p.e, "policy", "diff takes FROM [TO]")
		}
		revs := make([]int64, 2)
		for i, a := range args {
			r, perr := strconv.ParseInt(a, 10, 64)
			if perr != nil {
				return usageError(p.e, "policy", "diff: bad revision %q", a)
			}
			revs[i] = r
		}
		err = p.diff(ctx, revs[0], revs[1])
	case "rollback":
		if len(args) != 1 {
			return usageError(p.e, "policy", "rollback takes one REVISION")
		}
		if p.o.dryRun {
			// Rollback has no dry run: "pdp policy diff" shows what it would do.
			return usageError(p.e, "policy", "rollback has no --dry-run; diff shows its changes")
		}
		rev, perr := strconv.ParseInt(args[0], 10, 64)
		if perr != nil {
			return usageError(p.e, "policy", "rollback: bad revision %q", args[0])
		}
		err = p.call(ctx, func(ctx context.Context) error {
			resp, err := p.c.Rollback(ctx, &pdpv1.RollbackRequest{ToRevision: rev, ExpectRevision: p.o.expectRevision, Message: p.o.message})
			if err == nil {
				p.printApplied(resp.GetRevision(), resp.GetWarnings(), nil)
			}
			return err
		})
	case "export":
		err = p.call(ctx, func(ctx context.Context) error {
			resp, err := p.c.Export(ctx, &pdpv1.ExportRequest{Revision: p.o.revision})
			if err == nil {
				p.printJSON(resp.GetBundle())
			}
			return err
		})
	case "watch":
		err = p.watch(ctx)
	default:
		return usageError(p.e, "policy", "unknown subcommand %q", sub)
	}
	if err != nil {
		printCallError(p.e.stderr, "policy "+sub, err)
		return exitFailure
	}
	return exitOK
}

// call runs one unary call within the timeout.
func (p *policyClient) call(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, p.o.timeout)
	defer cancel()
	return f(ctx)
}

// applySet puts every entity of a policy directory or bundle file, or
// (import) replaces the whole model with it.
func (p *policyClient) applySet(ctx context.Context, set *entity.Set, replace bool) error {
	if replace {
		bundle, err := set.Bundle()
		if err != nil {
			return err
		}
		return p.call(ctx, func(ctx context.Context) error {
			resp, err := p.c.Import(ctx, &pdpv1.ImportRequest{Bundle: string(bundle), ExpectRevision: p.o.expectRevision,
				DryRun: p.o.dryRun, Message: p.o.message})
			if err == nil {
				p.printApplied(resp.GetRevision(), resp.GetWarnings(), resp.GetChanges())
			}
			return err
		})
	}
	changes, err := admin.BundleChanges(set)
	if err != nil {
		return err
	}
	return p.call(ctx, func(ctx context.Context) error {
		resp, err := p.c.ApplyChanges(ctx, &pdpv1.ApplyChangesRequest{Changes: changes, ExpectRevision: p.o.expectRevision,
			DryRun: p.o.dryRun, Message: p.o.message, MaxImpactChanges: dryRunImpactLines})
		if err == nil {
			p.printApplied(resp.GetRevision(), resp.GetWarnings(), nil)
			p.printImpact(resp.GetImpact())
		}
		return err
	})
}

// loadPolicyFiles reads a policy directory or one bundle file.
func loadPolicyFiles(path string) (*entity.Set, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return entity.LoadDir(os.DirFS(path), ".")
	}
	return entity.LoadBundle(os.DirFS(filepath.Dir(path)), filepath.Base(path))
}

func (p *policyClient) printApplied(rev int64, warnings []*pdpv1.Finding, changes []*pdpv1.Change) {
	verb := "revision"
	if p.o.dryRun {
		verb = "valid at revision"
	}
	fmt.Fprintf(p.e.stdout, "%s %d\n", verb, rev)
	for _, c := range changes {
		fmt.Fprintln(p.e.stdout, "  "+changeLine(c))
	}
	for _, w := range warnings {
		fmt.Fprintf(p.e.stderr, "warning: %s\n", w.GetMessage())
	}
}

// printImpact prints the impact a dry run reports, if any.
func (p *policyClient) printImpact(im *pdpv1.ImpactResponse) {
	if im != nil {
		fmt.Fprint(p.e.stdout, dryRunImpactText(im, dryRunImpactLines))
	}
}

func (p *policyClient) list(ctx context.Context, kind pdpv1.EntityKind) error {
	token := ""
	for {
		var resp *pdpv1.ListEntitiesResponse
		err := p.call(ctx, func(ctx context.Context) error {
			var err error
			resp, err = p.c.ListEntities(ctx, &pdpv1.ListEntitiesRequest{Kind: kind, Revision: p.o.revision, PageToken: token})
			return err
		})
		if err != nil {
			return err
		}
		for _, ent := range resp.GetEntities() {
			fmt.Fprintf(p.e.stdout, "%s\t(revision %d)\n", ent.GetKey().GetId(), ent.GetModRevision())
		}
		if token = resp.GetNextPageToken(); token == "" {
			return nil
		}
		p.o.revision = resp.GetRevision() // every page at the first page's revision
	}
}

func (p *policyClient) history(ctx context.Context, key *pdpv1.EntityKey) error {
	req := &pdpv1.GetHistoryRequest{Key: key, FromRevision: p.o.from, ToRevision: p.o.to}
	return p.call(ctx, func(ctx context.Context) error {
		resp, err := p.c.GetHistory(ctx, req)
		if err != nil {
			return err
		}
		for _, r := range resp.GetRevisions() {
			fmt.Fprintln(p.e.stdout, revisionLine(r))
		}
		return nil
	})
}

func (p *policyClient) diff(ctx context.Context, from, to int64) error {
	return p.call(ctx, func(ctx context.Context) error {
		resp, err := p.c.Diff(ctx, &pdpv1.DiffRequest{FromRevision: from, ToRevision: to})
		if err != nil {
			return err
		}
		fmt.Fprintf(p.e.stdout, "from revision %d to %d\n", resp.GetFromRevision(), resp.GetToRevision())
		for _, c := range resp.GetChanges() {
			fmt.Fprintln(p.e.stdout, "  "+changeLine(c))
		}
		return nil
	})
}

func (p *policyClient) watch(ctx context.Context) error {
	stream, err := p.c.Watch(ctx, &pdpv1.WatchRequest{FromRevision: p.o.from})
	if err != nil {
		return err
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if ev.GetProgress() {
			continue
		}
		fmt.Fprintln(p.e.stdout, revisionLine(ev.GetInfo()))
		for _, c := range ev.GetChanges() {
			fmt.Fprintln(p.e.stdout, "  "+changeLine(c))
		}
	}
}

// printJSON prints a document indented, its keys in their order: an
// exported bundle imported back is the same model, its policies unchanged.
func (p *policyClient) printJSON(doc string) {
	var out bytes.Buffer
	if json.Indent(&out, []byte(doc), "", "  ") != nil {
		fmt.Fprintln(p.e.stdout, doc)
		return
	}
	fmt.Fprintln(p.e.stdout, out.String())
}

// revisionLineKeys is how many changed entities a history or watch line
// names; a seed or import changes every entity, and one line should stay
// readable.
const revisionLineKeys = 4

// revisionLine is one line of history or watch: revision, time, author,
// message and the entities changed, the first few of them with a count of
// the rest ("pdp policy diff" lists them all).
func revisionLine(r *pdpv1.RevisionInfo) string {
	all := r.GetKeys()
	n := min(len(all), revisionLineKeys)
	keys := make([]string, n, n+1)
	for i, k := range all[:n] {
		keys[i] = kindName(k.GetKind()) + "/" + k.GetId()
	}
	if rest := len(all) - n; rest > 0 {
		keys = append(keys, fmt.Sprintf("(and %d more)", rest))
	}
	when := ""
	if r.GetTime() != nil {
		when = r.GetTime().AsTime().UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%d\t%s\t%s\t%s\t%s", r.GetRevision(), when, r.GetAuthor(), r.GetMessage(), strings.Join(keys, " "))
}

func changeLine(c *pdpv1.Change) string {
	op := "put   "
	if c.GetOp() == pdpv1.ChangeOp_CHANGE_OP_DELETE {
		op = "delete"
	}
	return op + " " + kindName(c.GetKey().GetKind()) + "/" + c.GetKey().GetId()
}

func kindName(k pdpv1.EntityKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "ENTITY_KIND_"))
}

func kindArg(s string) (pdpv1.EntityKind, bool) {
	v, ok := pdpv1.EntityKind_value["ENTITY_KIND_"+strings.ToUpper(strings.ReplaceAll(s, "-", "_"))]
	if !ok || v == 0 {
		return 0, false
	}
	return pdpv1.EntityKind(v), true
}

func entityKeyArgs(args []string) (*pdpv1.EntityKey, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("want KIND ID")
	}
	kind, ok := kindArg(args[0])
	if !ok {
		return nil, fmt.Errorf("unknown kind %q (account, scp, managed_policy, user, group, role, resource)", args[0])
	}
	return &pdpv1.EntityKey{Kind: kind, Id: args[1]}, nil
}

// parseInterleaved parses flags that may stand between positional
// arguments, and returns the positional ones in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// printFindings writes a header line, then each finding on a line of its
// own, once.
func (p *policyClient) printFindings(sub, where string, found []finding) {
	var b strings.Builder
	noun := "findings"
	if len(found) == 1 {
		noun = "finding"
	}
	fmt.Fprintf(&b, "pdp policy %s: %d %s %s:\n", sub, len(found), noun, where)
	for _, f := range found {
		b.WriteString(f.String() + "\n")
	}
	io.WriteString(p.e.stderr, b.String())
}

// localFindings validates the policy documents of set before anything is
// sent, so that their problems are reported at their line and column in
// the files. Problems of references between entities are left to the
// server, which validates the change against the whole model it would
// produce: a bundle of changes refers to entities it does not hold.
func localFindings(set *entity.Set, files *bundleFiles) []finding {
	cat, err := catalog.Load()
	if err != nil {
		return nil // the server validates all the same
	}
	_, verr := set.Validate(cat)
	var probs entity.Problems
	if !errors.As(verr, &probs) {
		return nil
	}
	var docProbs entity.Problems
	for _, pr := range probs {
		var pe *engine.PolicyError
		if errors.As(pr, &pe) {
			docProbs = append(docProbs, pr)
		}
	}
	return files.placeProblems(docProbs)
}

// serverFindings places the field violations of a refused write in the
// files they come from; nil when err carries none.
func serverFindings(err error, files *bundleFiles) []finding {
	if err == nil {
		return nil
	}
	vs := fieldViolations(status.Convert(err))
	out := make([]finding, 0, len(vs))
	for _, v := range vs {
		out = append(out, files.placeField(v.GetField(), v.GetDescription()))
	}
	return out
}
