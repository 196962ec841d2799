package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/awsfixture"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// exportDir writes a generated export as scripts/export-aws.sh lays it out
// and returns the import flags that read it.
func exportDir(t *testing.T, f *awsfixture.Fixture, enc awsfixture.Encoding, pages int) []string {
	t.Helper()
	dir := t.TempDir()
	var args []string
	for i, data := range f.GAAD(enc, pages) {
		name := filepath.Join(dir, fmt.Sprintf("gaad-%d.json", i+1))
		require.NoError(t, os.WriteFile(name, data, 0o600))
		args = append(args, "--gaad", name)
	}
	writeTree(t, filepath.Join(dir, "organization"), f.OrganizationFiles())
	writeTree(t, filepath.Join(dir, "pinpoint"), f.PinpointFiles())
	writeTree(t, filepath.Join(dir, "resource-policies"), f.ResourcePolicyFiles(enc))
	return append(args, "--organization", filepath.Join(dir, "organization"), "--pinpoint", filepath.Join(dir, "pinpoint"),
		"--resource-policies", filepath.Join(dir, "resource-policies"))
}

// writeTree writes files (relative names) under dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o600))
	}
}

// readTree reads every file under dir.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	require.NoError(t, fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join(dir, p))
		out[p] = string(data)
		return err
	}))
	return out
}

// importMust runs pdp import aws and fails the test unless it exits 0.
func importMust(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := runPDP(t, nil, append([]string{"import", "aws"}, args...)...)
	require.Equal(t, exitOK, code, "pdp import aws %q:\n%s", args, stderr)
	return stdout, stderr
}

// TestImportOutputIsStable imports the same export in the three document
// encodings, and one of them twice: every run writes the same bytes.
func TestImportOutputIsStable(t *testing.T) {
	t.Parallel()
	f := awsfixture.New(awsfixture.Small)
	var first map[string]string
	for _, run := range []struct {
		name string
		enc  awsfixture.Encoding
	}{{"object", awsfixture.Object}, {"string", awsfixture.String}, {"url", awsfixture.URL}, {"object again", awsfixture.Object}} {
		out := t.TempDir()
		_, stderr := importMust(t, append(exportDir(t, f, run.enc, 2), "--out", out)...)
		got := readTree(t, out)
		if first == nil {
			first = got
			assert.Contains(t, stderr, "user            imported 60")
			assert.Contains(t, got, "users.json")
			assert.Contains(t, got, "policies/managed/Pinpoint-0000.json")
			continue
		}
		assert.Equal(t, first, got, "output of the %s encoding", run.name)
	}
}

// TestImportDecidesAsIAM imports the fixture in each encoding, serves the
// written directory as pdp serve --policies does, and checks that every
// generated request gets the decision the engine gives when handed the
// documents the fixture itself says govern the request.
func TestImportDecidesAsIAM(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load()
	require.NoError(t, err)
	f := awsfixture.New(awsfixture.Small)
	reqs := equivalenceRequests(f)
	require.GreaterOrEqual(t, len(reqs), 10_000)
	hand := handDecisions(t, cat, f, reqs)
	allowed := 0
	for _, d := range hand {
		if d == engine.Allow {
			allowed++
		}
	}
	require.Positive(t, allowed, "some requests are allowed")
	require.Less(t, allowed, len(reqs), "some requests are denied")
	for name, enc := range awsfixture.Encodings {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			importMust(t, append(exportDir(t, f, enc, 2), "--out", out)...)
			srv := serveDir(t, cat, out)
			mismatches := 0
			for i, r := range reqs {
				resp, err := srv.Check(t.Context(), r.proto())
				require.NoError(t, err, "request %d %+v", i, r)
				if got, want := resp.GetDecision(), protoDecision(hand[i]); got != want {
					mismatches++
					if mismatches <= 10 {
						assert.Equal(t, want, got, "request %+v: server, want what the engine decides by hand", r)
					}
				}
			}
			assert.Zero(t, mismatches, "of %d requests", len(reqs))
		})
	}
}

// serveDir loads a policy directory the way pdp serve --policies does.
func serveDir(t *testing.T, cat *catalog.Catalog, dir string) *server.Server {
	t.Helper()
	set, err := entity.LoadDir(os.DirFS(dir), ".")
	require.NoError(t, err)
	res, err := set.Resolve(cat)
	require.NoError(t, err)
	snap, err := snapshot.Compile(cat, res, 1, nil)
	require.NoError(t, err)
	s := server.New(server.Config{}, cat, nil)
	s.Activate(snap)
	return s
}

type equivRequest struct {
	principal, action, resource string
	context                     map[string]string
}

func (r equivRequest) proto() *pdpv1.CheckRequest {
	req := &pdpv1.CheckRequest{Principal: r.principal, Action: r.action, Resource: r.resource,
		Context: make(map[string]*pdpv1.ContextValue)}
	for k, v := range r.context {
		req.Context[k] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v}}
	}
	return req
}

// actionsFor lists the actions tried on each kind of resource.
var actionsFor = map[string][]string{
	"apps": {"mobiletargeting:GetApp", "mobiletargeting:DeleteApp", "mobiletargeting:UpdateApplicationSettings",
		"mobiletargeting:GetCampaigns", "mobiletargeting:GetSegments", "mobiletargeting:CreateCampaign"},
	"pool":              {"sms-voice:SendTextMessage", "sms-voice:DeletePool", "sms-voice:DescribePools"},
	"phone-number":      {"sms-voice:SendTextMessage", "sms-voice:ReleasePhoneNumber", "sms-voice:DescribePhoneNumbers"},
	"opt-out-list":      {"sms-voice:DeleteOptOutList", "sms-voice:DescribeOptOutLists"},
	"sender-id":         {"sms-voice:SendTextMessage"},
	"configuration-set": {"sms-voice:SendTextMessage"},
}

var equivContexts = []map[string]string{
	{"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true"},
	{"aws:RequestedRegion": "eu-west-1", "aws:SecureTransport": "true"},
	{"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "false"},
}

// equivalenceRequests is principals × actions × resources × contexts.
func equivalenceRequests(f *awsfixture.Fixture) []equivRequest {
	var out []equivRequest
	for _, p := range append(append([]*awsfixture.Principal{}, f.Users...), f.Roles...) {
		for _, r := range f.Resources {
			rest := r.ARN[strings.LastIndexByte(r.ARN, ':')+1:]
			typ, _, _ := strings.Cut(rest, "/")
			for _, a := range actionsFor[typ] {
				for _, c := range equivContexts {
					out = append(out, equivRequest{principal: p.ARN, action: a, resource: r.ARN, context: c})
				}
			}
		}
	}
	return out
}

// handDecisions decides every request with the engine alone, from the
// documents the fixture says govern it.
func handDecisions(t *testing.T, cat *catalog.Catalog, f *awsfixture.Fixture, reqs []equivRequest) []engine.Decision {
	t.Helper()
	type key struct{ principal, resource string }
	compiled := make(map[key]*engine.Policies)
	var tags = make(map[key]awsfixture.Governing)
	out := make([]engine.Decision, len(reqs))
	for i, r := range reqs {
		k := key{r.principal, r.resource}
		pol, ok := compiled[k]
		if !ok {
			g, found := f.Govern(r.principal, r.resource)
			require.True(t, found, r.principal)
			pol = &engine.Policies{Identity: compileDocs(t, cat, engine.IdentityPolicy, g.Identity...)}
			if g.Boundary != "" {
				pol.Boundary = compileDocs(t, cat, engine.BoundaryPolicy, g.Boundary)
			}
			if g.Resource != "" {
				pol.Resource = compileDocs(t, cat, engine.ResourcePolicy, g.Resource)
			}
			for _, level := range g.SCPs {
				pol.SCPs = append(pol.SCPs, compileDocs(t, cat, engine.SCPPolicy, level...))
			}
			compiled[k], tags[k] = pol, g
		}
		g := tags[k]
		ctx := engine.NewContext(len(r.context) + 4)
		for k, v := range r.context {
			ctx.Set(k, v)
		}
		for k, v := range g.PrincipalTag {
			ctx.Set("aws:PrincipalTag/"+k, v)
		}
		for k, v := range g.ResourceTag {
			ctx.Set("aws:ResourceTag/"+k, v)
		}
		out[i] = engine.Evaluate(pol, &engine.Request{Principal: r.principal, Action: r.action, Resource: r.resource, Context: ctx})
	}
	return out
}

func compileDocs(t *testing.T, cat *catalog.Catalog, typ engine.PolicyType, srcs ...string) *engine.PolicySet {
	t.Helper()
	docs := make([]*engine.Document, 0, len(srcs))
	for i, src := range srcs {
		d, err := engine.Parse([]byte(src), engine.ParseOptions{ID: fmt.Sprintf("doc-%d", i), Type: typ})
		require.NoError(t, err)
		docs = append(docs, d)
	}
	ps, err := engine.Compile(cat, docs...)
	require.NoError(t, err)
	return ps
}

func protoDecision(d engine.Decision) pdpv1.Decision {
	switch d {
	case engine.Allow:
		return pdpv1.Decision_DECISION_ALLOW
	case engine.ExplicitDeny:
		return pdpv1.Decision_DECISION_EXPLICIT_DENY
	}
	return pdpv1.Decision_DECISION_IMPLICIT_DENY
}
