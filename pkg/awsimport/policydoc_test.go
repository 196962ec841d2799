package awsimport

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDocumentText(t *testing.T) {
	t.Parallel()
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*","Condition":{"StringLike":{"aws:PrincipalTag/team":"a b+c%"}}}]}`
	str, _ := json.Marshal(doc)
	enc, _ := json.Marshal(strings.ReplaceAll(url.QueryEscape(doc), "+", "%20"))
	want, err := documentText(json.RawMessage(doc))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(want), "{\n  \"Version\": \"2012-10-17\",\n"), "indented: %s", want)
	tests := []struct {
		name    string
		raw     string
		wantErr string
	}{
		{name: "object spread over lines", raw: "{\n\"Version\" :\"2012-10-17\", \"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"mobiletargeting:GetApp\",\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"aws:PrincipalTag/team\":\"a b+c%\"}}}]}\n"},
		{name: "JSON string", raw: string(str)},
		{name: "URL-encoded string", raw: string(enc)},
		{name: "null", raw: "null", wantErr: "missing policy document"},
		{name: "number", raw: "12", wantErr: "must be a JSON object or a string"},
		{name: "string of no JSON", raw: `"Version 2012"`, wantErr: "must hold a JSON object"},
		{name: "bad escape", raw: `"%7B%zz"`, wantErr: "JSON or URL-encoded JSON"},
		{name: "truncated inside", raw: `"%7B%22Version%22%3A"`, wantErr: "document 1:12: invalid JSON: unexpected end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := documentText(json.RawMessage(tc.raw))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}
