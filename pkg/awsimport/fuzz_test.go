package awsimport_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pdp-dev/pdp/internal/awsfixture"
	"github.com/pdp-dev/pdp/pkg/awsimport"
)

// FuzzReadGAAD reads arbitrary text as an authorization details page and
// converts what it reads. Nothing panics; every error is a list of
// Problems whose positions lie inside the input.
func FuzzReadGAAD(f *testing.F) {
	small := awsfixture.New(awsfixture.Size{Users: 1, Roles: 1, Groups: 1, Policies: 1})
	for _, enc := range []awsfixture.Encoding{awsfixture.Object, awsfixture.String, awsfixture.URL} {
		for _, page := range small.GAAD(enc, 1) {
			f.Add(page)
		}
	}
	f.Add([]byte(`{"UserDetailList": [{"UserName": 7}]}`))
	f.Add([]byte(`{"Policies": [{"PolicyVersionList": [{"Document": "%7B%22Version", "IsDefaultVersion": true}]}]}`))
	f.Add([]byte(`{"RoleDetailList": {}, "IsTruncated": "yes"}`))
	cat := loadCatalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := awsimport.ReadGAAD("page.json", data)
		if err != nil {
			checkProblems(t, data, err)
			return
		}
		_, err = awsimport.Convert(&awsimport.Input{GAAD: []*awsimport.GAAD{g}}, awsimport.Options{Catalog: cat})
		var probs awsimport.Problems
		if err != nil && !errors.As(err, &probs) && !bytes.Contains([]byte(err.Error()), []byte("converted model is invalid")) {
			t.Fatalf("Convert: error of type %T: %v", err, err)
		}
	})
}

// checkProblems checks that err lists problems positioned inside data.
func checkProblems(t *testing.T, data []byte, err error) {
	t.Helper()
	var probs awsimport.Problems
	if !errors.As(err, &probs) || len(probs) == 0 {
		t.Fatalf("error of type %T, want Problems: %v", err, err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, p := range probs {
		if p.Line < 0 || p.Line > lines || p.Col < 0 || (p.Line > 0 && p.Col < 1) {
			t.Fatalf("problem %q at %d:%d outside the input of %d lines", p.Error(), p.Line, p.Col, lines)
		}
		if p.Msg == "" {
			t.Fatalf("problem without a message: %+v", p)
		}
	}
}
