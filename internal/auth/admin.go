package auth

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// AdminPolicies are the IAM identity policies that govern the admin API,
// per principal. They are read from files at start (and on Reload), never
// from the policy store, so that whoever can write to the store cannot
// grant themselves admin rights. An AdminPolicies is immutable and safe for
// concurrent use; nil allows nothing.
type AdminPolicies struct {
	sets     map[string]*engine.PolicySet
	warnings engine.Errors
}

// ParseAdminPolicies reads one admin policy file:
//
//	{
//	  "principals": {
//	    "arn:aws:iam::111122223333:role/pdp-admin": [
//	      {"Version": "2012-10-17", "Statement": [
//	        {"Effect": "Allow", "Action": "pdp:*", "Resource": "*"}]}
//	    ],
//	    "arn:aws:iam::111122223333:user/ci": [
//	      {"Version": "2012-10-17", "Statement": [
//	        {"Sid": "ReadAll", "Effect": "Allow", "Action": ["pdp:Get*", "pdp:List*", "pdp:Diff", "pdp:Export"], "Resource": "*"},
//	        {"Sid": "DryRunOnly", "Effect": "Allow", "Action": "pdp:ApplyChanges", "Resource": "arn:pdp:store:::entity/*",
//	         "Condition": {"Bool": {"pdp:DryRun": "true"}}}]}
//	    ]
//	  }
//	}
//
// Each principal ARN (of an IAM user, role or assumed-role session, as
// authentication gives them) has a list of IAM identity policy documents,
// named in errors and logs as FILE[PRINCIPAL][INDEX]. Documents are parsed
// strictly and validated; beyond the engine's checks, every action must be
// one of Actions (wildcards allowed), every resource must be able to match
// StoreARN or an EntityARN, and every condition key and policy variable
// must be one the admin API puts in the request context:
// aws:PrincipalArn, aws:PrincipalAccount, aws:CurrentTime, aws:EpochTime,
// aws:SecureTransport, aws:SourceIp (absent when the peer has no IP
// address), pdp:DryRun (ApplyChanges, Import) and pdp:ChangeOp
// (ApplyChanges). A key that can never be present would make a Deny
// silently never apply. On error the result is an engine.Errors, with
// lines and columns in the file.
func ParseAdminPolicies(cat *catalog.Catalog, name string, data []byte) (*AdminPolicies, error) {
	b := newAdminBuilder(cat)
	if err := b.file(name, data); err != nil {
		return nil, err
	}
	return b.build()
}

// LoadAdminPolicies reads an admin policy file, or every *.json file of a
// directory (not its subdirectories), in the format of ParseAdminPolicies.
// A principal may appear in several files of a directory: its documents
// are combined. A file or directory every user may write is refused.
func LoadAdminPolicies(cat *catalog.Catalog, path string) (*AdminPolicies, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("admin policies: %w", err)
	}
	if err := checkMode(path, fi); err != nil {
		return nil, fmt.Errorf("admin policies: %w", err)
	}
	files := []string{path}
	if fi.IsDir() {
		if files, err = adminFiles(path); err != nil {
			return nil, fmt.Errorf("admin policies: %w", err)
		}
	}
	b := newAdminBuilder(cat)
	for _, f := range files {
		data, err := readConfigFile(f)
		if err != nil {
			return nil, fmt.Errorf("admin policies: %w", err)
		}
		if err := b.file(filepath.Base(f), data); err != nil {
			return nil, err
		}
	}
	return b.build()
}

// adminFiles lists the *.json files of a directory in name order.
func adminFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no *.json file", dir)
	}
	return files, nil
}

// Principals lists the principals that have admin policies, sorted.
func (ap *AdminPolicies) Principals() []string {
	if ap == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(ap.sets))
}

// Warnings returns what validation found suspect but not wrong, such as a
// missing Version; the Authorizer logs them when it loads the policies.
func (ap *AdminPolicies) Warnings() engine.Errors {
	if ap == nil {
		return nil
	}
	return slices.Clone(ap.warnings)
}

// policies returns the policies of a principal; a principal without any
// has an empty identity side, which allows nothing.
func (ap *AdminPolicies) policies(principal string) engine.Policies {
	if ap == nil {
		return engine.Policies{}
	}
	return engine.Policies{Identity: ap.sets[principal]}
}

// adminBuilder collects the documents of one or more admin policy files.
type adminBuilder struct {
	cat  *catalog.Catalog
	docs map[string][]*engine.Document
	errs engine.Errors // findings of every document in file order, errors and warnings
}

func newAdminBuilder(cat *catalog.Catalog) *adminBuilder {
	return &adminBuilder{cat: cat, docs: make(map[string][]*engine.Document)}
}

// build compiles the documents of each principal.
func (b *adminBuilder) build() (*AdminPolicies, error) {
	var errs, warnings engine.Errors
	for _, e := range b.errs {
		if e.Severity == engine.SeverityError {
			errs = append(errs, e)
		} else {
			warnings = append(warnings, e)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	ap := &AdminPolicies{sets: make(map[string]*engine.PolicySet, len(b.docs)), warnings: warnings}
	for principal, docs := range b.docs {
		ps, err := engine.Compile(b.cat, docs...)
		if err != nil {
			return nil, fmt.Errorf("admin policies of %q: %w", principal, err)
		}
		ap.sets[principal] = ps
	}
	return ap, nil
}

// file reads one admin policy file token by token: the layout is checked
// strictly (unknown elements, a principal listed twice), and each policy
// document is parsed from its own bytes, its positions then moved to where
// the document starts in the file.
func (b *adminBuilder) file(name string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) error { return jsonError(name, data, dec, err) }
	if err := expectDelim(dec, '{'); err != nil {
		return fail(err)
	}
	found := false
	for dec.More() {
		at := nextToken(data, dec)
		k, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		switch {
		case k != "principals":
			return errorAt(name, data, at, fmt.Errorf(`unknown element %q (an admin policy file has one element, "principals")`, k))
		case found:
			return errorAt(name, data, at, errors.New(`"principals" is given twice`))
		}
		found = true
		if err := b.principals(name, data, dec); err != nil {
			return err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fail(err)
	}
	if err := expectEOF(dec); err != nil {
		return fail(err)
	}
	if !found {
		return fmt.Errorf(`%s: missing "principals" (want {"principals": {"PRINCIPAL_ARN": [POLICY, ...]}})`, name)
	}
	return nil
}

// principals reads the object of principals and their policy lists.
func (b *adminBuilder) principals(name string, data []byte, dec *json.Decoder) error {
	fail := func(err error) error { return jsonError(name, data, dec, err) }
	if err := expectDelim(dec, '{'); err != nil {
		return fail(fmt.Errorf(`"principals" must be an object of principal ARNs: %w`, err))
	}
	seen := make(map[string]bool)
	for dec.More() {
		at := nextToken(data, dec)
		t, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		principal := t.(string)
		if seen[principal] {
			return errorAt(name, data, at, fmt.Errorf("principal %q is listed twice", principal))
		}
		seen[principal] = true
		if err := checkPrincipal(principal); err != nil {
			return errorAt(name, data, at, err)
		}
		if _, ok := b.docs[principal]; !ok {
			b.docs[principal] = nil
		}
		if err := expectDelim(dec, '['); err != nil {
			return fail(fmt.Errorf("the policies of %q must be a list of IAM policy documents: %w", principal, err))
		}
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fail(err)
			}
			start := int(dec.InputOffset()) - len(raw)
			b.document(fmt.Sprintf("%s[%s][%d]", name, principal, i), principal, data, start, raw)
		}
		if err := expectDelim(dec, ']'); err != nil {
			return fail(err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fail(err)
	}
	return nil
}

// document parses and validates one policy document that starts at byte
// start of the file.
func (b *adminBuilder) document(id, principal string, data []byte, start int, raw []byte) {
	line, col := lineCol(data, start)
	var errs engine.Errors
	doc, err := engine.Parse(raw, engine.ParseOptions{ID: id, Type: engine.IdentityPolicy})
	switch {
	case err == nil:
		errs = validateAdmin(b.cat, doc)
		b.docs[principal] = append(b.docs[principal], doc)
	case errors.As(err, &errs):
	default:
		errs = engine.Errors{{PolicyID: id, Statement: -1, Code: engine.CodeSyntax, Msg: err.Error()}}
	}
	sortFindings(errs)
	for _, e := range errs {
		if e.Line > 0 {
			if e.Line == 1 {
				e.Col += col - 1
			}
			e.Line += line - 1
		}
	}
	b.errs = append(b.errs, errs...)
}

// sortFindings orders the findings of one document by position.
func sortFindings(es engine.Errors) {
	slices.SortStableFunc(es, func(a, b *engine.PolicyError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Statement, b.Statement), cmp.Compare(a.Field, b.Field))
	})
}
