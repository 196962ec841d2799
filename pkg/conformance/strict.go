package conformance

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/jsonpos"
)

// lineLimits leave nesting to encoding/json's own limit and to the engine,
// which bounds the depth of each policy; duplicate keys are found by
// lineWalk, so that those inside a policy are left to the engine, whose
// message names the policy.
var lineLimits = jsonpos.Limits{MaxDepth: 10_000, DuplicateKeys: true}

// policyFields are the members of a case that hold policy documents.
var policyFields = []string{"identity_policies", "resource_policy", "permissions_boundary", "session_policies", "scps"}

// checkLine reads a case line with the checks encoding/json lacks, naming
// the member at fault: invalid UTF-8 (which encoding/json reads as U+FFFD),
// a key the case or its request has twice, and two context keys that are
// the same but for case (condition keys are case-insensitive), where
// encoding/json would keep the last and another reader could take the
// first.
func checkLine(line []byte) error {
	w := lineWalk{}
	w.d.ResetBorrowed(line, lineLimits)
	w.value("", "")
	if w.err == nil && w.d.Err() == nil {
		w.d.Finish()
	}
	if w.err != nil {
		return w.err
	}
	var se *jsonpos.SyntaxError
	if err := w.d.Err(); errors.As(err, &se) {
		return w.errorf(se.Pos, "invalid JSON: %s", se.Msg)
	} else if err != nil {
		return err
	}
	return nil
}

// lineWalk walks a case line; err is the first problem it finds itself,
// at the member path, which also names where a syntax error is.
type lineWalk struct {
	d    jsonpos.Decoder
	path string
	err  error
}

func (w *lineWalk) errorf(pos jsonpos.Pos, format string, args ...any) error {
	msg := fmt.Sprintf("%d:%d: %s", pos.Line, pos.Col, fmt.Sprintf(format, args...))
	if w.path != "" {
		msg = w.path + ": " + msg
	}
	return errors.New(msg)
}

// value reads the value at path, the member key of its parent object.
func (w *lineWalk) value(parent, key string) {
	path := key
	if parent != "" {
		path = parent + "." + key
	}
	kind, _ := w.d.Peek()
	switch {
	case kind != jsonpos.Object, parent == "" && slices.Contains(policyFields, key):
		w.d.Skip()
	case path == "", path == "request", path == "request.context":
		w.object(path, path == "request.context")
	default:
		w.d.Skip()
	}
	if (w.d.Err() != nil || w.err != nil) && w.path == "" {
		w.path = path
	}
}

// object reads the object at path, refusing a key it has twice and, when
// fold is set, two keys equal but for case.
func (w *lineWalk) object(path string, fold bool) {
	type seen struct {
		key string
		pos jsonpos.Pos
	}
	keys := make(map[string]seen)
	w.d.BeginObject()
	for w.err == nil {
		key, pos, ok := w.d.NextKey()
		if !ok {
			return
		}
		id := key
		if fold {
			id = strings.ToLower(key)
		}
		if first, dup := keys[id]; dup {
			w.path = path
			if first.key == key {
				w.err = w.errorf(pos, "duplicate key %q (first at line %d, column %d)", key, first.pos.Line, first.pos.Col)
			} else {
				w.err = w.errorf(pos, "keys %q and %q differ only in case, and condition keys are case-insensitive (first at line %d, column %d)",
					first.key, key, first.pos.Line, first.pos.Col)
			}
			return
		}
		keys[id] = seen{key, pos}
		w.value(path, key)
	}
}
