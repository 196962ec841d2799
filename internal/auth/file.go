package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// A pair is one entry of a token or identity file: a key and the principal
// ARN it stands for, with the line it is on.
type pair struct {
	key, principal string
	line           int
}

// parsePairs reads a file that maps keys to principal ARNs, either as one
// JSON object of strings or as text, one "KEY PRINCIPAL" a line (the
// principal is the last field, so a key may hold spaces; blank lines and
// lines starting with '#' are skipped). Keys must be unique and principals
// must be IAM ARNs.
func parsePairs(name string, data []byte) ([]pair, error) {
	var (
		pairs []pair
		err   error
	)
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		pairs, err = parseJSONPairs(name, data)
	} else {
		pairs, err = parseTextPairs(name, data)
	}
	if err != nil {
		return nil, err
	}
	seen := make(map[string]int, len(pairs))
	for _, p := range pairs {
		if first, dup := seen[p.key]; dup {
			return nil, fmt.Errorf("%s:%d: %q is listed twice (first on line %d)", name, p.line, p.key, first)
		}
		seen[p.key] = p.line
		if err := checkPrincipal(p.principal); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, p.line, err)
		}
	}
	return pairs, nil
}

func parseTextPairs(name string, data []byte) ([]pair, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: not UTF-8 text", name)
	}
	var pairs []pair
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		j := strings.LastIndexAny(line, " \t")
		if j < 0 {
			return nil, fmt.Errorf("%s:%d: want KEY PRINCIPAL_ARN, separated by a space", name, i+1)
		}
		pairs = append(pairs, pair{key: strings.TrimSpace(line[:j]), principal: line[j+1:], line: i + 1})
	}
	return pairs, nil
}

// parseJSONPairs reads a JSON object of strings token by token, so that a
// key given twice is an error rather than silently the last one.
func parseJSONPairs(name string, data []byte) ([]pair, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) error { return jsonError(name, data, dec, err) }
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fail(err)
	}
	var pairs []pair
	for dec.More() {
		line, _ := lineCol(data, nextToken(data, dec))
		kt, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		vt, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		v, ok := vt.(string)
		if !ok {
			return nil, fmt.Errorf("%s:%d: the value of %q must be a principal ARN string", name, line, kt)
		}
		pairs = append(pairs, pair{key: kt.(string), principal: v, line: line})
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fail(err)
	}
	if err := expectEOF(dec); err != nil {
		return nil, fail(err)
	}
	return pairs, nil
}

// expectDelim reads the next token, which must be the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("want %q, found %v", string(d), t)
	}
	return nil
}

// expectEOF checks that nothing follows the top-level value.
func expectEOF(dec *json.Decoder) error {
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the top-level object")
	}
	return nil
}

// jsonError places a decoding error at its line and column: a syntax
// error where it is, anything else at the decoder's position. The offset
// of a Decoder's syntax error is not always from the start of the input,
// so the file is scanned again as a whole to find it: the first error of
// the whole is the one the decoder met.
func jsonError(name string, data []byte, dec *json.Decoder, err error) error {
	off := int(dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		var v any
		if errors.As(json.Unmarshal(data, &v), &se) {
			off, err = int(se.Offset)-1, se // Offset counts the byte that was wrong
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of JSON input")
	}
	return errorAt(name, data, off, err)
}

// errorAt places an error at a byte offset of a file.
func errorAt(name string, data []byte, off int, err error) error {
	line, col := lineCol(data, off)
	return fmt.Errorf("%s:%d:%d: %w", name, line, col, err)
}

// nextToken returns the offset where the decoder's next token starts: past
// the white space, comma or colon after the previous one.
func nextToken(data []byte, dec *json.Decoder) int {
	off := int(dec.InputOffset())
	for off < len(data) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}

// lineCol converts a byte offset into a 1-based line and a 1-based column
// counted in runes, as engine.PolicyError positions are.
func lineCol(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, 1 + utf8.RuneCount(before[start:])
}

// checkPrincipal accepts the ARN of an IAM user, an IAM role or an
// assumed-role session.
func checkPrincipal(arn string) error {
	_, err := engine.ParsePrincipalARN(arn)
	return err
}

// readConfigFile reads a file that grants access. A file every user may
// write would let any local user grant themselves admin, so it is refused,
// in the manner of sshd's StrictModes.
func readConfigFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkMode(path, fi); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

func checkMode(path string, fi fs.FileInfo) error {
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("%s is writable by every user (mode %v), so anyone could grant themselves access: chmod o-w %s",
			path, fi.Mode().Perm(), path)
	}
	return nil
}
