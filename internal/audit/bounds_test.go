package audit_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/audit"
)

// TestHugeValuesTruncated checks that the values a caller chooses are cut
// to audit.MaxValueBytes, at a character boundary, with their length noted.
func TestHugeValuesTruncated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	prefix := "arn:aws:iam::111122223333:user/x" // 32 bytes, then 3-byte characters
	id := prefix + strings.Repeat("€", 400)
	requestID := strings.Repeat("r", 300)
	_, err := e.admin.GetEntity(as(t.Context(), readerARN, requestID), &pdpv1.GetEntityRequest{Key: userKey(id)})
	msg := status.Convert(err).Message()
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	require.Greater(t, len(msg), audit.MaxValueBytes, "the message quotes the id")

	recs := e.sink.records(t)
	require.Len(t, recs, 1)
	r := recs[0]
	assert.Equal(t, []audit.Key{{Kind: "user", ID: prefix + strings.Repeat("€", 74), IDLen: len(id)}}, r.Keys,
		"cut at 254 bytes: 256 would split a character")
	assert.Equal(t, strings.Repeat("r", 256), r.RequestID)
	assert.Equal(t, 300, r.RequestIDLen)
	assert.LessOrEqual(t, len(r.Error), audit.MaxValueBytes)
	assert.True(t, strings.HasPrefix(msg, r.Error), "error %q is a prefix of %q", r.Error, msg)
	assert.Equal(t, len(msg), r.ErrorLen)
}

// TestKeysBounded checks that a record lists at most MaxKeys keys and
// counts them all.
func TestKeysBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{maxKeys: 3})
	var changes []*pdpv1.Change
	for i := range 25 {
		changes = append(changes, putUser(fmt.Sprintf("arn:aws:iam::111122223333:user/u%02d", i)))
	}
	_, err := e.admin.ApplyChanges(as(t.Context(), adminARN, "req-1"), &pdpv1.ApplyChangesRequest{Changes: changes, DryRun: true})
	require.NoError(t, err)
	recs := e.sink.records(t)
	require.Len(t, recs, 1)
	assert.Equal(t, []audit.Key{
		{Op: "put", Kind: "user", ID: "arn:aws:iam::111122223333:user/u00"},
		{Op: "put", Kind: "user", ID: "arn:aws:iam::111122223333:user/u01"},
		{Op: "put", Kind: "user", ID: "arn:aws:iam::111122223333:user/u02"},
	}, recs[0].Keys)
	assert.Equal(t, 25, recs[0].KeysTotal)
	assert.True(t, recs[0].DryRun)
}
