package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

const corpusPath = "../../pkg/engine/testdata/public.jsonl"

// outputLine is one line of eval output, with decision kept raw so that a
// JSON null is told apart from a missing field.
type outputLine struct {
	ID          string          `json:"id"`
	Decision    json.RawMessage `json:"decision"`
	Error       string          `json:"error"`
	Explanation *struct {
		Matched []struct {
			Type   string `json:"type"`
			Level  int    `json:"level"`
			Policy string `json:"policy"`
			Sid    string `json:"sid"`
			Index  int    `json:"index"`
			Effect string `json:"effect"`
		} `json:"matched"`
		Verdicts []struct {
			Type    string `json:"type"`
			Level   int    `json:"level"`
			Allowed bool   `json:"allowed"`
			Denied  bool   `json:"denied"`
		} `json:"verdicts"`
		MissingKeys  []string `json:"missing_keys"`
		CrossAccount bool     `json:"cross_account"`
	} `json:"explanation"`
}

// decision returns the decision string, or "null" for a JSON null.
func (o outputLine) decision() string {
	var s string
	if string(o.Decision) == "null" || json.Unmarshal(o.Decision, &s) != nil {
		return string(o.Decision)
	}
	return s
}

func parseOutput(t *testing.T, stdout string) []outputLine {
	t.Helper()
	var out []outputLine
	for line := range strings.Lines(stdout) {
		var o outputLine
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		out = append(out, o)
	}
	return out
}

type corpusCase struct {
	ID     string `json:"id"`
	Expect string `json:"expect"`
}

func readCorpus(t *testing.T) ([]byte, []corpusCase) {
	t.Helper()
	data, err := os.ReadFile(corpusPath)
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	for line := range bytes.Lines(data) {
		var c corpusCase
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	return data, cases
}

// TestEvalCorpus decides the public corpus through pdp eval with several
// flag combinations, in-process and through a server's Simulate method, and
// requires every expected decision.
func TestEvalCorpus(t *testing.T) {
	t.Parallel()
	data, cases := readCorpus(t)
	if len(cases) != 721 {
		t.Fatalf("corpus has %d cases, want 721", len(cases))
	}
	addr := startServer(t)
	tests := []struct {
		name        string
		args        []string
		wantOrdered bool
	}{
		{name: "default", args: []string{"eval"}},
		{name: "one worker", args: []string{"eval", "--workers", "1"}, wantOrdered: true},
		{name: "ordered", args: []string{"eval", "--ordered", "--workers", "8"}, wantOrdered: true},
		{name: "explain", args: []string{"eval", "--explain", "--workers", "3"}},
		{name: "remote", args: []string{"eval", "--addr", addr}},
		{name: "remote ordered", args: []string{"eval", "--addr", addr, "--ordered", "--workers", "16"}, wantOrdered: true},
		{name: "remote explain", args: []string{"eval", "--addr", addr, "--explain", "--timeout", "30s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, bytes.NewReader(data), tc.args...)
			// The corpus has an expect for every case: the summary is on.
			want := fmt.Sprintf("pdp eval: %d of %d cases with an expect agree\n", len(cases), len(cases))
			require.Equal(t, 0, code, "exit status; stderr %q", stderr)
			require.Equal(t, want, stderr)
			out := parseOutput(t, stdout)
			require.Len(t, out, len(cases), "output lines")
			got := make(map[string]string, len(out))
			for _, o := range out {
				assert.Empty(t, o.Error, "case %s: error", o.ID)
				assert.NotContains(t, got, o.ID, "case %s: decided twice", o.ID)
				got[o.ID] = o.decision()
				assert.Equal(t, slices.Contains(tc.args, "--explain"), o.Explanation != nil, "case %s: explanation present", o.ID)
			}
			matched := 0
			for i, c := range cases {
				if assert.Equal(t, c.Expect, got[c.ID], "case %s: decision", c.ID) {
					matched++
				}
				if tc.wantOrdered {
					assert.Equal(t, c.ID, out[i].ID, "output line %d", i+1)
				}
			}
			assert.Equal(t, len(cases), matched, "decisions that match")
		})
	}
}

// TestEvalRemoteMatchesLocal requires eval --addr to write, byte for byte,
// what eval writes in-process, explanations included.
func TestEvalRemoteMatchesLocal(t *testing.T) {
	t.Parallel()
	data, _ := readCorpus(t)
	addr := startServer(t)
	_, local, _ := runPDP(t, bytes.NewReader(data), "eval", "--ordered", "--explain")
	code, remote, stderr := runPDP(t, bytes.NewReader(data), "eval", "--addr", addr, "--ordered", "--explain", "--summary=false")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	if local != remote {
		l, r := strings.Split(local, "\n"), strings.Split(remote, "\n")
		for i := range min(len(l), len(r)) {
			if l[i] != r[i] {
				t.Fatalf("line %d differs:\nlocal:  %s\nremote: %s", i+1, l[i], r[i])
			}
		}
		t.Fatalf("local output has %d lines, remote %d", len(l), len(r))
	}
}

// TestEvalRemoteUnreachable checks that with no server every case gets an
// error line saying so, and that cases that cannot be sent say why.
func TestEvalRemoteUnreachable(t *testing.T) {
	t.Parallel()
	input := caseLine("ok", policyOK, requestOK) + "not json\n" +
		caseLine("bad-context", policyOK, strings.Replace(requestOK, `"blue"}`, `1}`, 1))
	code, stdout, stderr := runPDP(t, strings.NewReader(input), "eval", "--addr", "127.0.0.1:1", "--ordered")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	out := parseOutput(t, stdout)
	wants := []struct{ id, errPrefix string }{
		{"ok", "Unavailable: "},
		{"line-2", "line 2: decode case"},
		{"bad-context", `context key "aws:ResourceTag/team": want a string or a list of strings, got 1`},
	}
	if len(out) != len(wants) {
		t.Fatalf("got %d lines, want %d:\n%s", len(out), len(wants), stdout)
	}
	for i, w := range wants {
		if o := out[i]; o.ID != w.id || o.decision() != "null" || !strings.HasPrefix(o.Error, w.errPrefix) {
			t.Errorf("line %d = {id %q, decision %s, error %q}, want {id %q, decision null, error %q…}",
				i+1, o.ID, o.decision(), o.Error, w.id, w.errPrefix)
		}
	}
}

// A small valid case and variations on it. The identity policy allows the
// request through its statement 1 (Sid "ReadApps").
const (
	policyOK  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*"},{"Sid":"ReadApps","Effect":"Allow","Action":"mobiletargeting:Get*","Resource":"arn:aws:mobiletargeting:*:111122223333:apps/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`
	requestOK = `"request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"mobiletargeting:GetApp","resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc","context":{"aws:ResourceTag/team":"blue"}}`
)

func caseLine(id, identityPolicy, request string) string {
	return `{"id":"` + id + `","identity_policies":[` + identityPolicy + `],"resource_policy":null,"permissions_boundary":null,` + request + "}\n"
}

// TestEvalBadLines checks that a line that cannot be decided gives an error
// line with a null decision and that the cases after it are still decided.
func TestEvalBadLines(t *testing.T) {
	t.Parallel()
	input := caseLine("first", policyOK, requestOK) +
		`{"id": "x"` + "\n" +
		"not json\n" +
		"\n" +
		"   \r\n" +
		caseLine("broken-json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow" "Action":"*"}]}`, requestOK) +
		caseLine("bad-effect", `{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}`, requestOK) +
		caseLine("bad-operator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}]}`, requestOK) +
		`{"id":"no-request","identity_policies":[],"resource_policy":null,"permissions_boundary":null}` + "\n" +
		`{"id":"extra","identity_policies":[],"resource_policy":null,"permissions_boundary":null,"surprise":1,` + requestOK + "}\n" +
		"[1,2]\n" +
		caseLine("last", policyOK, requestOK) // no blank line at the end
	type want struct {
		id, decision, errContains string
	}
	wants := []want{
		{"first", "Allow", ""},
		{"x", "null", "line 2: decode case"},
		{"line-3", "null", "line 3: decode case"},
		{"broken-json", "null", "line 6: decode case"},
		{"bad-effect", "null", `Effect must be "Allow" or "Deny"`},
		{"bad-operator", "null", `unknown condition operator "StringEqualz"`},
		{"no-request", "null", "request needs principal, action and resource"},
		{"extra", "null", `unknown field "surprise"`},
		{"line-11", "null", "line 11: decode case"},
		{"last", "Allow", ""},
	}
	addr := startServer(t)
	for _, run := range []struct {
		name string
		args []string
	}{
		{"one worker", []string{"--workers", "1"}},
		{"four workers", []string{"--workers", "4"}},
		{"remote", []string{"--workers", "4", "--addr", addr}},
	} {
		args := run.args
		t.Run(run.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, strings.NewReader(input), append([]string{"eval", "--ordered"}, args...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
			}
			out := parseOutput(t, stdout)
			if len(out) != len(wants) {
				t.Fatalf("got %d lines, want %d:\n%s", len(out), len(wants), stdout)
			}
			for i, w := range wants {
				o := out[i]
				if o.ID != w.id || o.decision() != w.decision || !strings.Contains(o.Error, w.errContains) ||
					(w.errContains == "") != (o.Error == "") {
					t.Errorf("line %d = {id %q, decision %s, error %q}, want {id %q, decision %s, error containing %q}",
						i+1, o.ID, o.decision(), o.Error, w.id, w.decision, w.errContains)
				}
			}
		})
	}
}

// TestEvalAmbiguousCases checks that a case another reader could read
// otherwise gets an error line naming the member at fault, not a decision
// on one reading: an id that is not UTF-8, a context key given twice, or
// twice but for case (condition keys are case-insensitive).
func TestEvalAmbiguousCases(t *testing.T) {
	t.Parallel()
	const req = `"request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"mobiletargeting:GetApp",` +
		`"resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc","context":`
	tests := []struct {
		name    string
		line    string
		wantID  string
		wantErr string
	}{
		{
			name:    "id not UTF-8",
			line:    caseLine("bad\xffid", policyOK, requestOK),
			wantID:  "line-1",
			wantErr: "line 1: decode case: id: 1:11: invalid JSON: invalid UTF-8 byte 0xff in string",
		},
		{
			name:    "context key twice",
			line:    caseLine("twice", policyOK, req+`{"aws:ResourceTag/team":"red","aws:ResourceTag/team":"blue"}}`),
			wantID:  "twice",
			wantErr: `decode case: request.context: 1:590: duplicate key "aws:ResourceTag/team" (first at line 1, column 561)`,
		},
		{
			name:    "context key twice but for case",
			line:    caseLine("folded", policyOK, req+`{"aws:SourceIp":"10.0.0.1","AWS:SOURCEIP":"192.0.2.1","aws:ResourceTag/team":"blue"}}`),
			wantID:  "folded",
			wantErr: `decode case: request.context: 1:588: keys "aws:SourceIp" and "AWS:SOURCEIP" differ only in case, and condition keys are case-insensitive (first at line 1, column 562)`,
		},
		{
			name:    "request twice",
			line:    `{"id":"requests",` + requestOK + "," + req + `{}}}` + "\n",
			wantID:  "requests",
			wantErr: `decode case: 1:`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, strings.NewReader(tc.line), "eval")
			require.Equal(t, 0, code, "exit code; stderr %q", stderr)
			out := parseOutput(t, stdout)
			require.Len(t, out, 1, "output lines:\n%s", stdout)
			assert.Equal(t, tc.wantID, out[0].ID, "id")
			assert.Equal(t, "null", out[0].decision(), "decision")
			assert.Contains(t, out[0].Error, tc.wantErr, "error")
		})
	}
}

func TestEvalExplain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		request      string
		wantDecision string
		wantSid      string // of the single matched statement; "" for none
		wantIndex    int
		wantMissing  []string
	}{
		{name: "allow", request: requestOK, wantDecision: "Allow", wantSid: "ReadApps", wantIndex: 1, wantMissing: []string{}},
		{
			name:         "missing key",
			request:      strings.Replace(requestOK, `{"aws:ResourceTag/team":"blue"}`, `{}`, 1),
			wantDecision: "ImplicitDeny",
			wantMissing:  []string{"aws:ResourceTag/team"},
		},
	}
	addr := startServer(t)
	for _, tc := range tests {
		for _, remote := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/remote=%t", tc.name, remote), func(t *testing.T) {
				t.Parallel()
				args := []string{"eval", "--explain"}
				if remote {
					args = append(args, "--addr", addr)
				}
				code, stdout, stderr := runPDP(t, strings.NewReader(caseLine(tc.name, policyOK, tc.request)), args...)
				if code != 0 || stderr != "" {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
				}
				out := parseOutput(t, stdout)
				if len(out) != 1 || out[0].Explanation == nil {
					t.Fatalf("want one line with an explanation, got %s", stdout)
				}
				o, ex := out[0], out[0].Explanation
				if o.decision() != tc.wantDecision {
					t.Errorf("decision %s, want %s", o.decision(), tc.wantDecision)
				}
				if tc.wantSid == "" {
					if len(ex.Matched) != 0 {
						t.Errorf("matched %+v, want none", ex.Matched)
					}
				} else if len(ex.Matched) != 1 || ex.Matched[0].Sid != tc.wantSid || ex.Matched[0].Index != tc.wantIndex ||
					ex.Matched[0].Type != "identity" || ex.Matched[0].Policy != "identity_policies[0]" || ex.Matched[0].Effect != "Allow" {
					t.Errorf("matched %+v, want one identity Allow statement %d (Sid %q) of identity_policies[0]", ex.Matched, tc.wantIndex, tc.wantSid)
				}
				if len(ex.Verdicts) != 1 || ex.Verdicts[0].Type != "identity" || ex.Verdicts[0].Allowed != (tc.wantDecision == "Allow") {
					t.Errorf("verdicts %+v, want one identity verdict, allowed %t", ex.Verdicts, tc.wantDecision == "Allow")
				}
				if !slices.Equal(ex.MissingKeys, tc.wantMissing) || ex.MissingKeys == nil {
					t.Errorf("missing_keys %q, want %q", ex.MissingKeys, tc.wantMissing)
				}
				if ex.CrossAccount {
					t.Errorf("cross_account true, want false")
				}
			})
		}
	}
}

func TestReadLine(t *testing.T) {
	t.Parallel()
	const limit = 20
	long := strings.Repeat("a", 19)
	input := "abc\n" + long + "\r\n" + strings.Repeat("b", 21) + "\n" + strings.Repeat("c", 100) + "\n\n" +
		long + "z\n" + "last"
	type line struct {
		text    string
		tooLong bool
	}
	want := []line{{"abc", false}, {long, false}, {"", true}, {"", true}, {"", false}, {long + "z", false}, {"last", false}}
	br := bufio.NewReaderSize(strings.NewReader(input), 16) // smaller than the lines
	var got []line
	for {
		data, tooLong, err := readLine(br, limit)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, line{string(data), tooLong})
	}
	if !slices.Equal(got, want) {
		t.Errorf("lines:\n got %+v\nwant %+v", got, want)
	}
}

// TestEvalStreamLongLine checks that a line over the limit is reported and
// skipped, and the next line decided.
func TestEvalStreamLongLine(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	ok := caseLine("ok", policyOK, requestOK)
	input := strings.Repeat("x", 2*len(ok)) + "\n" + ok
	var out bytes.Buffer
	opts := evalOptions{workers: 2, ordered: true, maxLine: len(ok)}
	if err := evalStream(t.Context(), localDecider(cat), opts, strings.NewReader(input), &out); err != nil {
		t.Fatal(err)
	}
	lines := parseOutput(t, out.String())
	if len(lines) != 2 || lines[0].ID != "line-1" || lines[0].decision() != "null" ||
		!strings.Contains(lines[0].Error, "longer than") || lines[1].ID != "ok" || lines[1].decision() != "Allow" {
		t.Errorf("output:\n%s\nwant line-1 too long, then ok Allow", out.String())
	}
}

// failWriter fails every write, like a closed pipe.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// errReader returns its data and then a read error.
type errReader struct{ r io.Reader }

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("disk on fire")
	}
	return n, err
}

// TestEvalIOErrors checks that read and write failures, unlike bad cases,
// give a non-zero exit status, and that nothing hangs.
func TestEvalIOErrors(t *testing.T) {
	t.Parallel()
	data, _ := readCorpus(t)
	var head []byte // the first 100 cases are enough
	for line := range bytes.Lines(data) {
		if head = append(head, line...); bytes.Count(head, []byte("\n")) == 100 {
			break
		}
	}
	data = head
	tests := []struct {
		name    string
		stdin   io.Reader
		stdout  io.Writer
		wantErr string
	}{
		{name: "write", stdin: bytes.NewReader(data), stdout: failWriter{}, wantErr: "broken pipe"},
		{name: "read", stdin: &errReader{bytes.NewReader(data)}, stdout: io.Discard, wantErr: "disk on fire"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			code := run(t.Context(), []string{"eval", "--ordered"}, tc.stdin, tc.stdout, &stderr)
			assert.Equal(t, 1, code, "exit status")
			assert.Contains(t, stderr.String(), tc.wantErr)
		})
	}
}
