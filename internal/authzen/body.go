package authzen

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/jsonpos"
)

// bodyLimits leave nesting to encoding/json's own limit, as json.Valid
// did, and to the engine, which bounds the depth of a session policy.
var bodyLimits = jsonpos.Limits{MaxDepth: 10_000}

// checkBody reads body, one JSON value, with the checks encoding/json
// lacks: it keeps the last of two duplicate members, where another reader
// of the same request could take the first, and reads invalid UTF-8 as
// U+FFFD, which the gRPC API refuses. The error names the member the
// problem is in, e.g. `context.aws:RequestedRegion`, and its position.
func checkBody(body []byte) error {
	w := bodyWalk{}
	w.d.ResetBorrowed(body, bodyLimits)
	w.value()
	if w.d.Err() == nil {
		w.d.Finish()
	}
	err := w.d.Err()
	var se *jsonpos.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	where := ""
	if w.failedAt != "" {
		where = " in " + rpcerr.Clip(w.failedAt)
	}
	return fmt.Errorf("malformed request body%s at line %d, column %d: %s", where, se.Pos.Line, se.Pos.Col, se.Msg)
}

// bodyWalk walks a body, keeping the path of the member being read, and
// that path when the walk meets the first error.
type bodyWalk struct {
	d        jsonpos.Decoder
	path     []string
	failedAt string
}

// value reads the next value whole, with every check of jsonpos.
func (w *bodyWalk) value() {
	switch kind, _ := w.d.Peek(); kind {
	case jsonpos.Object:
		w.d.BeginObject()
		for {
			key, _, ok := w.d.NextKey()
			if !ok {
				break
			}
			w.path = append(w.path, w.member(key))
			w.value()
			w.path = w.path[:len(w.path)-1]
		}
	case jsonpos.Array:
		w.d.BeginArray()
		for i := 0; w.d.NextElem(); i++ {
			w.path = append(w.path, "["+strconv.Itoa(i)+"]")
			w.value()
			w.path = w.path[:len(w.path)-1]
		}
	case jsonpos.String:
		w.d.ReadString()
	default:
		w.d.ReadScalar()
	}
	if w.d.Err() != nil && w.failedAt == "" {
		w.failedAt = strings.Join(w.path, "")
	}
}

// member is the path step of a member: ".key", without the dot at the
// top level.
func (w *bodyWalk) member(key string) string {
	if len(w.path) == 0 {
		return key
	}
	return "." + key
}
