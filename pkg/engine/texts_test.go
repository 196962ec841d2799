package engine_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

const (
	allowSegments = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetSegment","Resource":"*"}]}`
	allowAll      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	allowSMS      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sms-voice:*","Resource":"*"}]}`
	allowAnyone   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	badEffect     = `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`
)

func texts(docs ...string) [][]byte {
	out := make([][]byte, len(docs))
	for i, d := range docs {
		out[i] = []byte(d)
	}
	return out
}

// TestPolicyTextsCompileNamesField checks that a bad document is reported
// under its field path, so that the caller can point at its input.
func TestPolicyTextsCompileNamesField(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load()
	require.NoError(t, err)
	tests := []struct {
		name       string
		texts      engine.PolicyTexts
		wantPolicy string
	}{
		{"identity", engine.PolicyTexts{Identity: texts(allowAll, badEffect)}, "identity_policies[1]"},
		{"resource", engine.PolicyTexts{Resource: []byte(badEffect)}, "resource_policy"},
		{"boundary", engine.PolicyTexts{Boundary: []byte(badEffect)}, "permissions_boundary"},
		{"session", engine.PolicyTexts{Session: texts(badEffect)}, "session_policies[0]"},
		{"scp level", engine.PolicyTexts{SCPs: texts(allowAll, badEffect)}, "scps[1]"},
		{"not json", engine.PolicyTexts{Session: texts(allowAll, `{`)}, "session_policies[1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := tc.texts.Compile(cat)
			require.Error(t, err)
			assert.Nil(t, p)
			var perrs engine.Errors
			require.True(t, errors.As(err, &perrs), "error %v is not engine.Errors", err)
			require.NotEmpty(t, perrs)
			assert.Equal(t, tc.wantPolicy, perrs[0].PolicyID)
		})
	}
}

// TestPolicyTextsCompile checks which sets a compile fills and that the
// compiled policies decide as AWS combines them: session policies and every
// SCP level narrow what the identity policies allow.
func TestPolicyTextsCompile(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load()
	require.NoError(t, err)

	t.Run("absent documents leave their sets nil", func(t *testing.T) {
		t.Parallel()
		p, err := (&engine.PolicyTexts{Identity: texts(allowSegments)}).Compile(cat)
		require.NoError(t, err)
		require.NotNil(t, p.Identity)
		assert.Equal(t, []string{"identity_policies[0]"}, p.Identity.Policies())
		assert.Nil(t, p.Resource)
		assert.Nil(t, p.Boundary)
		assert.Nil(t, p.Session)
		assert.Empty(t, p.SCPs)
	})

	t.Run("every document is named by its field", func(t *testing.T) {
		t.Parallel()
		p, err := (&engine.PolicyTexts{
			Identity: texts(allowSegments, allowAll),
			Resource: []byte(allowAnyone),
			Boundary: []byte(allowAll),
			Session:  texts(allowSegments),
			SCPs:     texts(allowAll, allowAll),
		}).Compile(cat)
		require.NoError(t, err)
		assert.Equal(t, []string{"identity_policies[0]", "identity_policies[1]"}, p.Identity.Policies())
		assert.Equal(t, engine.IdentityPolicy, p.Identity.Type())
		assert.Equal(t, []string{"resource_policy"}, p.Resource.Policies())
		assert.Equal(t, engine.ResourcePolicy, p.Resource.Type())
		assert.Equal(t, []string{"permissions_boundary"}, p.Boundary.Policies())
		assert.Equal(t, engine.BoundaryPolicy, p.Boundary.Type())
		assert.Equal(t, []string{"session_policies[0]"}, p.Session.Policies())
		assert.Equal(t, engine.SessionPolicy, p.Session.Type())
		require.Len(t, p.SCPs, 2)
		for i, want := range []string{"scps[0]", "scps[1]"} {
			assert.Equal(t, []string{want}, p.SCPs[i].Policies())
			assert.Equal(t, engine.SCPPolicy, p.SCPs[i].Type())
		}
	})

	decisions := []struct {
		name  string
		texts engine.PolicyTexts
		want  engine.Decision
	}{
		{"identity alone", engine.PolicyTexts{Identity: texts(allowAll)}, engine.Allow},
		{"session allows too", engine.PolicyTexts{Identity: texts(allowAll), Session: texts(allowSegments)}, engine.Allow},
		{"session narrows", engine.PolicyTexts{Identity: texts(allowAll), Session: texts(allowSMS)}, engine.ImplicitDeny},
		{"one scp level narrows", engine.PolicyTexts{Identity: texts(allowAll), SCPs: texts(allowAll, allowSMS)}, engine.ImplicitDeny},
	}
	for _, tc := range decisions {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := tc.texts.Compile(cat)
			require.NoError(t, err)
			req := &engine.Request{
				Principal: "arn:aws:sts::111122223333:assumed-role/analyst/alice",
				Action:    "mobiletargeting:GetSegment",
				Resource:  "arn:aws:mobiletargeting:us-east-1:111122223333:apps/app1/segments/seg1",
				Context:   engine.NewContext(0),
			}
			assert.Equal(t, tc.want, engine.Evaluate(p, req))
		})
	}
}
