package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestResourceARNs checks that Check and Simulate refuse a resource that
// is not "*" or a well-formed ARN, saying which part is wrong, and decide
// the ones that are.
func TestResourceARNs(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	policy := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:GetCampaign","Resource":"*"}}`
	tests := []struct {
		resource string
		wantMsg  string // "" when the resource is decided
	}{
		{"*", ""},
		{springSale, ""},
		{"arn:aws:mobiletargeting::111122223333:apps/x", ""}, // no region: a global resource
		{"arn:aws-cn:mobiletargeting:cn-north-1:111122223333:apps/x", ""},
		{"not-an-arn", `want an ARN`},
		{"arn::::::", "the partition"},
		{"arn:aws:::111122223333:apps/x", "the service"},
		{"arn:aws:mobiletargeting:US East:111122223333:apps/x", "the region is malformed"},
		{"arn:aws:mobiletargeting:us-east-1:12:apps/x", "the account must be 12 digits"},
		{"arn:aws:mobiletargeting:us-east-1::apps/x", "the account must be 12 digits"},
		{"arn:aws:mobiletargeting:us-east-1:111122223333:", "the resource part is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.resource, func(t *testing.T) {
			t.Parallel()
			_, checkErr := ts.client.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice,
				Action: "mobiletargeting:GetCampaign", Resource: tc.resource, Context: usEast()})
			_, simErr := ts.client.Simulate(t.Context(), &pdpv1.SimulateRequest{Principal: alice,
				Action: "mobiletargeting:GetCampaign", Resource: tc.resource, IdentityPolicies: []string{policy}})
			for name, err := range map[string]error{"Check": checkErr, "Simulate": simErr} {
				if tc.wantMsg == "" {
					assert.NoError(t, err, name)
					continue
				}
				got := decodeError(err)
				assert.Equal(t, codes.InvalidArgument, got.Code, "%s: %v", name, got)
				assert.Equal(t, []string{"resource"}, got.Fields, name)
				assert.Contains(t, got.Msg, "malformed resource", name)
				assert.Contains(t, got.Msg, tc.wantMsg, name)
			}
		})
	}
}
