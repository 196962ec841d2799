package auth

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestAccessMethodsAreAdmin pins that the access questions, which reveal
// the whole model, are guarded as admin calls on the store.
func TestAccessMethodsAreAdmin(t *testing.T) {
	tests := []struct {
		method string
		req    any
		action string
	}{
		{"WhoCan", &pdpv1.WhoCanRequest{Action: "mobiletargeting:GetApp", Resource: "*"}, ActionWhoCan},
		{"WhatCan", &pdpv1.WhatCanRequest{Principal: aliceARN}, ActionWhatCan},
		{"WhichResources", &pdpv1.WhichResourcesRequest{Principal: aliceARN}, ActionWhichResources},
		{"Impact", &pdpv1.ImpactRequest{FromRevision: 2}, ActionImpact},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			class, method := classify("/" + pdpv1.AccessService_ServiceDesc.ServiceName + "/" + tc.method)
			assert.Equal(t, classAdmin, class)
			call, ok := adminCallOf(method, tc.req)
			assert.True(t, ok)
			assert.Equal(t, tc.action, call.action)
			assert.Equal(t, []target{{resource: StoreARN}}, call.targets)
		})
	}
	for _, m := range pdpv1.AccessService_ServiceDesc.Methods {
		assert.Truef(t, slices.Contains(Actions(), "pdp:"+m.MethodName), "method %s has no action in Actions", m.MethodName)
	}
}
