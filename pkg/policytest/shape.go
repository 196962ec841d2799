package policytest

import (
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// A Pos is a 1-based line and column in a test file; zero when unknown.
type Pos struct{ Line, Col int }

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// itemPos records where an expectation and its fields are written, so
// that its problems name a line and column: fields holds the value of
// each field written ("action", "allowed") and of each list entry
// ("allowed[1]").
type itemPos struct {
	item   Pos
	fields map[string]Pos
}

func (p *itemPos) has(field string) bool {
	_, ok := p.fields[field]
	return ok
}

// field gives where a field is written, or the expectation when it is not.
func (p *itemPos) field(name string) Pos {
	if q, ok := p.fields[name]; ok {
		return q
	}
	return p.item
}

// Sections of a test file.
const (
	sectionTests   = "tests"
	sectionWhoCan  = "who_can"
	sectionWhatCan = "what_can"
)

// fieldKind is the YAML shape a field takes.
type fieldKind int

const (
	scalarField fieldKind = iota // a string
	listField                    // a list of strings
	mapField                     // a mapping (context)
)

// expectationFields are the fields of the expectations, per section.
var expectationFields = map[string]map[string]fieldKind{
	sectionWhoCan: {"name": scalarField, "action": scalarField, "resource": scalarField, "context": mapField,
		"allowed": listField, "conditional": listField, "match": scalarField},
	sectionWhatCan: {"name": scalarField, "principal": scalarField, "resource": scalarField, "context": mapField,
		"allowed": listField, "conditional": listField, "match": scalarField},
}

// shape is what scanning a test file's YAML found.
type shape struct {
	items map[string][]itemPos // per expectation section, in order
	errs  []*FileError         // File left empty
}

// yamlLine reads the line out of the YAML parser's messages.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// scanShape checks the layout of a test file's expectations, with the
// position of every problem, and records where their fields are. The
// decision cases' layout is left to the JSON decoder that reads them, as
// before. A syntax error is reported with the line the parser gives.
func scanShape(data []byte) (sh shape, fe *FileError) {
	defer func() {
		if r := recover(); r != nil { // the parser must not take the run down
			fe = &FileError{Case: -1, Msg: fmt.Sprintf("invalid YAML: the parser failed: %v", r)}
		}
	}()
	sh.items = map[string][]itemPos{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		fe = &FileError{Case: -1, Msg: err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			fe.Pos.Line, _ = strconv.Atoi(m[1])
			fe.Msg = "invalid YAML: " + m[2]
		}
		return sh, fe
	}
	if len(doc.Content) == 0 {
		return sh, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		sh.errs = append(sh.errs, &FileError{Case: -1, Pos: nodePos(root), Msg: "want a mapping with tests, who_can and what_can"})
		return sh, nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch key.Value {
		case sectionTests:
		case sectionWhoCan, sectionWhatCan:
			sh.scanSection(key.Value, val)
		default:
			sh.errs = append(sh.errs, &FileError{Case: -1, Pos: nodePos(key),
				Msg: fmt.Sprintf("unknown field %q: want tests, who_can or what_can", key.Value)})
		}
	}
	return sh, nil
}

func (sh *shape) scanSection(section string, list *yaml.Node) {
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return
	}
	if list.Kind != yaml.SequenceNode {
		sh.errs = append(sh.errs, &FileError{Section: section, Case: -1, Pos: nodePos(list), Msg: "want a list of expectations"})
		return
	}
	for i, item := range list.Content {
		sh.items[section] = append(sh.items[section], sh.scanItem(section, i, item))
	}
}

func (sh *shape) scanItem(section string, index int, item *yaml.Node) itemPos {
	p := itemPos{item: nodePos(item), fields: map[string]Pos{}}
	fail := func(n *yaml.Node, field, format string, args ...any) {
		sh.errs = append(sh.errs, &FileError{Section: section, Case: index, Name: itemName(item), Field: field,
			Pos: nodePos(n), Msg: fmt.Sprintf(format, args...)})
	}
	if item.Kind != yaml.MappingNode {
		fail(item, "", "want a mapping with name, %s and allowed", map[string]string{
			sectionWhoCan: "action, resource", sectionWhatCan: "principal"}[section])
		return p
	}
	fields := expectationFields[section]
	for i := 0; i+1 < len(item.Content); i += 2 {
		key, val := item.Content[i], item.Content[i+1]
		kind, known := fields[key.Value]
		if !known {
			fail(key, "", "unknown field %q", key.Value)
			continue
		}
		p.fields[key.Value] = nodePos(val)
		switch {
		case kind == scalarField && val.Kind != yaml.ScalarNode:
			fail(val, key.Value, "want a string")
		case kind == mapField && val.Kind != yaml.MappingNode:
			fail(val, key.Value, "want a mapping of condition keys to values")
		case kind == listField && val.Kind != yaml.SequenceNode:
			fail(val, key.Value, "want a list, e.g. [a, b] or []")
		case kind == listField:
			for j, e := range val.Content {
				entry := fmt.Sprintf("%s[%d]", key.Value, j)
				p.fields[entry] = nodePos(e)
				if e.Kind != yaml.ScalarNode {
					fail(e, entry, "want a string")
				}
			}
		}
	}
	return p
}

// itemName gives the name an expectation is written with, if any.
func itemName(item *yaml.Node) string {
	for i := 0; i+1 < len(item.Content); i += 2 {
		if item.Content[i].Value == "name" && item.Content[i+1].Kind == yaml.ScalarNode {
			return item.Content[i+1].Value
		}
	}
	return ""
}
