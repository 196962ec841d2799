package extauthz_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/extauthz"
)

func TestNewRefusesBadConfig(t *testing.T) {
	ids, err := auth.ParseIdentities("ids", []byte(identities))
	require.NoError(t, err)
	tests := []struct {
		name    string
		cfg     extauthz.Config
		wantErr string
	}{
		{name: "peer without identities", cfg: extauthz.Config{PrincipalFrom: "peer"}, wantErr: "needs an identities file"},
		{name: "unknown source", cfg: extauthz.Config{PrincipalFrom: "header", Identities: ids}, wantErr: `principal from "header": want "peer" or "jwt"`},
		{name: "bad claim path", cfg: extauthz.Config{PrincipalFrom: "jwt", JWTClaim: "jwt_payload..sub"}, wantErr: "want a dotted path"},
		{name: "bad region", cfg: extauthz.Config{PrincipalFrom: "jwt", Region: "US East"}, wantErr: `region "US East"`},
		{name: "bad account", cfg: extauthz.Config{PrincipalFrom: "jwt", Account: "1234"}, wantErr: `account "1234": want 12 digits`},
		{name: "jwt alone", cfg: extauthz.Config{PrincipalFrom: "jwt"}},
		{name: "peer", cfg: extauthz.Config{PrincipalFrom: "peer", Identities: ids, Region: "us-east-1", Account: "111122223333"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, err := extauthz.New(tc.cfg, nil, nil)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, svc)
		})
	}
}
