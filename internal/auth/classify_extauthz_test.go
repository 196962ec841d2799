package auth

import (
	"testing"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/stretchr/testify/assert"
)

// TestClassifyEnvoyAuthorization: Envoy's Check is a decision call, so
// that RequireAuth does not refuse it and RequireForDecisions guards it.
func TestClassifyEnvoyAuthorization(t *testing.T) {
	sd := authv3.Authorization_ServiceDesc
	assert.Equal(t, envoyAuthorization, sd.ServiceName)
	for _, m := range sd.Methods {
		class, method := classify("/" + sd.ServiceName + "/" + m.MethodName)
		assert.Equal(t, classDecision, class, m.MethodName)
		assert.Equal(t, m.MethodName, method)
	}
}
