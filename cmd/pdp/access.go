package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// accessOptions are the flags the access questions share: where the model
// is (a server, or a policy directory loaded in-process), the keys of the
// request to fix, and the output.
type accessOptions struct {
	addr     string
	policies string
	context  map[string]*pdpv1.ContextValue
	all      bool
	format   *enumFlag
	timeout  time.Duration
	tls      clientTLS
}

func (o *accessOptions) register(fs *flag.FlagSet) {
	o.context = make(map[string]*pdpv1.ContextValue)
	o.format = newEnumFlag("text", "text", "json")
	fs.StringVar(&o.addr, "addr", "", "server `address` HOST:PORT (PDP_ADDR); give it or --policies")
	fs.StringVar(&o.policies, "policies", "", "policy `directory` to load and answer on in-process, instead of a server")
	fs.Var(&contextFlag{ctx: o.context}, "context", "fix a single-valued context key as `KEY=VALUE` (repeatable)")
	fs.Var(&contextFlag{ctx: o.context, multi: true}, "context-list", "fix a multivalued context key as `KEY=V1,V2` (repeatable)")
	fs.Var(absentFlag(o.context), "absent", "fix context `KEY` as absent from the request (repeatable)")
	fs.BoolVar(&o.all, "all", false, "list denied answers too")
	fs.Var(o.format, "format", "output `format`: text or json (the response as protojson)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "deadline of the question")
	o.tls.register(fs)
}

// absentFlag fixes keys as absent: a ContextValue with no value.
type absentFlag map[string]*pdpv1.ContextValue

func (f absentFlag) String() string { return "" }

func (f absentFlag) Set(k string) error {
	if k == "" {
		return fmt.Errorf("empty key")
	}
	if _, dup := f[k]; dup {
		return fmt.Errorf("context key %q given twice", k)
	}
	f[k] = &pdpv1.ContextValue{}
	return nil
}

// check checks the flags that say where the model is.
func (o *accessOptions) check() error {
	switch {
	case o.addr == "" && o.policies == "":
		return fmt.Errorf("give --addr HOST:PORT (a server) or --policies DIR (a policy directory)")
	case o.addr != "" && o.policies != "":
		return fmt.Errorf("give --addr or --policies, not both")
	case o.timeout <= 0:
		return fmt.Errorf("--timeout must be positive, got %v", o.timeout)
	}
	return nil
}

// accessClient is what the access commands call: a server's AccessService
// or one in-process over a policy directory.
type accessClient interface {
	WhoCan(context.Context, *pdpv1.WhoCanRequest, ...grpc.CallOption) (*pdpv1.WhoCanResponse, error)
	WhatCan(context.Context, *pdpv1.WhatCanRequest, ...grpc.CallOption) (*pdpv1.WhatCanResponse, error)
	WhichResources(context.Context, *pdpv1.WhichResourcesRequest, ...grpc.CallOption) (*pdpv1.WhichResourcesResponse, error)
	Impact(context.Context, *pdpv1.ImpactRequest, ...grpc.CallOption) (*pdpv1.ImpactResponse, error)
}

// client connects to the server, or loads the policy directory.
func (o *accessOptions) client(log *slog.Logger) (accessClient, func(), error) {
	if o.addr != "" {
		conn, err := dial(o.addr, o.tls)
		if err != nil {
			return nil, nil, err
		}
		return pdpv1.NewAccessServiceClient(conn), func() { conn.Close() }, nil
	}
	cat, err := catalog.Load()
	if err != nil {
		return nil, nil, err
	}
	res, err := loadResolved(cat, o.policies)
	if err != nil {
		return nil, nil, err
	}
	snap, err := snapshot.Compile(cat, res, 1, nil)
	if err != nil {
		return nil, nil, err
	}
	srv := server.New(server.Config{}, cat, log)
	srv.Activate(snap)
	return localAccess{server.NewAccess(srv, nil)}, func() {}, nil
}

// loadResolved loads and resolves a policy directory.
func loadResolved(cat *catalog.Catalog, dir string) (*entity.Resolved, error) {
	set, err := entity.LoadDir(os.DirFS(dir), ".")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	res, err := set.Resolve(cat)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return res, nil
}

// localAccess adapts the in-process service to the client's signatures.
type localAccess struct{ a *server.Access }

func (l localAccess) WhoCan(ctx context.Context, r *pdpv1.WhoCanRequest, _ ...grpc.CallOption) (*pdpv1.WhoCanResponse, error) {
	return l.a.WhoCan(ctx, r)
}

func (l localAccess) WhatCan(ctx context.Context, r *pdpv1.WhatCanRequest, _ ...grpc.CallOption) (*pdpv1.WhatCanResponse, error) {
	return l.a.WhatCan(ctx, r)
}

func (l localAccess) WhichResources(ctx context.Context, r *pdpv1.WhichResourcesRequest, _ ...grpc.CallOption) (*pdpv1.WhichResourcesResponse, error) {
	return l.a.WhichResources(ctx, r)
}

func (l localAccess) Impact(ctx context.Context, r *pdpv1.ImpactRequest, _ ...grpc.CallOption) (*pdpv1.ImpactResponse, error) {
	return l.a.Impact(ctx, r)
}

// maxAccessPages bounds the pages one command fetches.
const maxAccessPages = 1000

// writeProtoJSON writes a response as protojson.
func writeProtoJSON(w io.Writer, m proto.Message) error {
	out, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = w.Write(append(out, '\n'))
	return err
}

// accessName is the answer's name as printed: the enum without its prefix.
func accessName(a pdpv1.Access) string {
	return strings.TrimPrefix(a.String(), "ACCESS_")
}

// writeAnswer writes an answer's verdict and subject on one line, then
// what decides it, indented:
//
//	CONDITIONAL    arn:aws:iam::111122223333:role/service/sms-sender
//	  when IpAddress aws:SourceIp 203.0.113.0/24, 2001:db8::/32
//	  allowed e.g. with aws:SourceIp=203.0.113.0
//	  denied e.g. with aws:SourceIp absent
//	  identity managed:SmsSenders Statement[0] (Sid "SendFromOfficeNetwork") Allow, if its conditions hold
func writeAnswer(b *strings.Builder, subject string, a *pdpv1.AccessAnswer) {
	fmt.Fprintf(b, "%-14s %s\n", accessName(a.GetAccess()), subject)
	for _, c := range a.GetConditions() {
		fmt.Fprintf(b, "  when %s %s %s\n", c.GetOperator(), c.GetKey(), strings.Join(c.GetValues(), ", "))
	}
	if w := a.GetAllowedWhen(); len(w) > 0 {
		fmt.Fprintf(b, "  allowed e.g. with %s\n", contextText(w))
	}
	if w := a.GetDeniedWhen(); len(w) > 0 {
		fmt.Fprintf(b, "  denied e.g. with %s\n", contextText(w))
	}
	for _, s := range a.GetStatements() {
		// An SCP level that allows outright is the usual case; the JSON
		// output keeps it.
		if s.GetCertain() && s.GetPolicyType() == "scp" && s.GetEffect() == "Allow" {
			continue
		}
		fmt.Fprintf(b, "  %s %s Statement[%d]", statementType(s), s.GetPolicyId(), s.GetIndex())
		if s.GetSid() != "" {
			fmt.Fprintf(b, " (Sid %q)", s.GetSid())
		}
		fmt.Fprintf(b, " %s", s.GetEffect())
		if !s.GetCertain() {
			b.WriteString(", if its conditions hold")
		}
		b.WriteByte('\n')
	}
}

func statementType(s *pdpv1.DecidingStatement) string {
	if s.GetPolicyType() == "scp" {
		return fmt.Sprintf("scp[%d]", s.GetLevel())
	}
	return s.GetPolicyType()
}

// contextText writes context values as KEY=VALUE, KEY=[V1,V2] or KEY
// absent, sorted by key.
func contextText(m map[string]*pdpv1.ContextValue) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		switch v := m[k].GetKind().(type) {
		case *pdpv1.ContextValue_StringValue:
			parts[i] = k + "=" + v.StringValue
		case *pdpv1.ContextValue_ListValue:
			parts[i] = k + "=[" + strings.Join(v.ListValue.GetValues(), ",") + "]"
		default:
			parts[i] = k + " absent"
		}
	}
	return strings.Join(parts, ", ")
}

// writeScopes writes type scopes, one block per action and type.
func writeScopes(b *strings.Builder, scopes []*pdpv1.TypeScope) {
	for _, ts := range scopes {
		if ts.GetResourceType() == "" {
			fmt.Fprintf(b, "%s on *\n", ts.GetAction())
		} else {
			fmt.Fprintf(b, "%s on %s (%s; %d listed)\n", ts.GetAction(), ts.GetResourceType(), ts.GetArnFormat(), ts.GetListed())
		}
		for _, s := range ts.GetAllow() {
			writeScope(b, "allow", s)
		}
		for _, s := range ts.GetDeny() {
			writeScope(b, "deny", s)
		}
	}
}

func writeScope(b *strings.Builder, what string, s *pdpv1.ResourceScope) {
	pat := s.GetPattern()
	if s.GetNotResource() {
		pat = "everything but " + pat
	}
	fmt.Fprintf(b, "  %s %s  (%s Statement[%d])", what, pat, s.GetPolicyId(), s.GetIndex())
	for _, c := range s.GetConditions() {
		fmt.Fprintf(b, " if %s %s %s", c.GetOperator(), c.GetKey(), strings.Join(c.GetValues(), ", "))
	}
	b.WriteByte('\n')
}
