package authzen

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/pdp-dev/pdp/internal/rpcerr"
)

// pdpOptionsOf reads pdp's options from raw, the value of the member field
// ("context.pdp" or "options.pdp"). A member of the wrong type is named
// with what was given: `context.pdp.min_revision: want a non-negative
// integer, not 1.5`. Members it does not know are ignored, as AuthZEN asks
// of members it does not define.
func pdpOptionsOf(field string, raw json.RawMessage) (pdpOptions, error) {
	var opts pdpOptions
	if len(bytes.TrimSpace(raw)) == 0 || isNull(raw) {
		return opts, nil
	}
	var ms map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ms); err != nil {
		return opts, badRequest("%s: want an object such as {\"explain\": true}, not %s", field, given(raw))
	}
	for _, key := range []string{"explain", "decision_context", "min_revision"} {
		v, ok := ms[key]
		if !ok {
			continue
		}
		var err error
		switch key {
		case "explain":
			err = boolOption(field, key, v, &opts.Explain)
		case "decision_context":
			err = boolOption(field, key, v, &opts.DecisionContext)
		case "min_revision":
			err = revisionOption(field, key, v, &opts.MinRevision)
		}
		if err != nil {
			return pdpOptions{}, err
		}
	}
	return opts, nil
}

// boolOption reads the boolean option key of field into b; null leaves it
// false.
func boolOption(field, key string, v json.RawMessage, b *bool) error {
	if isNull(v) {
		return nil
	}
	if json.Unmarshal(v, b) != nil {
		return badRequest("%s.%s: want a boolean (true or false), not %s", field, key, given(v))
	}
	return nil
}

// revisionOption reads a revision, a non-negative integer, into rev; null
// leaves it 0.
func revisionOption(field, key string, v json.RawMessage, rev *int64) error {
	if isNull(v) {
		return nil
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
	if err != nil || n < 0 {
		return badRequest("%s.%s: want a non-negative integer, not %s", field, key, given(v))
	}
	*rev = n
	return nil
}

// given is a value as the caller wrote it, clipped, for a message.
func given(v json.RawMessage) string { return rpcerr.Clip(string(bytes.TrimSpace(v))) }
