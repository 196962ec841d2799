package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestClassifyPolicyCheckService: the custom policy checks read only their
// requests, like the simulator, and are decision calls.
func TestClassifyPolicyCheckService(t *testing.T) {
	sd := pdpv1.PolicyCheckService_ServiceDesc
	assert.NotEmpty(t, sd.Methods)
	for _, m := range sd.Methods {
		class, method := classify("/" + sd.ServiceName + "/" + m.MethodName)
		assert.Equal(t, classDecision, class, "%s/%s", sd.ServiceName, m.MethodName)
		assert.Equal(t, m.MethodName, method)
	}
}
