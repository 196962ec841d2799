package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestAdminAuthorization runs pdp serve with bearer tokens and admin
// policies: a reader may get but not write, an explicit Deny wins, a caller
// without a token is unauthenticated, and decisions stay open.
func TestAdminAuthorization(t *testing.T) {
	dir := t.TempDir()
	tokens := map[string]string{
		"reader-token": "arn:aws:iam::111122223333:user/reader",
		"admin-token":  "arn:aws:iam::111122223333:role/pdp-admin",
	}
	var lines []string
	for tok, arn := range tokens {
		sum := sha256.Sum256([]byte(tok))
		lines = append(lines, "sha256:"+hex.EncodeToString(sum[:])+" "+arn)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	tokenFile := write("tokens.txt", strings.Join(lines, "\n")+"\n")
	policies := write("admin.json", `{"principals": {
  "arn:aws:iam::111122223333:user/reader": [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "pdp:Get*", "Resource": "*"}]}],
  "arn:aws:iam::111122223333:role/pdp-admin": [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "pdp:*", "Resource": "*"},
    {"Sid": "NoSCPChanges", "Effect": "Deny", "Action": "pdp:ApplyChanges", "Resource": "arn:pdp:store:::entity/scp/*"}]}]}}`)
	root, _ := filepath.Abs("..")
	c := dialServer(t, startServer(t, pdpBinary(t), root, "--policies", "examples/model",
		"--auth-tokens", tokenFile, "--admin-policies", policies, "--require-auth=true"))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	as := func(token string) context.Context {
		if token == "" {
			return ctx
		}
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	aliceKey := &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: "arn:aws:iam::111122223333:user/alice"}
	putSCP := &pdpv1.ApplyChangesRequest{DryRun: true, Changes: []*pdpv1.Change{{Op: pdpv1.ChangeOp_CHANGE_OP_PUT,
		Key:      &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_SCP, Id: "Extra"},
		Document: `{"name": "Extra", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}`}}}
	putUser := &pdpv1.ApplyChangesRequest{DryRun: true, Changes: []*pdpv1.Change{{Op: pdpv1.ChangeOp_CHANGE_OP_PUT,
		Key: &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: carol}, Document: `{"arn": "` + carol + `"}`}}}
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"no token", func() error { _, err := c.admin.GetEntity(as(""), &pdpv1.GetEntityRequest{Key: aliceKey}); return err }, codes.Unauthenticated},
		{"wrong token", func() error {
			_, err := c.admin.GetEntity(as("reader-tokem"), &pdpv1.GetEntityRequest{Key: aliceKey})
			return err
		}, codes.Unauthenticated},
		{"reader reads", func() error {
			_, err := c.admin.GetEntity(as("reader-token"), &pdpv1.GetEntityRequest{Key: aliceKey})
			return err
		}, codes.OK},
		{"reader cannot write", func() error { _, err := c.admin.ApplyChanges(as("reader-token"), putUser); return err }, codes.PermissionDenied},
		{"admin writes", func() error { _, err := c.admin.ApplyChanges(as("admin-token"), putUser); return err }, codes.OK},
		{"explicit deny wins", func() error { _, err := c.admin.ApplyChanges(as("admin-token"), putSCP); return err }, codes.PermissionDenied},
		{"decisions stay open", func() error { _, err := carolReadsSegment(ctx, c, 0); return err }, codes.OK},
	}
	for _, tc := range tests {
		err := tc.call()
		assert.Equal(t, tc.want, status.Code(err), "%s: %v", tc.name, err)
		if tc.want == codes.PermissionDenied {
			assert.NotContains(t, status.Convert(err).Message(), "NoSCPChanges", "%s: the denying statement leaked into the reply", tc.name)
		}
	}
}
