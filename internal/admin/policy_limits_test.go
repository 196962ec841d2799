package admin_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/admin"
	"github.com/pdp-dev/pdp/internal/servertest"
)

// TestPolicyWriteSizeQuota checks that a write is held to the AWS size
// quotas: a managed policy over 6,144 characters (white space not counted)
// is refused with the finding, and nothing is written.
func TestPolicyWriteSizeQuota(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	var stmts []string
	for i := range 80 {
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%03d","Effect":"Allow","Action":"mobiletargeting:GetSegment","Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/app%03d/*"}`, i, i))
	}
	doc, _ := json.Marshal(map[string]any{"name": "Huge",
		"document": json.RawMessage(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)})
	before := e.Revision()
	_, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{
		servertest.PutChange(servertest.Key(pdpv1.EntityKind_ENTITY_KIND_MANAGED_POLICY, "Huge"), string(doc))}})
	got := decodeError(err)
	require.Equal(t, codes.InvalidArgument, got.Code, "oversized managed policy: %v", got)
	require.Contains(t, got.Msg, "6,144", "oversized managed policy: the message names the limit")
	assert.Equal(t, before, e.Revision(), "revision after a refused write")
}

// TestChangesPerCallLimit checks that an ApplyChanges call of more changes
// than the limit is refused naming the limit, and nothing is written.
func TestChangesPerCallLimit(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{Admin: admin.Config{MaxChangesPerCall: 2}})
	var changes []*pdpv1.Change
	for i := range 3 {
		arn := fmt.Sprintf("arn:aws:iam::111122223333:user/temp%d", i)
		changes = append(changes, servertest.PutChange(servertest.Key(pdpv1.EntityKind_ENTITY_KIND_USER, arn), fmt.Sprintf(`{"arn": %q}`, arn)))
	}
	before := e.Revision()
	_, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: changes})
	checkError(t, decodeError(err), codes.InvalidArgument, []string{"changes"}, "INVALID_REQUEST", "3 changes exceed the limit of 2 in one call")
	require.Equal(t, before, e.Revision())
	_, err = e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: changes[:2]})
	require.NoError(t, err)
}
