package awsimport_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pdp-dev/pdp/pkg/awsimport"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	const alice = "arn:aws:iam::111122223333:user/alice"
	const bob = "arn:aws:iam::111122223333:user/bob"
	const other = "arn:aws:iam::444455556666:user/carol"
	imported := []awsimport.Entry{
		{Kind: "user", ID: alice, Document: []byte(`{"arn":"` + alice + `","tags":{"a":"1","b":"2"}}`)},
		{Kind: "managed_policy", ID: "P", Document: []byte(`{"name":"P","account":"111122223333","document":{"Version":"2012-10-17"}}`)},
	}
	current := []awsimport.Entry{
		// The same value, written differently: unchanged.
		{Kind: "user", ID: alice, Document: []byte(`{ "tags": {"b":"2", "a":"1"}, "arn": "` + alice + `" }`)},
		{Kind: "managed_policy", ID: "P", Document: []byte(`{"name":"P","account":"111122223333","document":{"Version":"2008-10-17"}}`)},
		{Kind: "user", ID: bob, Document: []byte(`{"arn":"` + bob + `"}`)},
		{Kind: "user", ID: other, Document: []byte(`{"arn":"` + other + `"}`)},
		{Kind: "managed_policy", ID: "AWSManaged", Document: []byte(`{"name":"AWSManaged"}`)},
		{Kind: "scp", ID: "FullAWSAccess", Document: []byte(`{"name":"FullAWSAccess"}`)},
	}
	tests := []struct {
		name  string
		prune *awsimport.PruneScope
		want  []awsimport.Change
	}{
		{name: "no prune", want: []awsimport.Change{{Entry: imported[1]}}},
		{name: "prune the imported account only", prune: &awsimport.PruneScope{Accounts: []string{"111122223333"}},
			want: []awsimport.Change{{Entry: imported[1]}, {Entry: awsimport.Entry{Kind: "user", ID: bob}, Delete: true}}},
		{name: "prune SCPs with an organization", prune: &awsimport.PruneScope{Accounts: []string{"111122223333"}, SCPs: true},
			want: []awsimport.Change{{Entry: imported[1]}, {Entry: awsimport.Entry{Kind: "scp", ID: "FullAWSAccess"}, Delete: true},
				{Entry: awsimport.Entry{Kind: "user", ID: bob}, Delete: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan := awsimport.Diff(imported, current, tc.prune)
			assert.Equal(t, tc.want, plan.Changes)
			assert.Equal(t, 1, plan.Counts["user"].Unchanged)
		})
	}
}

// TestReadOutputsFile reads an export given as one JSON file mapping
// output names to outputs.
func TestReadOutputsFile(t *testing.T) {
	t.Parallel()
	fsys := map[string][]byte{"pinpoint.json": []byte(`{
  "pinpoint/get-apps": {"ApplicationsResponse": {"Item": [{"Arn": "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1", "Id": "a1", "Name": "a", "tags": {"team": "x"}}]}},
  "sms-voice/describe-pools": {"Pools": [{"PoolArn": "arn:aws:sms-voice:us-east-1:111122223333:pool/p1"}]},
  "sms-voice/list-tags-for-resource/arn:aws:sms-voice:us-east-1:111122223333:pool%2Fp1": {"ResourceArn": "x", "Tags": [{"Key": "env", "Value": "prod"}]}
}`)}
	out, err := awsimport.ReadOutputs(mapFS(fsys), "pinpoint.json")
	assert.NoError(t, err)
	res, err := awsimport.ReadPinpoint(out)
	assert.NoError(t, err)
	if assert.Len(t, res, 2) {
		assert.Equal(t, map[string]string{"team": "x"}, res[0].Tags)
		assert.Equal(t, "arn:aws:sms-voice:us-east-1:111122223333:pool/p1", res[1].ARN)
		assert.Equal(t, map[string]string{"env": "prod"}, res[1].Tags)
	}
}

// TestReadResourcePoliciesFile reads resource policies from one file that
// maps plain ARNs to documents.
func TestReadResourcePoliciesFile(t *testing.T) {
	t.Parallel()
	const app = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1"
	fsys := map[string][]byte{"policies.json": []byte(`{"` + app + `": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"}`)}
	out, err := awsimport.ReadOutputs(mapFS(fsys), "policies.json")
	assert.NoError(t, err)
	res, err := awsimport.ReadResourcePolicies(out)
	assert.NoError(t, err)
	if assert.Contains(t, res, app) {
		assert.Equal(t, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n", string(res[app].Policy))
	}
}
