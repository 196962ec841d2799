package auth

import (
	"strings"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionalphapb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/store"
)

// The actions of the admin API, one per pdp.v1.PolicyService method. A
// method added to the service later is the action "pdp:" + its name on
// StoreARN until it is given a row here.
const (
	ActionApplyChanges = "pdp:ApplyChanges"
	ActionGetEntity    = "pdp:GetEntity"
	ActionListEntities = "pdp:ListEntities"
	ActionGetHistory   = "pdp:GetHistory"
	ActionDiff         = "pdp:Diff"
	ActionRollback     = "pdp:Rollback"
	ActionExport       = "pdp:Export"
	ActionImport       = "pdp:Import"
	ActionWatch        = "pdp:Watch"
	ActionBackup       = "pdp:Backup"

	// The access questions of pdp.v1.AccessService: they reveal who may do
	// what in the whole model, so they are guarded like the admin API, on
	// StoreARN.
	ActionWhoCan         = "pdp:WhoCan"
	ActionWhatCan        = "pdp:WhatCan"
	ActionWhichResources = "pdp:WhichResources"
	ActionImpact         = "pdp:Impact"

	// The SimulatorService calls that read a principal's policies from the
	// model (PolicySourceArn): they reveal the model like the access
	// questions, so they are guarded the same way. The custom-policy calls,
	// which are given every policy they use, are decision calls.
	ActionSimulatePrincipalPolicy          = "pdp:SimulatePrincipalPolicy"
	ActionGetContextKeysForPrincipalPolicy = "pdp:GetContextKeysForPrincipalPolicy"
)

// Actions lists the admin API's actions.
func Actions() []string {
	return []string{ActionApplyChanges, ActionGetEntity, ActionListEntities, ActionGetHistory, ActionDiff,
		ActionRollback, ActionExport, ActionImport, ActionWatch, ActionBackup,
		ActionWhoCan, ActionWhatCan, ActionWhichResources, ActionImpact,
		ActionSimulatePrincipalPolicy, ActionGetContextKeysForPrincipalPolicy}
}

// StoreARN is the resource of the store-wide methods: GetHistory without a
// key, Diff, Rollback, Export, Import, Watch and Backup, and ApplyChanges
// with no change at all.
const StoreARN = "arn:pdp:store:::store"

// entityARNPrefix begins the ARN of every entity.
const entityARNPrefix = "arn:pdp:store:::entity/"

// EntityARN is the resource of one entity of the store:
// arn:pdp:store:::entity/KIND/ID, with KIND as the store spells it (account,
// scp, managed_policy, user, group, role, resource) and ID the entity's ID
// unchanged, e.g. arn:pdp:store:::entity/user/arn:aws:iam::111122223333:user/alice
// or arn:pdp:store:::entity/group/111122223333/admins. The ID is never read
// as a pattern: only policies have wildcards.
func EntityARN(kind store.Kind, id string) string {
	return entityARNPrefix + string(kind) + "/" + id
}

// KindARN is the resource of ListEntities of one kind:
// arn:pdp:store:::entity/KIND/*. A listing shows every entity of the kind,
// so it is allowed by a Resource that covers them all ("…:entity/KIND/*",
// "…:entity/*", "*"), and not by one that covers some, like
// "…:entity/user/arn:aws:iam::111122223333:*". The request's "*" is a
// literal character; as in IAM, a policy's '?' matches it too.
func KindARN(kind store.Kind) string {
	return entityARNPrefix + string(kind) + "/*"
}

// Condition keys of the admin API besides the global ones.
const (
	// KeyDryRun ("true" or "false") is in the context of ApplyChanges and
	// Import: a policy can allow validating changes without applying them.
	KeyDryRun = "pdp:DryRun"
	// KeyChangeOp ("put" or "delete") is in the context of each change of
	// ApplyChanges.
	KeyChangeOp = "pdp:ChangeOp"
)

// unknownKind stands for an entity kind pdp does not know, which the
// handler refuses as invalid.
const unknownKind store.Kind = "unknown"

// storeKinds maps the kinds of the API to those of the store.
var storeKinds = [...]store.Kind{
	pdpv1.EntityKind_ENTITY_KIND_ACCOUNT:        store.KindAccount,
	pdpv1.EntityKind_ENTITY_KIND_SCP:            store.KindSCP,
	pdpv1.EntityKind_ENTITY_KIND_MANAGED_POLICY: store.KindManagedPolicy,
	pdpv1.EntityKind_ENTITY_KIND_USER:           store.KindUser,
	pdpv1.EntityKind_ENTITY_KIND_GROUP:          store.KindGroup,
	pdpv1.EntityKind_ENTITY_KIND_ROLE:           store.KindRole,
	pdpv1.EntityKind_ENTITY_KIND_RESOURCE:       store.KindResource,
}

func storeKind(k pdpv1.EntityKind) store.Kind {
	if k >= 0 && int(k) < len(storeKinds) && storeKinds[k] != "" {
		return storeKinds[k]
	}
	return unknownKind
}

func keyARN(k *pdpv1.EntityKey) string {
	return EntityARN(storeKind(k.GetKind()), k.GetId())
}

// methodClass says how a method is guarded.
type methodClass uint8

const (
	classOpen     methodClass = iota // health checking and reflection: never gated
	classDecision                    // AuthorizationService, SimulatorService: authenticated when RequireForDecisions
	classAdmin                       // PolicyService, AccessService, the principal calls of SimulatorService: authenticated and authorized when RequireAuth
	classUnknown                     // anything else: refused when RequireAuth
)

// classify sorts a full method name ("/package.Service/Method") by service.
func classify(fullMethod string) (methodClass, string) {
	service, method, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	switch service {
	case pdpv1.PolicyService_ServiceDesc.ServiceName, pdpv1.AccessService_ServiceDesc.ServiceName:
		return classAdmin, method
	case pdpv1.SimulatorService_ServiceDesc.ServiceName:
		if method == "SimulatePrincipalPolicy" || method == "GetContextKeysForPrincipalPolicy" {
			return classAdmin, method
		}
		return classDecision, method
	case pdpv1.AuthorizationService_ServiceDesc.ServiceName,
		pdpv1.PolicyCheckService_ServiceDesc.ServiceName, envoyAuthorization:
		return classDecision, method
	case healthpb.Health_ServiceDesc.ServiceName, reflectionpb.ServerReflection_ServiceDesc.ServiceName,
		reflectionalphapb.ServerReflection_ServiceDesc.ServiceName:
		return classOpen, method
	}
	return classUnknown, method
}

// A target is one resource an admin call acts on, with the change op when
// it is one change of ApplyChanges.
type target struct {
	resource string
	op       string
}

// An adminCall is what one admin API call asks to do.
type adminCall struct {
	action  string
	targets []target
	dryRun  string // KeyDryRun's value, "" for methods without one
}

// adminCallOf describes a call to a PolicyService method from its request;
// req is nil for streaming methods, which act store-wide. It reports false
// when req is not the method's request message.
func adminCallOf(method string, req any) (adminCall, bool) {
	whole := []target{{resource: StoreARN}}
	switch method {
	case "ApplyChanges":
		r, ok := req.(*pdpv1.ApplyChangesRequest)
		if !ok {
			return adminCall{}, false
		}
		return adminCall{action: ActionApplyChanges, targets: changeTargets(r.GetChanges()), dryRun: boolText(r.GetDryRun())}, true
	case "GetEntity":
		r, ok := req.(*pdpv1.GetEntityRequest)
		return adminCall{action: ActionGetEntity, targets: []target{{resource: keyARN(r.GetKey())}}}, ok
	case "ListEntities":
		r, ok := req.(*pdpv1.ListEntitiesRequest)
		return adminCall{action: ActionListEntities, targets: []target{{resource: KindARN(storeKind(r.GetKind()))}}}, ok
	case "GetHistory":
		r, ok := req.(*pdpv1.GetHistoryRequest)
		if r.GetKey() != nil {
			return adminCall{action: ActionGetHistory, targets: []target{{resource: keyARN(r.GetKey())}}}, ok
		}
		return adminCall{action: ActionGetHistory, targets: whole}, ok
	case "Import":
		r, ok := req.(*pdpv1.ImportRequest)
		return adminCall{action: ActionImport, targets: whole, dryRun: boolText(r.GetDryRun())}, ok
	}
	// Diff, Rollback, Export, Watch, Backup, the AccessService methods, and
	// methods added later.
	return adminCall{action: "pdp:" + method, targets: whole}, true
}

// changeTargets lists the entity of every change. A change set without
// changes (which the handler refuses) is authorized on the store, so that
// no call goes through unauthorized.
func changeTargets(changes []*pdpv1.Change) []target {
	if len(changes) == 0 {
		return []target{{resource: StoreARN}}
	}
	out := make([]target, len(changes))
	for i, c := range changes {
		out[i] = target{resource: keyARN(c.GetKey()), op: changeOp(c.GetOp())}
	}
	return out
}

func changeOp(op pdpv1.ChangeOp) string {
	switch op {
	case pdpv1.ChangeOp_CHANGE_OP_PUT:
		return "put"
	case pdpv1.ChangeOp_CHANGE_OP_DELETE:
		return "delete"
	}
	return "unspecified"
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
