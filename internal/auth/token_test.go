package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

func TestHashToken(t *testing.T) {
	// printf %s password | sha256sum
	const want = "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
	assert.Equal(t, want, HashToken("password"), "HashToken")
}

func TestParseTokens(t *testing.T) {
	h1, h2 := HashToken("token-one"), HashToken("token-two")
	tests := []struct {
		name    string
		data    string
		want    map[string]string // token → principal
		wantErr string
	}{
		{name: "JSON", data: `{"` + h1 + `": "` + opsARN + `", "` + h2 + `": "` + adminARN + `"}`,
			want: map[string]string{"token-one": opsARN, "token-two": adminARN}},
		{name: "text", data: "# ops\n" + h1 + " " + opsARN + "\n\n\t" + h2 + "\t" + adminARN + "\n",
			want: map[string]string{"token-one": opsARN, "token-two": adminARN}},
		{name: "two tokens, one principal", data: h1 + " " + opsARN + "\n" + h2 + " " + opsARN + "\n",
			want: map[string]string{"token-one": opsARN, "token-two": opsARN}},
		{name: "upper-case hex", data: "sha256:" + strings.ToUpper(h1[7:]) + " " + opsARN,
			want: map[string]string{"token-one": opsARN}},
		{name: "empty file", data: "", want: map[string]string{}},
		{name: "a token instead of a hash", data: "token-one " + opsARN + "\n",
			wantErr: "tokens:1: an entry is not a token hash: want sha256: and 64 hex digits"},
		{name: "not hex", data: "sha256:" + strings.Repeat("zz", 32) + " " + opsARN,
			wantErr: "tokens:1: an entry is not a token hash: encoding/hex: invalid byte"},
		{name: "same hash twice, different case", data: h1 + " " + opsARN + "\nsha256:" + strings.ToUpper(h1[7:]) + " " + adminARN,
			wantErr: "tokens:2: the token hash is listed twice (first on line 1)"},
		{name: "principal is not an ARN", data: h1 + " ops\n", wantErr: `tokens:1: "ops" is not the ARN`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks, err := ParseTokens("tokens", []byte(tc.data))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.NotContains(t, err.Error(), "token-one", "the error quotes a token")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, len(tc.want), toks.Len(), "Len")
			for tok, p := range tc.want {
				got, ok := toks.Lookup(tok)
				assert.True(t, ok, "Lookup(%q) found nothing", tok)
				assert.Equal(t, p, got, "Lookup(%q)", tok)
			}
		})
	}
}

// TestLookupNearMisses: tokens that differ from a good one only at the
// end are refused. Lookup compares SHA-256 hashes with
// subtle.ConstantTimeCompare against every entry, so a near miss takes as
// long as any other miss.
func TestLookupNearMisses(t *testing.T) {
	const good = "Zx81-Qa7p-Lm3n-Vb5c-Kj2h-Gf9d-Sa4e"
	toks, err := ParseTokens("tokens", []byte(HashToken(good)+" "+opsARN+"\n"+HashToken("other")+" "+adminARN))
	require.NoError(t, err)
	p, ok := toks.Lookup(good)
	require.True(t, ok, "Lookup(good) found nothing")
	require.Equal(t, opsARN, p, "Lookup(good)")
	for _, bad := range []string{
		good[:len(good)-1] + "f", // last byte differs
		good[:len(good)-1] + string(rune(good[len(good)-1]+1)),
		good[:len(good)-1], // one byte short
		good + "\x00",      // one byte more
		"z" + good[1:],     // first byte differs
		"",                 // empty
		HashToken(good),    // the hash itself
		strings.TrimPrefix(HashToken(good), "sha256:"),
	} {
		p, ok := toks.Lookup(bad)
		assert.False(t, ok, "Lookup(%q) = %q, want no match", bad, p)
	}
	var none *Tokens
	_, ok = none.Lookup(good)
	assert.False(t, ok, "nil Tokens matched")
}

// TestReload rewrites the token file: the new token works after Reload,
// the old one no longer does, and a broken file leaves things as they were.
func TestReload(t *testing.T) {
	cfg := fixtureConfig(t)
	az, logs := newAuthorizer(t, cfg)
	h := serve(t, az, nil)
	getAs := func(token string) codes.Code {
		_, err := h.policy.GetEntity(bearer(t.Context(), token), &pdpv1.GetEntityRequest{Key: key(kindUser, "x")})
		return status.Code(err)
	}
	const rotated = "ops-rotated-4Gh8Jk2Lm6Np0Qr"
	require.Equal(t, codes.Unauthenticated, getAs(rotated), "before reload")
	writeFile(t, filepath.Dir(cfg.TokenFile), filepath.Base(cfg.TokenFile), HashToken(rotated)+" "+opsARN+"\n")
	require.Equal(t, codes.OK, getAs(fixtureTokens[opsARN]), "before reload, old token")
	require.NoError(t, az.Reload(t.Context()))
	assert.Equal(t, codes.OK, getAs(rotated), "after reload, new token")
	assert.Equal(t, codes.Unauthenticated, getAs(fixtureTokens[opsARN]), "after reload, old token")

	writeFile(t, filepath.Dir(cfg.TokenFile), filepath.Base(cfg.TokenFile), "garbage\n")
	require.ErrorContains(t, az.Reload(t.Context()), "tokens.txt:1", "Reload of a broken file")
	assert.Equal(t, codes.OK, getAs(rotated), "after a failed reload, want the previous tokens kept")
	assert.Len(t, logRecords(t, logs, "keeping the previous authentication files"), 1, "log records of the failed reload:\n%s", logs)
}

// TestReloadAdminPolicies: Reload reads the admin policies too.
func TestReloadAdminPolicies(t *testing.T) {
	cfg := fixtureConfig(t)
	az, _ := newAuthorizer(t, cfg)
	h := serve(t, az, nil)
	apply := func() codes.Code {
		_, err := h.policy.ApplyChanges(as(t.Context(), opsARN), &pdpv1.ApplyChangesRequest{
			Changes: []*pdpv1.Change{put(kindUser, aliceARN)}})
		return status.Code(err)
	}
	require.Equal(t, codes.PermissionDenied, apply(), "before")
	writeFile(t, filepath.Dir(cfg.AdminPolicies), filepath.Base(cfg.AdminPolicies), `{"principals": {"`+opsARN+`": [
		{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "pdp:*", "Resource": "*"}}]}}`)
	require.NoError(t, az.Reload(t.Context()))
	assert.Equal(t, codes.OK, apply(), "after reload")
}

func TestLoadRefusesWorldWritable(t *testing.T) {
	dir := t.TempDir()
	path := tokenFile(t, dir, map[string]string{opsARN: "x"})
	require.NoError(t, os.Chmod(path, 0o666))
	_, err := LoadTokens(path)
	assert.ErrorContains(t, err, "writable by every user", "LoadTokens of a world-writable file")
}
