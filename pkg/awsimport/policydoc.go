package awsimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
)

// documentText returns the text of a policy document given in any of the
// encodings AWS uses, normalized so that the three give the same bytes:
//
//   - a JSON object, as the AWS CLI prints it after decoding;
//   - a JSON string holding the document's JSON text;
//   - a JSON string holding the document URL-encoded (RFC 3986), as the IAM
//     API and the AWS SDKs return it.
//
// The text is indented with two spaces, keys in their original order, so
// that line and column in a message point into the file pdp writes.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html
func documentText(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	var text []byte
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, errors.New("missing policy document")
	case raw[0] == '{':
		text = raw
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("invalid JSON string: %v", err)
		}
		t := bytes.TrimSpace([]byte(s))
		if len(t) > 0 && t[0] == '{' {
			text = t
			break
		}
		dec, err := url.PathUnescape(s)
		if err != nil {
			return nil, fmt.Errorf("a string policy document must hold JSON or URL-encoded JSON: %v", err)
		}
		text = bytes.TrimSpace([]byte(dec))
		if len(text) == 0 || text[0] != '{' {
			return nil, fmt.Errorf("a string policy document must hold a JSON object, got %.40q", s)
		}
	default:
		return nil, fmt.Errorf("a policy document must be a JSON object or a string, got %.40s", raw)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, text); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(text, syntaxOffset(text, se))
			return nil, fmt.Errorf("document %d:%d: invalid JSON: %v", line, col, se)
		}
		return nil, fmt.Errorf("document: invalid JSON: %v", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("document: %v", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
