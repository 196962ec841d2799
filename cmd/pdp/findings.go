package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// A finding is one problem in a policy directory, placed in the file the
// user wrote: the YAML or JSON bundle, or a policy document file, with the
// line and column there when they can be found (0 when not).
type finding struct {
	file      string
	line, col int
	entity    string // e.g. `user "arn:aws:iam::111122223333:user/carol"`
	field     string // e.g. "groups[0]" or `inline_policies["Read"].Statement[0].Action`
	msg       string
	warning   bool
}

// String writes the finding as one line, as pdp validate does:
// "FILE:LINE:COL: error: ENTITY: FIELD: MESSAGE", leaving out what is
// unknown.
func (f finding) String() string {
	var b strings.Builder
	if f.file != "" {
		b.WriteString(f.file)
		if f.line > 0 {
			fmt.Fprintf(&b, ":%d:%d", f.line, f.col)
		}
		b.WriteString(": ")
	}
	if f.warning {
		b.WriteString("warning: ")
	} else {
		b.WriteString("error: ")
	}
	for _, s := range []string{f.entity, f.field} {
		if s != "" {
			b.WriteString(s + ": ")
		}
	}
	b.WriteString(f.msg)
	return b.String()
}

// bundleFiles reads the bundle files of a policy directory, or the one
// bundle file, to place findings in: name (as the user gave it) → text.
type bundleFiles struct {
	dir   string            // what problem file names are relative to
	texts map[string][]byte // by name relative to dir
	order []string          // names in lexical order
}

// readBundleFiles reads every *.yaml, *.yml and *.json file under path (a
// directory or one file). Unreadable files are left out: a finding in one
// then has no position.
func readBundleFiles(path string) *bundleFiles {
	bf := &bundleFiles{texts: make(map[string][]byte)}
	fi, err := os.Stat(path)
	if err != nil {
		return bf
	}
	if !fi.IsDir() {
		bf.dir = filepath.Dir(path)
		if data, err := os.ReadFile(path); err == nil {
			name := filepath.Base(path)
			bf.texts[name], bf.order = data, []string{name}
		}
		return bf
	}
	bf.dir = path
	_ = fs.WalkDir(os.DirFS(path), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		switch filepath.Ext(name) {
		case ".yaml", ".yml", ".json":
			if data, err := os.ReadFile(filepath.Join(path, name)); err == nil {
				bf.texts[name] = data
				bf.order = append(bf.order, name)
			}
		}
		return nil
	})
	return bf
}

// display is a file name as the user would write it: under dir.
func (bf *bundleFiles) display(name string) string {
	if name == "" {
		return ""
	}
	return filepath.Join(bf.dir, name)
}

// placeProblems turns the problems of loading or validating the files
// into findings. A problem inside a policy document keeps the position
// the engine found when the document's text is the file's; a document
// converted from YAML is placed by walking the YAML.
func (bf *bundleFiles) placeProblems(probs entity.Problems) []finding {
	out := make([]finding, 0, len(probs))
	for _, p := range probs {
		f := finding{file: bf.display(p.File), entity: p.Entity, field: p.Field,
			warning: p.Severity == engine.SeverityWarning}
		var pe *engine.PolicyError
		if errors.As(p.Err, &pe) {
			f.msg = pe.Msg
			// A document kept in a file of its own (inline_policy_files)
			// keeps the field that names it: the position is in that file.
			f.field = joinPath(p.Field, pe.Path())
			f.line, f.col = pe.Line, pe.Col
		} else if p.Err != nil {
			f.msg = p.Err.Error()
		}
		if f.line == 0 && p.Entity != "" {
			path := f.field
			if m := unknownField.FindStringSubmatch(f.msg); path == "" && m != nil {
				path = m[1] // place it at the field that should not be there
			}
			f.line, f.col = locate(bf.texts[p.File], p.Entity, path)
		}
		out = append(out, f)
	}
	return out
}

// unknownField matches the message of a bundle field the format does not
// have.
var unknownField = regexp.MustCompile(`^unknown field "([^"]+)"`)

// placeField places a server finding named by a field path such as
// `user "arn:…".groups[0]` in the first file that holds the entity.
func (bf *bundleFiles) placeField(fieldPath, msg string) finding {
	ent, field := splitEntityField(fieldPath)
	f := finding{entity: ent, field: field, msg: msg}
	if ent == "" {
		f.field = fieldPath
		return f
	}
	for _, name := range bf.order {
		if line, col := locate(bf.texts[name], ent, field); line > 0 {
			f.file, f.line, f.col = bf.display(name), line, col
			return f
		}
	}
	return f
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// entityLabel matches the label of an entity in a message: its kind and
// its quoted key, e.g. `group "marketing" in account "111122223333"`.
var entityLabel = regexp.MustCompile(`^(account|managed policy|scp|group|user|role|resource) ("(?:[^"\\]|\\.)*")(?: in account ("(?:[^"\\]|\\.)*"))?`)

// splitEntityField splits `user "arn:…".groups[0]` into the entity label
// and the field below it; ent is "" when s names no entity.
func splitEntityField(s string) (ent, field string) {
	m := entityLabel.FindStringSubmatchIndex(s)
	if m == nil {
		return "", s
	}
	ent, rest := s[:m[1]], s[m[1]:]
	return ent, strings.TrimPrefix(rest, ".")
}

// listKeys says, for each kind of entity, its list in a bundle and the
// field holding its key.
var listKeys = map[string][2]string{
	"account": {"accounts", "id"}, "managed policy": {"managed_policies", "name"}, "scp": {"scps", "name"},
	"group": {"groups", "name"}, "user": {"users", "arn"}, "role": {"roles", "arn"}, "resource": {"resources", "arn"},
}

// locate returns the line and column, in a YAML or JSON bundle text, of
// the field path below the entity with label ent; the deepest part of the
// path that exists when not all of it does; 0, 0 when the text does not
// hold the entity.
func locate(text []byte, ent, path string) (line, col int) {
	if len(text) == 0 {
		return 0, 0
	}
	m := entityLabel.FindStringSubmatch(ent)
	if m == nil {
		return 0, 0
	}
	lk := listKeys[m[1]]
	id, err := strconv.Unquote(m[2])
	if err != nil {
		return 0, 0
	}
	var doc yaml.Node
	if yaml.Unmarshal(text, &doc) != nil || len(doc.Content) == 0 {
		return 0, 0
	}
	list := member(doc.Content[0], lk[0])
	if list == nil || list.Kind != yaml.SequenceNode {
		return 0, 0
	}
	for _, el := range list.Content {
		if k := member(el, lk[1]); k != nil && k.Kind == yaml.ScalarNode && k.Value == id {
			n := walk(el, path)
			return n.Line, n.Column
		}
	}
	return 0, 0
}

// pathStep matches one step of a field path: .name, [index] or ["key"].
var pathStep = regexp.MustCompile(`^(?:\.?([^.\[\]"]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])`)

// walk follows path from n as far as it goes and returns the node reached.
// A one-element list written as a scalar ("Action": "x" for Action[0])
// stops the walk at the scalar.
func walk(n *yaml.Node, path string) *yaml.Node {
	for path != "" {
		m := pathStep.FindStringSubmatch(path)
		if m == nil {
			return n
		}
		path = path[len(m[0]):]
		var next *yaml.Node
		switch {
		case m[1] != "":
			next = member(n, m[1])
		case m[2] != "":
			i, _ := strconv.Atoi(m[2])
			if n.Kind == yaml.SequenceNode && i < len(n.Content) {
				next = n.Content[i]
			}
		default:
			k, _ := strconv.Unquote(m[3])
			next = member(n, k)
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// member returns the value of key in a mapping node, matching the case
// as written first, then any case (IAM's element names are not case
// sensitive).
func member(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var fold *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; {
		case k == key:
			return n.Content[i+1]
		case fold == nil && strings.EqualFold(k, key):
			fold = n.Content[i+1]
		}
	}
	return fold
}

// logServeError logs why pdp serve failed. Problems of the seed directory
// are logged one record each, with the file, line and column, entity and
// field, rather than as one long escaped line.
func logServeError(ctx context.Context, log *slog.Logger, o serveOptions, err error) {
	var probs entity.Problems
	if !errors.As(err, &probs) {
		log.ErrorContext(ctx, "serve failed", "err", err)
		return
	}
	dir := o.seed
	if o.policies != "" {
		dir = o.policies
	}
	files := readBundleFiles(dir)
	for _, f := range files.placeProblems(probs) {
		log.ErrorContext(ctx, "policy problem", "file", f.file, "line", f.line, "col", f.col,
			"entity", f.entity, "field", f.field, "err", f.msg)
	}
	log.ErrorContext(ctx, "serve failed", "err", fmt.Sprintf("seed from %s: %d problems, logged above", dir, len(probs)))
}
