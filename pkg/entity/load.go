package entity

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"strings"
)

// Bundle files may name a policy document by file instead of holding it:
// these wire forms are the model types plus the references.
type (
	managedPolicyIn struct {
		ManagedPolicy
		DocumentFile string `json:"document_file,omitempty"`
	}
	scpIn struct {
		SCP
		DocumentFile string `json:"document_file,omitempty"`
	}
	userIn struct {
		User
		InlinePolicyFiles map[string]string `json:"inline_policy_files,omitempty"`
	}
	groupIn struct {
		Group
		InlinePolicyFiles map[string]string `json:"inline_policy_files,omitempty"`
	}
	roleIn struct {
		Role
		InlinePolicyFiles map[string]string `json:"inline_policy_files,omitempty"`
	}
	resourceIn struct {
		Resource
		PolicyFile string `json:"policy_file,omitempty"`
	}
)

// LoadDir reads every bundle file under dir in fsys, recursively, in the
// order of fs.WalkDir (lexical within each directory), so that the result
// is deterministic: files named *.yaml, *.yml and *.json, except those a
// bundle references as a policy document and hidden ones (a name starting
// with ".", or in such a directory). A bundle is an object with the
// optional lists accounts, managed_policies, scps, users, groups, roles and
// resources; see [Set] for the fields of each. Decoding is strict: an
// unknown or duplicate field is an error.
//
// A policy document is given inline (document, policy, inline_policies) or
// by a path relative to the bundle file's directory (document_file,
// policy_file, inline_policy_files); a referenced JSON file is kept byte for
// byte, so positions in messages are positions in that file. A YAML object
// is converted to JSON.
//
// On failure the error is a [Problems] listing every problem found, each
// naming its file. LoadDir does not validate the documents or the
// references between entities: that is [Set.Validate].
func LoadDir(fsys fs.FS, dir string) (*Set, error) {
	if !fs.ValidPath(dir) {
		return nil, Problems{{File: dir, Err: errors.New("not a valid path in the file system (use \".\" for its root)")}}
	}
	l := newLoader(fsys)
	var files []*parsedFile
	referenced := make(map[string]bool)
	for _, name := range l.bundleFiles(dir) {
		pf := l.parseFile(name)
		files = append(files, pf)
		for _, r := range pf.refs {
			referenced[r] = true
		}
	}
	for _, pf := range files {
		if !referenced[pf.name] {
			l.add(pf)
		}
	}
	if err := l.rep.probs.Err(); err != nil {
		return nil, err
	}
	return l.set, nil
}

// LoadBundle reads one bundle file, which may reference policy documents in
// files relative to its directory. Errors are as for [LoadDir].
func LoadBundle(fsys fs.FS, name string) (*Set, error) {
	l := newLoader(fsys)
	l.add(l.parseFile(name))
	if err := l.rep.probs.Err(); err != nil {
		return nil, err
	}
	return l.set, nil
}

// loader reads bundle files and the documents they reference.
type loader struct {
	fsys  fs.FS
	rep   *report
	set   *Set
	files map[string]fileData // every file read, so that each is read once
	// lists are the top-level fields of a bundle, from Set's JSON tags.
	lists []string
}

type fileData struct {
	data []byte
	err  error
}

func newLoader(fsys fs.FS) *loader {
	return &loader{fsys: fsys, rep: &report{}, set: &Set{}, files: make(map[string]fileData),
		lists: jsonFields(reflect.TypeFor[Set]())}
}

// bundleFiles lists the candidate bundle files under dir, in lexical order.
func (l *loader) bundleFiles(dir string) []string {
	var names []string
	err := fs.WalkDir(l.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.rep.probs = append(l.rep.probs, &Problem{File: p, Err: err})
			if d != nil && d.IsDir() && p != dir {
				return fs.SkipDir
			}
			return nil
		}
		hidden := p != dir && strings.HasPrefix(d.Name(), ".")
		switch {
		case hidden && d.IsDir():
			return fs.SkipDir
		case !hidden && !d.IsDir() && bundleExt(p) != "" && !IsTestFile(p):
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		l.rep.probs = append(l.rep.probs, &Problem{File: dir, Err: err})
	}
	return names
}

// bundleExt returns "json" or "yaml" for the file names LoadDir reads, else
// "".
func bundleExt(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return "json"
	case ".yaml", ".yml":
		return "yaml"
	}
	return ""
}

// readFile reads a file once.
func (l *loader) readFile(name string) ([]byte, error) {
	if fd, ok := l.files[name]; ok {
		return fd.data, fd.err
	}
	data, err := fs.ReadFile(l.fsys, name)
	l.files[name] = fileData{data: data, err: err}
	return data, err
}

// parsedFile is one bundle file decoded, before the documents it references
// are read.
type parsedFile struct {
	name      string
	accounts  []Account
	managed   []managedPolicyIn
	scps      []scpIn
	users     []userIn
	groups    []groupIn
	roles     []roleIn
	resources []resourceIn
	refs      []string // referenced files, as paths in the file system
	probs     Problems
}

// parseFile reads and decodes one bundle file. Its problems stay in the
// parsedFile until the file is known to be a bundle and not a referenced
// document.
func (l *loader) parseFile(name string) *parsedFile {
	pf := &parsedFile{name: name}
	d := &decoder{pf: pf, lists: l.lists}
	data, err := l.readFile(name)
	if err != nil {
		d.errorf("", "", "cannot read: %v", err)
		return pf
	}
	d.src, d.converted, err = toJSON(name, data)
	if err != nil {
		d.errorf("", "", "%v", err)
		return pf
	}
	d.parse()
	return pf
}

// toJSON returns the JSON text of a file: a .yaml or .yml file converted,
// anything else as it is, for the decoder to check.
func toJSON(name string, data []byte) (src []byte, converted bool, err error) {
	if bundleExt(name) == "yaml" {
		src, err := yamlToJSON(data)
		return src, true, err
	}
	return data, false, nil
}

// add reads the documents a parsed bundle references and appends its
// entities and problems to the Set.
func (l *loader) add(pf *parsedFile) {
	l.rep.probs = append(l.rep.probs, pf.probs...)
	s := l.set
	s.Accounts = append(s.Accounts, pf.accounts...)
	for i := range pf.managed {
		w := &pf.managed[i]
		r := l.rep.at(pf.name, managedLabel(len(s.ManagedPolicies), &w.ManagedPolicy))
		l.document(r, pf.name, &w.Document, w.src, "document", w.DocumentFile, "document_file")
		s.ManagedPolicies = append(s.ManagedPolicies, w.ManagedPolicy)
	}
	for i := range pf.scps {
		w := &pf.scps[i]
		r := l.rep.at(pf.name, scpLabel(len(s.SCPs), &w.SCP))
		l.document(r, pf.name, &w.Document, w.src, "document", w.DocumentFile, "document_file")
		s.SCPs = append(s.SCPs, w.SCP)
	}
	for i := range pf.users {
		w := &pf.users[i]
		r := l.rep.at(pf.name, principalLabel("user", place(0, w.src), w.ARN))
		l.inline(r, pf.name, &w.InlinePolicies, w.src, w.InlinePolicyFiles)
		s.Users = append(s.Users, w.User)
	}
	for i := range pf.groups {
		w := &pf.groups[i]
		r := l.rep.at(pf.name, groupLabel(len(s.Groups), &w.Group))
		l.inline(r, pf.name, &w.InlinePolicies, w.src, w.InlinePolicyFiles)
		s.Groups = append(s.Groups, w.Group)
	}
	for i := range pf.roles {
		w := &pf.roles[i]
		r := l.rep.at(pf.name, principalLabel("role", place(0, w.src), w.ARN))
		l.inline(r, pf.name, &w.InlinePolicies, w.src, w.InlinePolicyFiles)
		s.Roles = append(s.Roles, w.Role)
	}
	for i := range pf.resources {
		w := &pf.resources[i]
		r := l.rep.at(pf.name, resourceLabel(place(0, w.src), w.ARN))
		l.document(r, pf.name, &w.Policy, w.src, "policy", w.PolicyFile, "policy_file")
		s.Resources = append(s.Resources, w.Resource)
	}
}

// document sets *doc from the file ref names, if it names one.
func (l *loader) document(r *entityReport, bundle string, doc *json.RawMessage, o *origin, field, ref, refField string) {
	if isNull(*doc) {
		*doc = nil
	}
	if ref == "" {
		return
	}
	if *doc != nil {
		r.errorf(refField, "give %s or %s, not both", field, refField)
		return
	}
	if data, d, ok := l.read(r, bundle, ref, refField); ok {
		*doc, o.docs[field] = data, d
	}
}

// inline adds to *docs the inline policies given by file.
func (l *loader) inline(r *entityReport, bundle string, docs *map[string]json.RawMessage, o *origin, files map[string]string) {
	for name, raw := range *docs {
		if isNull(raw) {
			(*docs)[name] = nil
		}
	}
	for _, name := range sortedKeys(files) {
		refField := fmt.Sprintf("inline_policy_files[%q]", name)
		if _, dup := (*docs)[name]; dup {
			r.errorf(refField, "inline policy %q is given in inline_policies too; keep one", name)
			continue
		}
		data, d, ok := l.read(r, bundle, files[name], refField)
		if !ok {
			continue
		}
		if *docs == nil {
			*docs = make(map[string]json.RawMessage)
		}
		(*docs)[name], o.docs[inlineField(name)] = data, d
	}
}

// read reads the document file ref, relative to the bundle's directory.
func (l *loader) read(r *entityReport, bundle, ref, field string) (json.RawMessage, docOrigin, bool) {
	p, err := refPath(bundle, ref)
	if err != nil {
		r.errorf(field, "%v", err)
		return nil, docOrigin{}, false
	}
	data, err := l.readFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.errorf(field, "no file %q (paths are relative to the directory of %s)", p, bundle)
		return nil, docOrigin{}, false
	case err != nil:
		r.errorf(field, "cannot read %q: %v", p, err)
		return nil, docOrigin{}, false
	}
	d := docOrigin{file: p, field: field}
	if bundleExt(p) == "yaml" {
		js, err := yamlToJSON(data)
		if err != nil {
			r.addIn(p, field, err)
			return nil, docOrigin{}, false
		}
		data, d.converted = js, true
	}
	return data, d, true
}

// refPath resolves a document reference relative to the bundle file.
func refPath(bundle, ref string) (string, error) {
	switch {
	case ref == "":
		return "", errors.New("must name a file")
	case strings.HasPrefix(ref, "/"):
		return "", fmt.Errorf("%q must be relative to the directory of %s", ref, bundle)
	}
	p := path.Join(path.Dir(bundle), ref)
	if !fs.ValidPath(p) {
		return "", fmt.Errorf("%q leads outside the file system", ref)
	}
	return p, nil
}

// inlineField names the field of one inline policy.
func inlineField(name string) string { return fmt.Sprintf("inline_policies[%q]", name) }

// jsonFields returns the JSON names of the fields of struct type t,
// embedded structs included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
