package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestClassifyDecisionServices: the methods of the services that decide
// (Check and the rest, and the policy simulator) are decision calls, never
// unknown ones that RequireAuth would refuse.
func TestClassifyDecisionServices(t *testing.T) {
	for _, sd := range []grpc.ServiceDesc{pdpv1.AuthorizationService_ServiceDesc, pdpv1.SimulatorService_ServiceDesc} {
		assert.NotEmpty(t, sd.Methods)
		for _, m := range sd.Methods {
			class, method := classify("/" + sd.ServiceName + "/" + m.MethodName)
			assert.Equal(t, classDecision, class, "%s/%s", sd.ServiceName, m.MethodName)
			assert.Equal(t, m.MethodName, method)
		}
	}
	class, _ := classify("/pdp.v1.NoSuchService/Method")
	assert.Equal(t, classUnknown, class)
}
