package entity

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// yamlToJSON converts a YAML file to JSON so that one strict JSON decoder
// serves both formats. Duplicate keys are errors, as YAML requires, and so
// is a second document in the file: the converter would drop it silently.
// Object keys come out sorted; list order is kept.
func yamlToJSON(data []byte) (out []byte, err error) {
	if line := secondDocument(data); line > 0 {
		return nil, fmt.Errorf("line %d: a second YAML document (after ---); put one bundle in each file", line)
	}
	// Bad input must not panic: should the third-party parser do so on
	// some input, the input is reported as invalid instead.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("invalid YAML: the parser failed: %v", r)
		}
	}()
	out, err = yaml.YAMLToJSONStrict(data)
	if err != nil {
		// One line per problem: the parser's messages may span several.
		msg := strings.Join(strings.Fields(strings.TrimPrefix(err.Error(), "yaml: ")), " ")
		return nil, errors.New("invalid YAML: " + msg)
	}
	return out, nil
}

// secondDocument returns the line of a "---" marker that starts a second
// document, or 0. A marker is "---" at the start of a line followed by the
// end of the line, white space or a comment; the first one may open the
// file.
func secondDocument(data []byte) int {
	content := false
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if rest, ok := bytes.CutPrefix(line, []byte("---")); ok && (len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t') {
			if content {
				return i + 1
			}
			content = len(bytes.TrimSpace(rest)) > 0 && rest[bytes.IndexFunc(rest, notSpace)] != '#'
			continue
		}
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' && t[0] != '%' {
			content = true
		}
	}
	return 0
}

func notSpace(r rune) bool { return r != ' ' && r != '\t' }
