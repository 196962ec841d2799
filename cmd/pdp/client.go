package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/tlsconf"
	"github.com/pdp-dev/pdp/pkg/conformance"
)

// defaultAddr is the server address the client commands use unless told.
const defaultAddr = "127.0.0.1:8181"

// clientTLS holds the TLS flags of the client commands; the zero value
// dials in plaintext.
type clientTLS struct {
	on                        bool
	ca, cert, key, serverName string
	tokenFile                 string // bearer token sent with every call
}

// clientEnv is the environment variable of each flag that register
// defines; client commands add their own (PDP_ADDR). The client
// certificate has its own names, apart from pdp serve's PDP_TLS_CERT.
func clientEnv(more map[string]string) envNames {
	vars := map[string]string{
		"tls": "PDP_TLS", "tls-ca": "PDP_TLS_CA", "tls-cert": "PDP_TLS_CLIENT_CERT", "tls-key": "PDP_TLS_CLIENT_KEY",
		"tls-server-name": "PDP_TLS_SERVER_NAME", "token-file": "PDP_TOKEN_FILE",
	}
	for k, v := range more {
		vars[k] = v
	}
	return theseFlags(vars)
}

// register defines the TLS flags on fs.
func (t *clientTLS) register(fs *flag.FlagSet) {
	fs.BoolVar(&t.on, "tls", false,
		"call over TLS, checking the server's certificate against the system's roots unless --tls-ca; implied by the other --tls flags (PDP_TLS)")
	fs.StringVar(&t.ca, "tls-ca", "", "PEM `file` of the CAs that the server's certificate must chain to (PDP_TLS_CA)")
	fs.StringVar(&t.cert, "tls-cert", "",
		"PEM client certificate `file`, for a server that verifies clients (PDP_TLS_CLIENT_CERT)")
	fs.StringVar(&t.key, "tls-key", "", "PEM private key `file` of --tls-cert (PDP_TLS_CLIENT_KEY)")
	fs.StringVar(&t.serverName, "tls-server-name", "",
		"`name` that the server's certificate must hold; default the host of the address (PDP_TLS_SERVER_NAME)")
	fs.StringVar(&t.tokenFile, "token-file", "",
		"`file` holding a bearer token to send as \"authorization: Bearer TOKEN\"; never sent in plaintext beyond loopback (PDP_TOKEN_FILE)")
}

func (t clientTLS) enabled() bool {
	return t.on || t.ca != "" || t.cert != "" || t.key != "" || t.serverName != ""
}

// dial returns a client connection to a pdp server at addr ("HOST:PORT").
// It connects lazily, on the first call, so a server that is down shows as
// an UNAVAILABLE call error, and so does a TLS handshake that fails. Calls
// travel in plaintext unless t enables TLS.
func dial(addr string, t clientTLS) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if t.enabled() {
		cfg, err := tlsconf.NewClient(tlsconf.ClientConfig{CAFile: t.ca, CertFile: t.cert, KeyFile: t.key, ServerName: t.serverName})
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(cfg)
	}
	// The CLI reads whatever its server answers (a policy export is the
	// whole model), so it lifts gRPC's default receive limit of 4 MiB.
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32))}, hintInterceptors(addr, t)...)
	if t.tokenFile != "" {
		tok, err := os.ReadFile(t.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("token: %w", err)
		}
		// Over plaintext, gRPC refuses to send it unless addr is loopback.
		opts = append(opts, grpc.WithPerRPCCredentials(bearerToken{token: strings.TrimSpace(string(tok)),
			secure: !auth.IsLoopback(addr)}))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %q: %w", addr, err)
	}
	return conn, nil
}

// fieldViolations returns the google.rpc.BadRequest field violations that
// a call error carries, if any.
func fieldViolations(st *status.Status) []*errdetails.BadRequest_FieldViolation {
	var out []*errdetails.BadRequest_FieldViolation
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			out = append(out, br.GetFieldViolations()...)
		}
	}
	return out
}

// printCallError writes a failed call as "pdp CMD: CODE: MESSAGE"; a call
// refused with field violations as "pdp CMD: CODE: N findings:" and each
// violation once, on its own line, indented (the message only joins them).
func printCallError(w io.Writer, cmd string, err error) {
	st := status.Convert(err)
	var b strings.Builder
	vs := fieldViolations(st)
	switch len(vs) {
	case 0:
		fmt.Fprintf(&b, "pdp %s: %s: %s\n", cmd, st.Code(), st.Message())
	case 1:
		// The message joins the violations: each is printed once, below.
		fmt.Fprintf(&b, "pdp %s: %s: 1 finding:\n", cmd, st.Code())
	default:
		fmt.Fprintf(&b, "pdp %s: %s: %d findings:\n", cmd, st.Code(), len(vs))
	}
	for _, v := range vs {
		fmt.Fprintf(&b, "  %s: %s\n", v.GetField(), v.GetDescription())
	}
	io.WriteString(w, b.String())
}

// callErrorText describes a failed call on one line. A rejected request
// (INVALID_ARGUMENT) reads like a local error: the message, then the field
// violations it does not already say; any other failure is prefixed with
// its code, so that UNAVAILABLE or DEADLINE_EXCEEDED is not taken for a
// problem with the input.
func callErrorText(err error) string {
	st := status.Convert(err)
	msg := st.Message()
	var extra []string
	for _, v := range fieldViolations(st) {
		if !strings.Contains(msg, v.GetDescription()) {
			extra = append(extra, v.GetDescription())
		}
	}
	if len(extra) > 0 {
		msg += ": " + strings.Join(extra, "; ")
	}
	if st.Code() != codes.InvalidArgument {
		msg = st.Code().String() + ": " + msg
	}
	return msg
}

// remoteDecider decides cases through the Simulate method of a server, each
// call within timeout.
func remoteDecider(client pdpv1.AuthorizationServiceClient, timeout time.Duration) decider {
	return func(ctx context.Context, c *conformance.Case, explain bool) (string, *explanationJSON, error) {
		req, err := simulateRequest(c, explain)
		if err != nil {
			return "", nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		resp, err := client.Simulate(ctx, req)
		if err != nil {
			return "", nil, errors.New(callErrorText(err))
		}
		d, ok := server.DecisionName(resp.GetDecision())
		if !ok {
			return "", nil, fmt.Errorf("the server gave no decision (%s)", d)
		}
		if !explain {
			return d, nil, nil
		}
		return d, explanationFromProto(resp.GetExplanation()), nil
	}
}

// simulateRequest turns a case into a SimulateRequest: every policy as the
// JSON text the case holds (a null resource policy or boundary is none),
// and the context with strings as single values and lists as multivalued
// keys, as conformance.Case.Compile reads them.
func simulateRequest(c *conformance.Case, explain bool) (*pdpv1.SimulateRequest, error) {
	docs := c.Documents()
	req := &pdpv1.SimulateRequest{
		IdentityPolicies:    texts(docs.Identity),
		ResourcePolicy:      string(docs.Resource),
		PermissionsBoundary: string(docs.Boundary),
		SessionPolicies:     texts(docs.Session),
		Scps:                texts(docs.SCPs),
		Principal:           c.Request.Principal,
		Action:              c.Request.Action,
		Resource:            c.Request.Resource,
		ResourceAccount:     c.Request.ResourceAccount,
		Context:             make(map[string]*pdpv1.ContextValue, len(c.Request.Context)),
		Explain:             explain,
	}
	for k, raw := range c.Request.Context {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			req.Context[k] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: s}}
			continue
		}
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("context key %q: want a string or a list of strings, got %s", k, raw)
		}
		req.Context[k] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: list}}}
	}
	return req, nil
}

func texts(docs [][]byte) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = string(d)
	}
	return out
}

// explanationFromProto gives a server's explanation the shape of a local
// one: the same type and effect names, and empty lists rather than none.
func explanationFromProto(ex *pdpv1.Explanation) *explanationJSON {
	out := &explanationJSON{
		Matched:      make([]matchedJSON, 0, len(ex.GetMatched())),
		Verdicts:     make([]verdictJSON, 0, len(ex.GetVerdicts())),
		MissingKeys:  append([]string{}, ex.GetMissingKeys()...),
		CrossAccount: ex.GetCrossAccount(),
	}
	for _, m := range ex.GetMatched() {
		out.Matched = append(out.Matched, matchedJSON{
			Type: server.PolicyTypeName(m.GetType()), Level: int(m.GetLevel()), Policy: m.GetPolicy(), Sid: m.GetSid(),
			Index: int(m.GetIndex()), Effect: server.EffectName(m.GetEffect()),
		})
	}
	for _, v := range ex.GetVerdicts() {
		out.Verdicts = append(out.Verdicts, verdictJSON{
			Type: server.PolicyTypeName(v.GetType()), Level: int(v.GetLevel()), Allowed: v.GetAllowed(), Denied: v.GetDenied(),
		})
	}
	return out
}

// bearerToken sends "authorization: Bearer <token>" with every call; when
// secure, gRPC sends it over TLS only.
type bearerToken struct {
	token  string
	secure bool
}

func (b bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearerToken) RequireTransportSecurity() bool { return b.secure }
