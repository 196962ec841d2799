package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestClassifyDecisionServices: the methods of the services that decide
// (Check and the rest, and the policy simulator's custom-policy calls) are
// decision calls, never unknown ones that RequireAuth would refuse; the
// simulator's calls that read a principal's policies from the model are
// admin calls, guarded like the access questions.
func TestClassifyDecisionServices(t *testing.T) {
	readsModel := map[string]bool{"SimulatePrincipalPolicy": true, "GetContextKeysForPrincipalPolicy": true}
	for _, sd := range []grpc.ServiceDesc{pdpv1.AuthorizationService_ServiceDesc, pdpv1.SimulatorService_ServiceDesc} {
		assert.NotEmpty(t, sd.Methods)
		for _, m := range sd.Methods {
			class, method := classify("/" + sd.ServiceName + "/" + m.MethodName)
			want := classDecision
			if sd.ServiceName == pdpv1.SimulatorService_ServiceDesc.ServiceName && readsModel[m.MethodName] {
				want = classAdmin
			}
			assert.Equal(t, want, class, "%s/%s", sd.ServiceName, m.MethodName)
			assert.Equal(t, m.MethodName, method)
		}
	}
	for _, name := range []string{"SimulatePrincipalPolicy", "GetContextKeysForPrincipalPolicy"} {
		call, ok := adminCallOf(name, nil)
		assert.True(t, ok)
		assert.Equal(t, "pdp:"+name, call.action)
		assert.Contains(t, Actions(), call.action, "admin policies may name it")
	}
	class, _ := classify("/pdp.v1.NoSuchService/Method")
	assert.Equal(t, classUnknown, class)
}
