package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
)

// tokenHashPrefix names the hash function of a token file entry.
const tokenHashPrefix = "sha256:"

// HashToken returns the token file entry of a bearer token:
// "sha256:" and the lower-case hex SHA-256 of the token's bytes. The shell
// equivalent is
//
//	printf %s "$TOKEN" | sha256sum | awk '{print "sha256:" $1}'
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return tokenHashPrefix + hex.EncodeToString(sum[:])
}

// Tokens is a parsed token file: bearer token hashes and the principals
// they stand for. It holds no token, only hashes. A Tokens is immutable and
// safe for concurrent use; the zero value and nil accept no token.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	hash      [sha256.Size]byte
	principal string
}

// ParseTokens reads a token file: a JSON object, or text lines, mapping
// the hash of each token (see HashToken) to a principal ARN:
//
//	{"sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8": "arn:aws:iam::111122223333:user/ops"}
//
// or
//
//	# hash of the token                                                       principal
//	sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 arn:aws:iam::111122223333:user/ops
//
// Several tokens may stand for one principal (to rotate a token, add the
// new one, reload, retire the old one); one hash may not appear twice. name
// is used in errors.
func ParseTokens(name string, data []byte) (*Tokens, error) {
	pairs, err := parsePairs(name, data)
	if err != nil {
		return nil, err
	}
	t := &Tokens{entries: make([]tokenEntry, 0, len(pairs))}
	seen := make(map[[sha256.Size]byte]int, len(pairs))
	for _, p := range pairs {
		h, err := parseTokenHash(p.key)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, p.line, err)
		}
		if first, dup := seen[h]; dup {
			return nil, fmt.Errorf("%s:%d: the token hash is listed twice (first on line %d)", name, p.line, first)
		}
		seen[h] = p.line
		t.entries = append(t.entries, tokenEntry{hash: h, principal: p.principal})
	}
	return t, nil
}

// LoadTokens reads a token file (see ParseTokens). A file every user may
// write is refused.
func LoadTokens(path string) (*Tokens, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	return ParseTokens(filepath.Base(path), data)
}

func parseTokenHash(s string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	hexPart, ok := strings.CutPrefix(s, tokenHashPrefix)
	if !ok || len(hexPart) != 2*sha256.Size {
		// Do not quote s: it may be a token written in by mistake.
		return h, fmt.Errorf("an entry is not a token hash: want %s and %d hex digits, as HashToken or sha256sum write "+
			"(the file holds hashes of tokens, never tokens)", tokenHashPrefix, 2*sha256.Size)
	}
	if _, err := hex.Decode(h[:], []byte(hexPart)); err != nil {
		return h, fmt.Errorf("an entry is not a token hash: %v", err)
	}
	return h, nil
}

// Len returns the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Lookup returns the principal a bearer token stands for. The token is
// hashed and the hash compared with every entry in constant time
// (crypto/subtle), without stopping at a match and without branching on
// one, so the time taken tells nothing about which entry, or how much of
// one, matched.
func (t *Tokens) Lookup(token string) (principal string, ok bool) {
	if t == nil || token == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(token))
	match, at := 0, 0
	for i := range t.entries {
		eq := subtle.ConstantTimeCompare(sum[:], t.entries[i].hash[:])
		at = subtle.ConstantTimeSelect(eq, i, at)
		match |= eq
	}
	if match == 0 {
		return "", false
	}
	return t.entries[at].principal, true
}
