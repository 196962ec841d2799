package awsimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// A Problem is one thing wrong with the input: in which file, where inside
// it (a JSON path such as `RoleDetailList[12] (role/app-deployer)
// RolePolicyList[0] "deploy"`), and what.
type Problem struct {
	File string
	Path string
	// Line and Col are 1-based positions in File, or zero when unknown.
	Line, Col int
	Msg       string
}

func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Col)
	}
	if p.Path != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(p.Path)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in an import; an import with any is
// refused.
type Problems []*Problem

func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "\n")
}

// Err returns ps as an error, or a plain nil when it is empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// add appends a problem.
func (ps *Problems) add(file, path, format string, args ...any) {
	*ps = append(*ps, &Problem{File: file, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// lineCol converts a byte offset of data into a 1-based line and column.
func lineCol(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}

// syntaxOffset returns where a JSON syntax error is in data: the end of
// the text when the text ends too early.
func syntaxOffset(data []byte, se *json.SyntaxError) int {
	if strings.Contains(se.Error(), "unexpected end") {
		return len(bytes.TrimRight(data, " \t\r\n"))
	}
	return int(se.Offset) - 1
}
