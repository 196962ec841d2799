package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestAdminCallOf pins the action and resources of every PolicyService
// method: the table the README documents.
func TestAdminCallOf(t *testing.T) {
	user := key(kindUser, aliceARN)
	tests := []struct {
		method      string
		req         any
		wantAction  string
		wantTargets []target
		wantDryRun  string
	}{
		{"ApplyChanges", &pdpv1.ApplyChangesRequest{DryRun: true, Changes: []*pdpv1.Change{
			put(kindUser, aliceARN),
			change(pdpv1.ChangeOp_CHANGE_OP_DELETE, pdpv1.EntityKind_ENTITY_KIND_MANAGED_POLICY, "ReadOnly"),
			put(pdpv1.EntityKind_ENTITY_KIND_UNSPECIFIED, "x"),
			{Op: pdpv1.ChangeOp_CHANGE_OP_PUT}}},
			ActionApplyChanges, []target{
				{"arn:pdp:store:::entity/user/" + aliceARN, "put"},
				{"arn:pdp:store:::entity/managed_policy/ReadOnly", "delete"},
				{"arn:pdp:store:::entity/unknown/x", "put"},
				{"arn:pdp:store:::entity/unknown/", "put"}}, "true"},
		{"ApplyChanges", &pdpv1.ApplyChangesRequest{}, ActionApplyChanges, []target{{StoreARN, ""}}, "false"},
		{"GetEntity", &pdpv1.GetEntityRequest{Key: key(kindGroup, "111122223333/admins")}, ActionGetEntity,
			[]target{{"arn:pdp:store:::entity/group/111122223333/admins", ""}}, ""},
		{"ListEntities", &pdpv1.ListEntitiesRequest{Kind: pdpv1.EntityKind_ENTITY_KIND_ACCOUNT}, ActionListEntities,
			[]target{{"arn:pdp:store:::entity/account/*", ""}}, ""},
		{"GetHistory", &pdpv1.GetHistoryRequest{Key: user}, ActionGetHistory,
			[]target{{"arn:pdp:store:::entity/user/" + aliceARN, ""}}, ""},
		{"GetHistory", &pdpv1.GetHistoryRequest{FromRevision: 3}, ActionGetHistory, []target{{StoreARN, ""}}, ""},
		{"Diff", &pdpv1.DiffRequest{}, ActionDiff, []target{{StoreARN, ""}}, ""},
		{"Rollback", &pdpv1.RollbackRequest{}, ActionRollback, []target{{StoreARN, ""}}, ""},
		{"Export", &pdpv1.ExportRequest{}, ActionExport, []target{{StoreARN, ""}}, ""},
		{"Import", &pdpv1.ImportRequest{}, ActionImport, []target{{StoreARN, ""}}, "false"},
		{"Watch", nil, ActionWatch, []target{{StoreARN, ""}}, ""},
		{"Backup", nil, ActionBackup, []target{{StoreARN, ""}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			call, ok := adminCallOf(tc.method, tc.req)
			require.True(t, ok, "adminCallOf(%s) found no call", tc.method)
			assert.Equal(t, tc.wantAction, call.action, "action")
			assert.Equal(t, tc.wantTargets, call.targets, "targets")
			assert.Equal(t, tc.wantDryRun, call.dryRun, "dry run")
		})
	}
	// Every method of the service is one of Actions.
	for _, m := range pdpv1.PolicyService_ServiceDesc.Methods {
		assert.Contains(t, Actions(), "pdp:"+m.MethodName, "method %s has no action in Actions", m.MethodName)
	}
	for _, s := range pdpv1.PolicyService_ServiceDesc.Streams {
		assert.Contains(t, Actions(), "pdp:"+s.StreamName, "stream %s has no action in Actions", s.StreamName)
	}
}
