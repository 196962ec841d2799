package server_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// newPolicyCheckClient serves PolicyCheckService over bufconn, with no
// snapshot: the checks read only their requests.
func newPolicyCheckClient(t *testing.T) pdpv1.PolicyCheckServiceClient {
	t.Helper()
	srv := server.New(server.Config{}, loadCatalog(t), nil)
	conn := dial(t, server.NewPolicyChecker(srv).Register)
	return pdpv1.NewPolicyCheckServiceClient(conn)
}

const (
	checkReadApps = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"mobiletargeting:Get*",` +
		`"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/*"}]}`
	checkDeleteApps = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"mobiletargeting:Get*",` +
		`"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/*"},` +
		`{"Sid":"Delete","Effect":"Allow","Action":"mobiletargeting:DeleteApp","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`
	identityPolicy = pdpv1.AccessCheckPolicyType_ACCESS_CHECK_POLICY_TYPE_IDENTITY_POLICY
)

func TestPolicyCheckServiceCheckNoNewAccess(t *testing.T) {
	t.Parallel()
	c := newPolicyCheckClient(t)
	resp, err := c.CheckNoNewAccess(t.Context(), &pdpv1.CheckNoNewAccessRequest{
		ExistingPolicyDocument: checkReadApps, NewPolicyDocument: checkDeleteApps, PolicyType: identityPolicy})
	require.NoError(t, err)
	assert.Equal(t, pdpv1.CheckResult_CHECK_RESULT_FAIL, resp.GetResult())
	require.Len(t, resp.GetReasons(), 1)
	r := resp.GetReasons()[0]
	assert.Equal(t, int32(1), r.GetStatementIndex())
	assert.Equal(t, "Delete", r.GetStatementId())
	assert.True(t, r.GetConditional())
	assert.Contains(t, r.GetDescription(), "mobiletargeting:DeleteApp on arn:")

	resp, err = c.CheckNoNewAccess(t.Context(), &pdpv1.CheckNoNewAccessRequest{
		ExistingPolicyDocument: checkDeleteApps, NewPolicyDocument: checkReadApps, PolicyType: identityPolicy})
	require.NoError(t, err)
	assert.Equal(t, pdpv1.CheckResult_CHECK_RESULT_PASS, resp.GetResult())
	assert.Empty(t, resp.GetReasons())
}

func TestPolicyCheckServiceCheckAccessNotGranted(t *testing.T) {
	t.Parallel()
	c := newPolicyCheckClient(t)
	resp, err := c.CheckAccessNotGranted(t.Context(), &pdpv1.CheckAccessNotGrantedRequest{
		PolicyDocument: checkDeleteApps, PolicyType: identityPolicy,
		Access: []*pdpv1.NotGrantedAccess{{Actions: []string{"mobiletargeting:DeleteApp", "s3:DeleteBucket"}}}})
	require.NoError(t, err)
	assert.Equal(t, pdpv1.CheckResult_CHECK_RESULT_FAIL, resp.GetResult())
	require.Len(t, resp.GetReasons(), 1)
	assert.Equal(t, "Delete", resp.GetReasons()[0].GetStatementId())
	assert.Contains(t, strings.Join(resp.GetNotes(), "\n"), `"s3:DeleteBucket" is outside pdp's domain`)

	resp, err = c.CheckAccessNotGranted(t.Context(), &pdpv1.CheckAccessNotGrantedRequest{
		PolicyDocument: checkReadApps, PolicyType: identityPolicy,
		Access: []*pdpv1.NotGrantedAccess{{Resources: []string{"arn:aws:mobiletargeting:us-east-1:444455556666:apps/a"}}}})
	require.NoError(t, err)
	assert.Equal(t, pdpv1.CheckResult_CHECK_RESULT_PASS, resp.GetResult())
}

func TestPolicyCheckServiceErrors(t *testing.T) {
	t.Parallel()
	c := newPolicyCheckClient(t)
	tests := []struct {
		name      string
		call      func() error
		wantField string
		wantMsg   string
	}{
		{"no policy type", func() error {
			_, err := c.CheckNoNewAccess(t.Context(), &pdpv1.CheckNoNewAccessRequest{
				ExistingPolicyDocument: checkReadApps, NewPolicyDocument: checkReadApps})
			return err
		}, "policy_type", "must be IDENTITY_POLICY or RESOURCE_POLICY"},
		{"missing document", func() error {
			_, err := c.CheckNoNewAccess(t.Context(), &pdpv1.CheckNoNewAccessRequest{
				ExistingPolicyDocument: checkReadApps, PolicyType: identityPolicy})
			return err
		}, "new_policy_document", "missing"},
		{"document too large", func() error {
			_, err := c.CheckNoNewAccess(t.Context(), &pdpv1.CheckNoNewAccessRequest{
				ExistingPolicyDocument: checkReadApps, NewPolicyDocument: strings.Repeat(" ", 20000) + checkReadApps, PolicyType: identityPolicy})
			return err
		}, "new_policy_document", "over the limit of"},
		{"policy does not parse", func() error {
			_, err := c.CheckNoNewAccess(t.Context(), &pdpv1.CheckNoNewAccessRequest{
				ExistingPolicyDocument: checkReadApps, NewPolicyDocument: `{"Version":"2012-10-17","Statement":{"Effect":"Maybe"}}`,
				PolicyType: identityPolicy})
			return err
		}, "new", `policy "new"`},
		{"no access", func() error {
			_, err := c.CheckAccessNotGranted(t.Context(), &pdpv1.CheckAccessNotGrantedRequest{
				PolicyDocument: checkReadApps, PolicyType: identityPolicy})
			return err
		}, "access", "want exactly one access, got 0"},
		{"empty access", func() error {
			_, err := c.CheckAccessNotGranted(t.Context(), &pdpv1.CheckAccessNotGrantedRequest{
				PolicyDocument: checkReadApps, PolicyType: identityPolicy, Access: []*pdpv1.NotGrantedAccess{{}}})
			return err
		}, "access", "give at least one action or resource"},
		{"unknown action", func() error {
			_, err := c.CheckAccessNotGranted(t.Context(), &pdpv1.CheckAccessNotGrantedRequest{
				PolicyDocument: checkReadApps, PolicyType: identityPolicy,
				Access: []*pdpv1.NotGrantedAccess{{Actions: []string{"mobiletargeting:GetAppz"}}}})
			return err
		}, "access.actions[0]", `unknown action "mobiletargeting:GetAppz"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := decodeError(tc.call())
			assert.Equal(t, codes.InvalidArgument, got.Code, got.String())
			assert.True(t, hasField(got.Fields, tc.wantField), got.String())
			assert.Contains(t, got.Msg, tc.wantMsg)
		})
	}
}
