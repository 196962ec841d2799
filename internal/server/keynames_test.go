package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestKeyNamesLearnOnlyAcceptedNames checks that a key name is remembered
// once a call with it is accepted, not when the call is refused, and
// that the table stays within its bytes however many names it is offered.
func TestKeyNamesLearnOnlyAcceptedNames(t *testing.T) {
	s, snap := exampleServer(t)
	str := func(v string) *pdpv1.ContextValue {
		return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v}}
	}
	prepare := func(principal, key string) error {
		it := &item{principal: principal, action: "mobiletargeting:GetCampaign",
			resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale",
			context:  map[string]*pdpv1.ContextValue{key: str("v")}}
		sc := s.getScratch(snap)
		defer s.putScratch(sc)
		return s.prepareItem(sc, snap, it, nil, s.clockKeys(time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)))
	}
	require.Error(t, prepare("not-an-arn", "app:Refused"))
	_, known := s.names.given.load("app:Refused")
	assert.False(t, known, "a refused call's key name is remembered")

	require.NoError(t, prepare("arn:aws:iam::111122223333:user/alice", "app:Accepted"))
	_, known = s.names.given.load("app:Accepted")
	assert.True(t, known, "an accepted call's key name is not remembered")

	for i := range 4 * maxKeyNames {
		require.NoError(t, prepare("arn:aws:iam::111122223333:user/alice", fmt.Sprintf("app:%04d%s", i, strings.Repeat("n", 200))))
	}
	assert.LessOrEqual(t, s.names.given.bytes.Load(), int64(maxKeyNameBytes))
	assert.LessOrEqual(t, s.names.given.n.Load(), int32(maxKeyNames))
}
