package entity

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// FuzzLoadBundle loads one bundle file as JSON or YAML and checks that
// nothing panics, that every failure is a non-empty Problems of errors
// naming a file, that Link resolves what Resolve does, and that a loaded
// Set survives a Bundle/LoadBundle round trip byte for byte. A document file, p.json, is there to be referenced.
func FuzzLoadBundle(f *testing.F) {
	examples := os.DirFS("../../examples/model")
	err := fs.WalkDir(examples, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(examples, p)
		f.Add(data, bundleExt(p) == "yaml")
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"scps": [{"name": "A", "document_file": "p.json"}], "accounts": [{"id": "111122223333", "scps": [["A"]]}]}`), false)
	f.Add([]byte("users:\n  - arn: arn:aws:iam::111122223333:user/u\n    inline_policy_files: {P: p.json}\n"), true)
	f.Add([]byte(`{"resources": [{"arn": "arn:aws:sms-voice:us-east-1:111122223333:pool/p", "policy": {"Statement": []}}]}`), false)
	cat := loadCatalog(f)
	f.Fuzz(func(t *testing.T, data []byte, yaml bool) {
		name := "b.json"
		if yaml {
			name = "b.yaml"
		}
		fsys := fstest.MapFS{name: {Data: data}, "p.json": {Data: []byte(okPolicy)}}
		s, err := LoadBundle(fsys, name)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error is not a non-empty Problems: %T %v", err, err)
			}
			for _, p := range ps {
				if p.File == "" || p.Severity != engine.SeverityError || p.Err == nil {
					t.Fatalf("problem without a file, an error severity or a cause: %#v", p)
				}
			}
			return
		}
		_, verr := s.Validate(cat)
		res, rerr := s.Resolve(cat)
		if (verr == nil) != (rerr == nil) {
			t.Fatalf("Validate error %v, Resolve error %v", verr, rerr)
		}
		if res != nil {
			for _, arn := range res.Principals() {
				if _, ok := res.Principal(arn); !ok {
					t.Fatalf("Principal(%q) not found", arn)
				}
			}
		}
		// Link takes whatever Resolve takes, alike, and fails on the rest
		// with Problems, never a panic.
		linked, lerr := s.Link(cat, nil)
		var lps Problems
		switch {
		case lerr != nil && (!errors.As(lerr, &lps) || len(lps) == 0):
			t.Fatalf("Link error is not a non-empty Problems: %T %v", lerr, lerr)
		case res != nil && lerr != nil:
			t.Fatalf("Link failed on a Set that Resolve takes: %v", lerr)
		case res != nil:
			if d := resolvedDiff(linked, res, false); d != "" {
				t.Fatalf("Link and Resolve differ:\n%s", d)
			}
		}
		b, err := s.Bundle()
		if err != nil {
			return // a document that is not JSON
		}
		s2, err := LoadBundle(fstest.MapFS{"x.json": {Data: b}}, "x.json")
		if err != nil {
			t.Fatalf("the bundle does not load: %v\n%s", err, b)
		}
		b2, err := s2.Bundle()
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the bundle (%v):\n%s\nthen:\n%s", err, b, b2)
		}
	})
}
