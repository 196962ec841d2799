package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

func TestCheckContextValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ   catalog.KeyType
		value string
		ok    bool
	}{
		{catalog.Bool, "true", true},
		{catalog.Bool, "FALSE", true},
		{catalog.Bool, "yes", false},
		{catalog.Numeric, "3600", true},
		{catalog.Numeric, "1.5", true},
		{catalog.Numeric, "soon", false},
		{catalog.Date, "2024-06-01T00:00:00Z", true},
		{catalog.Date, "1717200000", true},
		{catalog.Date, "June 1st", false},
		{catalog.IPAddress, "203.0.113.7", true},
		{catalog.IPAddress, "2001:db8::1", true},
		{catalog.IPAddress, "203.0.113.0/24", false},
		{catalog.ARN, "arn:aws:iam::111122223333:role/r", true},
		{catalog.ArrayOfARN, "role/r", false},
		{catalog.String, "", true},
		{catalog.ArrayOfString, "anything", true},
	}
	for _, tc := range tests {
		err := CheckContextValue(tc.typ, tc.value)
		if tc.ok {
			assert.NoError(t, err, "CheckContextValue(%s, %q)", tc.typ, tc.value)
		} else {
			assert.Error(t, err, "CheckContextValue(%s, %q)", tc.typ, tc.value)
		}
	}
}

func TestParsePrincipalARN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arn     string
		want    PrincipalARN
		wantErr bool
	}{
		{arn: "arn:aws:iam::111122223333:user/ops/alice", want: PrincipalARN{Kind: PrincipalUser, Partition: "aws", Account: "111122223333", Name: "alice"}},
		{arn: "arn:aws:iam::111122223333:role/service/bot", want: PrincipalARN{Kind: PrincipalRole, Partition: "aws", Account: "111122223333", Name: "bot"}},
		{arn: "arn:aws:sts::111122223333:assumed-role/bot/s-1", want: PrincipalARN{Kind: PrincipalSession, Partition: "aws", Account: "111122223333", Name: "bot", Session: "s-1"}},
		{arn: "arn:aws:sts::111122223333:assumed-role/bot", wantErr: true},
		{arn: "arn:aws:iam::111122223333:group/g", wantErr: true},
		{arn: "arn:aws:iam::1111:user/a", wantErr: true},
		{arn: "alice", wantErr: true},
		{arn: "arn:aws:iam::111122223333:user/", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParsePrincipalARN(tc.arn)
		if tc.wantErr {
			assert.Error(t, err, "ParsePrincipalARN(%q) = %+v", tc.arn, got)
			continue
		}
		if assert.NoError(t, err, "ParsePrincipalARN(%q)", tc.arn) {
			assert.Equal(t, tc.want, got, "ParsePrincipalARN(%q)", tc.arn)
		}
	}
}
