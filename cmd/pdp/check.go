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
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// checkOptions are the flags of pdp check.
type checkOptions struct {
	addr            string
	principal       string
	action          string
	resource        string
	resourceAccount string
	context         map[string]*pdpv1.ContextValue
	sessionPolicies stringsFlag // file names
	sessionTags     tagFlag
	explain         bool
	minRevision     int64
	format          *enumFlag
	timeout         time.Duration
	tls             clientTLS
}

func checkCommand() command {
	return command{
		name:    "check",
		env:     clientEnv(map[string]string{"addr": "PDP_ADDR"}),
		summary: "ask a pdp server for one decision",
		doc: `pdp check sends one request to the Check method of a running pdp serve
and prints the decision (Allow, ExplicitDeny or ImplicitDeny) with the
policy revision it was made at. The server adds what it knows of the
principal and the resource (aws:PrincipalTag/..., aws:ResourceTag/...,
aws:CurrentTime, ...); give the rest of the request context with --context
and --context-list, for example --context aws:RequestedRegion=us-east-1.
A principal or resource the model does not hold is said so on its own
line ("note  principal not in the model ..."): the decision is then an
implicit deny unless a resource-based policy allows it.

--min-revision N waits (within --timeout) until the server has caught up
with revision N, the revision a write returned, so that the decision sees
that write. --format json prints the CheckResponse as protojson with a
fixed two-space indent.

The exit status is 0 when a decision was obtained, whatever it is, 1 when
the call failed (the server's field violations are listed), and 2 for bad
flags. Calls are plaintext gRPC unless a --tls flag is given.`,
		setup: func(fs *flag.FlagSet) runFunc {
			o := checkOptions{
				context:     make(map[string]*pdpv1.ContextValue),
				sessionTags: tagFlag{},
				format:      newEnumFlag("text", "text", "json"),
			}
			fs.StringVar(&o.addr, "addr", defaultAddr, "server `address` HOST:PORT (PDP_ADDR)")
			fs.StringVar(&o.principal, "principal", "", "`ARN` of the caller: IAM user, role, or STS assumed-role session (required)")
			fs.StringVar(&o.action, "action", "", "`action` as service:Action, e.g. mobiletargeting:GetSegment (required)")
			fs.StringVar(&o.resource, "resource", "", "`ARN` of the resource, or * (required)")
			fs.StringVar(&o.resourceAccount, "resource-account", "", "`account` owning the resource, when the ARN does not say")
			fs.Var(&contextFlag{ctx: o.context}, "context", "single-valued context key as `KEY=VALUE` (repeatable)")
			fs.Var(&contextFlag{ctx: o.context, multi: true}, "context-list",
				"multivalued context key as `KEY=V1,V2`; KEY= gives an empty list (repeatable)")
			fs.Var(&o.sessionPolicies, "session-policy", "IAM JSON session policy `file` of an assumed-role session (repeatable)")
			fs.Var(o.sessionTags, "session-tag", "session tag as `KEY=VALUE` (repeatable)")
			fs.BoolVar(&o.explain, "explain", false, "also show matched statements, verdicts and missing keys")
			fs.Int64Var(&o.minRevision, "min-revision", 0, "decide on a policy `revision` at least this recent, waiting for the server to catch up")
			fs.Var(o.format, "format", "output `format`: text or json (the CheckResponse as protojson)")
			fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "deadline of the call")
			o.tls.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) > 0 {
					return usageError(e, "check", "unexpected argument %q", args[0])
				}
				req, err := o.request()
				if err != nil {
					return usageError(e, "check", "%v", err)
				}
				return check(ctx, e, o, req)
			}
		},
	}
}

// request checks the flags and builds the CheckRequest, reading the
// session policy files. Its errors are usage errors.
func (o *checkOptions) request() (*pdpv1.CheckRequest, error) {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"--principal", o.principal}, {"--action", o.action}, {"--resource", o.resource},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("--timeout must be positive, got %v", o.timeout)
	}
	if o.minRevision < 0 {
		return nil, fmt.Errorf("--min-revision must not be negative, got %d", o.minRevision)
	}
	req := &pdpv1.CheckRequest{
		Principal: o.principal, Action: o.action, Resource: o.resource, ResourceAccount: o.resourceAccount,
		Context: o.context, SessionTags: o.sessionTags, Explain: o.explain, MinRevision: o.minRevision,
	}
	for _, name := range o.sessionPolicies {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--session-policy: %w", err)
		}
		req.SessionPolicies = append(req.SessionPolicies, string(data))
	}
	return req, nil
}

// check makes the call and prints its outcome.
func check(ctx context.Context, e *env, o checkOptions, req *pdpv1.CheckRequest) int {
	conn, err := dial(o.addr, o.tls)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp check: %v\n", err)
		return exitFailure
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	resp, err := pdpv1.NewAuthorizationServiceClient(conn).Check(ctx, req)
	if err != nil {
		printCallError(e.stderr, "check", err)
		return exitFailure
	}
	if _, ok := server.DecisionName(resp.GetDecision()); !ok {
		fmt.Fprintf(e.stderr, "pdp check: the server gave no decision (%s)\n", resp.GetDecision())
		return exitFailure
	}
	if o.format.value == "json" {
		err = writeCheckJSON(e.stdout, resp)
	} else {
		err = writeCheckText(e.stdout, resp)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp check: write result: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func writeCheckJSON(w io.Writer, resp *pdpv1.CheckResponse) error {
	out, err := stableJSON(resp)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// stableJSON marshals m as protojson with proto field names, re-indented by
// encoding/json: protojson varies its spacing from build to build on
// purpose, and output that scripts compare must not change.
func stableJSON(m proto.Message) ([]byte, error) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// writeCheckText writes the decision and revision on the first line, then
// the explanation, if any, one indented line per fact:
//
//	Allow (revision 1)
//	  identity  group:marketing:managed:SegmentReaders  Statement[0] (Sid "ReadSegments")  Allow
//	  scp[1]  scp:FullAWSAccess  Statement[0]  Allow
//	  verdict  identity  allowed
//	  missing key  aws:SecureTransport
//	  cross-account
//	  note  principal not in the model: ...
//
// Without an explanation, an unknown principal or resource still gets its
// note line: it is the likeliest cause of a surprising implicit deny.
func writeCheckText(w io.Writer, resp *pdpv1.CheckResponse) error {
	var b strings.Builder
	d, _ := server.DecisionName(resp.GetDecision())
	fmt.Fprintf(&b, "%s (revision %d)\n", d, resp.GetRevision())
	if ex := resp.GetExplanation(); ex != nil {
		writeExplanationText(&b, ex)
	} else {
		if resp.GetPrincipalStatus() == pdpv1.ModelStatus_MODEL_STATUS_UNKNOWN {
			b.WriteString("  note  principal not in the model\n")
		}
		if resp.GetResourceStatus() == pdpv1.ModelStatus_MODEL_STATUS_UNKNOWN {
			b.WriteString("  note  resource not in the model\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeExplanationText(b *strings.Builder, ex *pdpv1.Explanation) {
	for _, m := range ex.GetMatched() {
		stmt := fmt.Sprintf("Statement[%d]", m.GetIndex())
		if m.GetSid() != "" {
			stmt += fmt.Sprintf(" (Sid %q)", m.GetSid())
		}
		fmt.Fprintf(b, "  %s  %s  %s  %s\n", typeLabel(m.GetType(), m.GetLevel()), m.GetPolicy(), stmt, server.EffectName(m.GetEffect()))
	}
	for _, v := range ex.GetVerdicts() {
		var says string
		switch {
		case v.GetAllowed() && v.GetDenied():
			says = "allowed and denied"
		case v.GetDenied():
			says = "denied"
		case v.GetAllowed():
			says = "allowed"
		default:
			says = "not allowed"
		}
		fmt.Fprintf(b, "  verdict  %s  %s\n", typeLabel(v.GetType(), v.GetLevel()), says)
	}
	for _, k := range ex.GetMissingKeys() {
		fmt.Fprintf(b, "  missing key  %s\n", k)
	}
	if ex.GetCrossAccount() {
		b.WriteString("  cross-account\n")
	}
	for _, n := range ex.GetNotes() {
		fmt.Fprintf(b, "  note  %s\n", n)
	}
}

// typeLabel names a policy type, with the level for SCPs: "scp[1]".
func typeLabel(t pdpv1.PolicyType, level int32) string {
	if t == pdpv1.PolicyType_POLICY_TYPE_SCP {
		return fmt.Sprintf("scp[%d]", level)
	}
	return server.PolicyTypeName(t)
}

// contextFlag adds keys to a request context: single-valued from KEY=VALUE,
// or multivalued from KEY=V1,V2 when multi is set. The flags --context and
// --context-list share one map, so that a key is given once.
type contextFlag struct {
	ctx   map[string]*pdpv1.ContextValue
	multi bool
}

func (f *contextFlag) String() string { return "" }

func (f *contextFlag) Set(s string) error {
	key, val, err := splitKeyValue(s)
	if err != nil {
		return err
	}
	if _, dup := f.ctx[key]; dup {
		return fmt.Errorf("context key %q given twice", key)
	}
	if !f.multi {
		f.ctx[key] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: val}}
		return nil
	}
	values := []string{}
	if val != "" {
		values = strings.Split(val, ",")
	}
	f.ctx[key] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: values}}}
	return nil
}

// tagFlag collects KEY=VALUE pairs, each key once.
type tagFlag map[string]string

func (f tagFlag) String() string { return "" }

func (f tagFlag) Set(s string) error {
	key, val, err := splitKeyValue(s)
	if err != nil {
		return err
	}
	if _, dup := f[key]; dup {
		return fmt.Errorf("key %q given twice", key)
	}
	f[key] = val
	return nil
}

// splitKeyValue splits KEY=VALUE at the first "="; the key may not be empty.
func splitKeyValue(s string) (key, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return "", "", errors.New("want KEY=VALUE")
	}
	return key, value, nil
}

// stringsFlag collects the values of a repeatable flag.
type stringsFlag []string

func (f *stringsFlag) String() string { return strings.Join(*f, ", ") }

func (f *stringsFlag) Set(s string) error {
	*f = append(*f, s)
	return nil
}
