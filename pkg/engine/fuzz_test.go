package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// corpusPolicies returns up to n policy documents from the public corpus, as
// fuzz seeds.
func corpusPolicies(tb testing.TB, n int) [][]byte {
	tb.Helper()
	f, err := os.Open("testdata/public.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	for sc.Scan() && len(out) < n {
		var c struct {
			Identity []json.RawMessage `json:"identity_policies"`
			Resource json.RawMessage   `json:"resource_policy"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatal(err)
		}
		for _, p := range c.Identity {
			out = append(out, p)
		}
		if len(c.Resource) > 0 && string(c.Resource) != "null" {
			out = append(out, c.Resource)
		}
	}
	return out
}

// FuzzParsePolicy checks that parsing never panics, that every failure is
// an Errors whose positions lie inside the input, and that a parsed document
// survives a format/parse round trip.
func FuzzParsePolicy(f *testing.F) {
	for _, p := range corpusPolicies(f, 60) {
		f.Add(p, uint8(IdentityPolicy))
	}
	f.Add([]byte(`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Principal":"*"}}`), uint8(ResourcePolicy))
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"x","Resource":"y","Condition":{"Null":{"a":[true,1,"s"]}}}]}`), uint8(SessionPolicy))
	f.Fuzz(func(t *testing.T, src []byte, typ uint8) {
		pt := PolicyType(typ % 5)
		opts := ParseOptions{ID: "fuzz", Type: pt}
		doc, err := Parse(src, opts)
		checkKeepsNoView(t, src, opts, doc, err)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not a non-empty Errors: %T %v", err, err)
			}
			lines := countLines(src)
			for _, e := range es {
				if e.Line < 0 || e.Line > lines || e.Col < 0 {
					t.Fatalf("position %d:%d outside the %d-line input: %v", e.Line, e.Col, lines, e)
				}
			}
			checkAccessAnalyzerSpans(t, src, pt, es)
			return
		}
		again, err := Parse(doc.Format(), ParseOptions{ID: "fuzz", Type: pt})
		if err != nil {
			t.Fatalf("formatted document does not parse: %v\n%s", err, doc.Format())
		}
		if a, b := string(doc.Format()), string(again.Format()); a != b {
			t.Fatalf("round trip changed the document:\n%s\n%s", a, b)
		}
	})
}

// FuzzEvaluate checks that any parsed policy compiles or fails cleanly, and
// that deciding a request never panics and gives the same answer with and
// without an explanation.
func FuzzEvaluate(f *testing.F) {
	for i, p := range corpusPolicies(f, 40) {
		res := []string{"arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123/segments/seg1", "*"}[i%2]
		f.Add(p, "arn:aws:iam::111122223333:user/alice", "mobiletargeting:GetSegment", res, "aws:SourceIp", "203.0.113.7")
	}
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sms-voice:*","Resource":"arn:aws:sms-voice:*:*:pool/${aws:username}*"}}`),
		"arn:aws:sts::111122223333:assumed-role/r/s", "sms-voice:DescribePools", "arn:aws:sms-voice:us-east-1:111122223333:pool/bob1", "aws:username", "bob")
	cat := benchCatalog(f)
	f.Fuzz(func(t *testing.T, src []byte, principal, action, resource, key, value string) {
		doc, err := Parse(src, ParseOptions{ID: "fuzz", Type: IdentityPolicy})
		if err != nil {
			return
		}
		ps, err := Compile(cat, doc)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("compile error is not an Errors: %v", err)
			}
			return
		}
		ctx := NewContext(2)
		ctx.Set(key, value)
		ctx.SetMulti("aws:TagKeys", []string{value, key})
		req := &Request{Principal: principal, Action: action, Resource: resource, Context: ctx}
		p := &Policies{Identity: ps, Boundary: ps, Resource: nil, SCPs: []*PolicySet{ps}}
		d := Evaluate(p, req)
		d2, ex := EvaluateExplain(p, req)
		if d != d2 || ex.Decision != d {
			t.Fatalf("Evaluate %s, EvaluateExplain %s (explanation %s)", d, d2, ex.Decision)
		}
	})
}

// countLines counts lines the way positions do: "\n", "\r\n" and a lone
// "\r" each end one.
func countLines(src []byte) int {
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	return strings.Count(text, "\n") + strings.Count(text, "\r") + 1
}

// checkAccessAnalyzerSpans: every finding converts, and its span lies in the
// text with its start before its end.
func checkAccessAnalyzerSpans(t *testing.T, src []byte, typ PolicyType, es Errors) {
	t.Helper()
	n := utf8.RuneCount(src)
	for i, f := range AccessAnalyzerFindings(src, typ, es) {
		for _, l := range f.Locations {
			if s, e := l.Span.Start, l.Span.End; s.Offset < 0 || s.Offset > e.Offset || e.Offset > n || s.Line > e.Line {
				t.Fatalf("finding %d (%v): span %+v outside the %d-character input", i, es[i], l.Span, n)
			}
		}
	}
}
