package policytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/pdp-dev/pdp/pkg/entity"
)

// The decisions a case may expect, as pdp names them.
const (
	Allow        = "Allow"
	ExplicitDeny = "ExplicitDeny"
	ImplicitDeny = "ImplicitDeny"
)

// A Suite is the cases and access expectations of one test file.
type Suite struct {
	File    string
	Cases   []*Case
	WhoCan  []*WhoCan
	WhatCan []*WhatCan
}

// A Case is one authorization request and the decision it expects.
type Case struct {
	Name            string                  `json:"name"`
	Principal       string                  `json:"principal"`
	Action          string                  `json:"action"`
	Resource        string                  `json:"resource"`
	ResourceAccount string                  `json:"resource_account,omitempty"`
	Context         map[string]ContextValue `json:"context,omitempty"`
	Session         *Session                `json:"session,omitempty"`
	Expect          string                  `json:"expect"`
}

// A ContextValue is the value of one context key: a YAML scalar is a
// single value, a list (possibly empty) a multivalued key.
type ContextValue struct {
	Values []string
	Multi  bool
}

// UnmarshalJSON reads a string, number or boolean as a single value and
// an array of them as a multivalued key.
func (v *ContextValue) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return err
		}
		v.Multi, v.Values = true, make([]string, 0, len(raw))
		for _, r := range raw {
			s, err := scalarText(r)
			if err != nil {
				return err
			}
			v.Values = append(v.Values, s)
		}
		return nil
	}
	s, err := scalarText(data)
	if err != nil {
		return err
	}
	v.Values = []string{s}
	return nil
}

// scalarText gives the text of a JSON string, number or boolean.
func scalarText(r json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(r, &s); err == nil {
		return s, nil
	}
	switch t := string(bytes.TrimSpace(r)); {
	case t == "true", t == "false":
		return t, nil
	case len(t) > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')):
		return t, nil
	}
	return "", fmt.Errorf("want a string, number, boolean or a list of them, got %s", r)
}

// A Session is what an assumed-role session carries: session policies and
// session tags.
type Session struct {
	// Policies are IAM JSON documents, written as YAML mappings or as
	// JSON text.
	Policies []json.RawMessage `json:"policies,omitempty"`
	// PolicyFiles name JSON policy files relative to the test file.
	PolicyFiles []string          `json:"policy_files,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// texts are the session policies as JSON text, files read.
	texts []string
}

// PolicyTexts gives the session policies as JSON text, those of
// PolicyFiles after those written inline.
func (s *Session) PolicyTexts() []string {
	if s == nil {
		return nil
	}
	return s.texts
}

// fileJSON is the shape of a test file.
type fileJSON struct {
	Tests   []*Case    `json:"tests"`
	WhoCan  []*WhoCan  `json:"who_can"`
	WhatCan []*WhatCan `json:"what_can"`
}

// A FileError is one problem in a test file. Section is "tests" (when
// empty), "who_can" or "what_can"; Case is the index into it, -1 for
// problems of the whole file or section. Pos is known for problems of the
// expectations and for YAML syntax errors (the line alone).
type FileError struct {
	File    string
	Pos     Pos
	Section string
	Case    int
	Name    string
	Field   string
	Msg     string
}

// Error writes `FILE:LINE:COL: SECTION[i] ("NAME"): FIELD: MSG`, leaving
// out what is unknown.
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Pos.Line > 0 && e.Pos.Col > 0:
		fmt.Fprintf(&b, ":%d:%d", e.Pos.Line, e.Pos.Col)
	case e.Pos.Line > 0:
		fmt.Fprintf(&b, ":%d", e.Pos.Line)
	}
	section := e.Section
	if section == "" {
		section = sectionTests
	}
	switch {
	case e.Case >= 0:
		fmt.Fprintf(&b, ": %s[%d]", section, e.Case)
		if e.Name != "" {
			fmt.Fprintf(&b, " (%q)", e.Name)
		}
	case e.Section != "":
		b.WriteString(": " + e.Section)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	return b.String() + ": " + e.Msg
}

// ReadFunc reads a file by name, as os.ReadFile does; names are those of
// the operating system, so that errors name files as the user wrote them.
type ReadFunc func(name string) ([]byte, error)

// LoadFile reads and checks one test file; session policy files are read
// relative to it. Every problem found is reported, joined.
func LoadFile(read ReadFunc, name string) (*Suite, error) {
	data, err := read(name)
	if err != nil {
		return nil, &FileError{File: name, Case: -1, Msg: err.Error()}
	}
	sh, fe := scanShape(data)
	if fe != nil {
		fe.File = name
		return nil, fe
	}
	if len(sh.errs) > 0 {
		errs := make([]error, len(sh.errs))
		for i, fe := range sh.errs {
			fe.File, errs[i] = name, fe
		}
		return nil, errors.Join(errs...)
	}
	var f fileJSON
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, &FileError{File: name, Case: -1, Msg: err.Error()}
	}
	if len(f.Tests)+len(f.WhoCan)+len(f.WhatCan) == 0 {
		return nil, &FileError{File: name, Case: -1, Field: "tests", Msg: "no test cases, who_can or what_can expectations"}
	}
	var errs []error
	seen := map[string]string{}
	for i, c := range f.Tests {
		fail := func(field, format string, args ...any) {
			errs = append(errs, &FileError{File: name, Case: i, Name: c.Name, Field: field, Msg: fmt.Sprintf(format, args...)})
		}
		if c == nil {
			errs = append(errs, &FileError{File: name, Case: i, Msg: "empty test case"})
			continue
		}
		checkCase(c, fail)
		if other, dup := seen[c.Name]; dup && c.Name != "" {
			fail("name", "name also used by %s", other)
		}
		seen[c.Name] = fmt.Sprintf("tests[%d]", i)
		if c.Session != nil {
			readSession(read, filepath.Dir(name), c.Session, fail)
		}
	}
	errs = append(errs, checkExpectations(name, &f, sh, seen)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Suite{File: name, Cases: f.Tests, WhoCan: f.WhoCan, WhatCan: f.WhatCan}, nil
}

// checkExpectations checks the who_can and what_can expectations, whose
// names share seen with the decision cases'.
func checkExpectations(file string, f *fileJSON, sh shape, seen map[string]string) []error {
	var errs []error
	check := func(section string, i int, name string, pos itemPos, run func(fail func(Pos, string, string, ...any))) {
		fail := func(at Pos, field, format string, args ...any) {
			errs = append(errs, &FileError{File: file, Pos: at, Section: section, Case: i, Name: name, Field: field,
				Msg: fmt.Sprintf(format, args...)})
		}
		run(fail)
		here := fmt.Sprintf("%s[%d]", section, i)
		if other, dup := seen[name]; dup && name != "" {
			fail(pos.field("name"), "name", "name also used by %s", other)
		}
		seen[name] = here
	}
	for i, q := range f.WhoCan {
		q.pos = sh.items[sectionWhoCan][i]
		check(sectionWhoCan, i, q.Name, q.pos, func(fail func(Pos, string, string, ...any)) { checkWhoCan(q, fail) })
	}
	for i, q := range f.WhatCan {
		q.pos = sh.items[sectionWhatCan][i]
		check(sectionWhatCan, i, q.Name, q.pos, func(fail func(Pos, string, string, ...any)) { checkWhatCan(q, fail) })
	}
	return errs
}

func checkCase(c *Case, fail func(field, format string, args ...any)) {
	for _, f := range []struct{ field, value string }{
		{"name", c.Name}, {"principal", c.Principal}, {"action", c.Action}, {"resource", c.Resource},
	} {
		if f.value == "" {
			fail(f.field, "missing")
		}
	}
	if !slices.Contains([]string{Allow, ExplicitDeny, ImplicitDeny}, c.Expect) {
		fail("expect", "must be %q, %q or %q, got %q", Allow, ExplicitDeny, ImplicitDeny, c.Expect)
	}
}

// readSession turns the session policies into JSON text.
func readSession(read ReadFunc, dir string, s *Session, fail func(field, format string, args ...any)) {
	for i, raw := range s.Policies {
		var text string
		if json.Unmarshal(raw, &text) == nil {
			s.texts = append(s.texts, text)
			continue
		}
		if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			fail(fmt.Sprintf("session.policies[%d]", i), "want a policy document (a mapping, or JSON text)")
			continue
		}
		s.texts = append(s.texts, string(raw))
	}
	for i, f := range s.PolicyFiles {
		data, err := read(filepath.Join(dir, f))
		if err != nil {
			fail(fmt.Sprintf("session.policy_files[%d]", i), "%v", err)
			continue
		}
		s.texts = append(s.texts, string(data))
	}
}

// Discover lists the test files under dir in lexical order, skipping
// hidden directories as LoadDir does.
func Discover(fsys fs.FS, dir string) ([]string, error) {
	var names []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if !d.IsDir() && entity.IsTestFile(p) {
			names = append(names, p)
		}
		return nil
	})
	return names, err
}
