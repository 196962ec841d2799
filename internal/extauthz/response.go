package extauthz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// Headers of every answer.
const (
	HeaderDecision = "x-pdp-decision" // Allow, ExplicitDeny, ImplicitDeny, or Refused
	HeaderRevision = "x-pdp-revision" // the snapshot's revision
)

// decisionRefused is the x-pdp-decision of a request that was not decided.
const decisionRefused = "Refused"

// An outcome gathers the decisions of one request's resources.
type outcome struct {
	principal, action string
	json              bool
	decision          pdpv1.Decision
	revision          int64
	denied            string // the resource denied, if any
	deniedBy          pdpv1.PolicyType
	explained         bool   // the decisions came with explanations
	matched           []byte // "policy#sid" of every statement that applied, once each, space-separated
}

func (o *outcome) add(resource string, r *pdpv1.CheckResponse) {
	o.decision, o.revision = r.GetDecision(), r.GetRevision()
	o.explained = r.GetExplanation() != nil
	for _, m := range r.GetExplanation().GetMatched() {
		o.addMatched(m)
		if m.GetEffect() == pdpv1.Effect_EFFECT_DENY && o.deniedBy == pdpv1.PolicyType_POLICY_TYPE_UNSPECIFIED {
			o.deniedBy = m.GetType()
		}
	}
	if o.decision != pdpv1.Decision_DECISION_ALLOW {
		o.denied = resource
	}
}

// addMatched adds the ID of a statement that applied, "policy#Sid" (or
// "policy#INDEX" without a Sid), unless it is there: an SCP attached at
// several levels applies once for each. Policy IDs and Sids hold no
// spaces, so the IDs are kept as one space-separated string, which costs
// Envoy less to decode than a list.
func (o *outcome) addMatched(m *pdpv1.MatchedStatement) {
	start := len(o.matched)
	if start > 0 {
		o.matched = append(o.matched, ' ')
	}
	o.matched = append(o.matched, m.GetPolicy()...)
	o.matched = append(o.matched, '#')
	if m.GetSid() != "" {
		o.matched = append(o.matched, m.GetSid()...)
	} else {
		o.matched = strconv.AppendInt(o.matched, int64(m.GetIndex()), 10)
	}
	id := o.matched[start:]
	if start > 0 {
		id = id[1:]
	}
	for prev := range bytes.SplitSeq(o.matched[:start], []byte{' '}) {
		if bytes.Equal(prev, id) {
			o.matched = o.matched[:start]
			return
		}
	}
}

// Parts of answers that never change, shared by every answer: gRPC only
// reads them, and marshaling a message from several goroutines is safe.
var (
	okStatus        = &rpcstatus.Status{Code: int32(codes.OK)}
	decisionHeaders = map[string]*corev3.HeaderValueOption{ // by decisionName
		"Allow":        header(HeaderDecision, "Allow"),
		"ExplicitDeny": header(HeaderDecision, "ExplicitDeny"),
		"ImplicitDeny": header(HeaderDecision, "ImplicitDeny"),
	}
)

func decisionName(d pdpv1.Decision) string {
	switch d {
	case pdpv1.Decision_DECISION_ALLOW:
		return "Allow"
	case pdpv1.Decision_DECISION_EXPLICIT_DENY:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// policyPhrase names a policy type as AWS's AccessDenied messages do.
func policyPhrase(t pdpv1.PolicyType) string {
	switch t {
	case pdpv1.PolicyType_POLICY_TYPE_RESOURCE:
		return "a resource-based policy"
	case pdpv1.PolicyType_POLICY_TYPE_BOUNDARY:
		return "a permissions boundary"
	case pdpv1.PolicyType_POLICY_TYPE_SESSION:
		return "a session policy"
	case pdpv1.PolicyType_POLICY_TYPE_SCP:
		return "a service control policy"
	}
	return "an identity-based policy"
}

func (o *outcome) response() *authv3.CheckResponse {
	name, rev := decisionName(o.decision), strconv.FormatInt(o.revision, 10)
	// The decision log has the rest: the metadata stays small, for Envoy's
	// access log and the filters after ext_authz.
	md := &structpb.Struct{Fields: map[string]*structpb.Value{
		"decision": structpb.NewStringValue(name), "revision": structpb.NewStringValue(rev),
	}}
	if len(o.matched) > 0 {
		md.Fields["matched_statements"] = structpb.NewStringValue(string(o.matched))
	}
	headers := []*corev3.HeaderValueOption{decisionHeaders[name], header(HeaderRevision, rev)}
	if o.decision == pdpv1.Decision_DECISION_ALLOW {
		return &authv3.CheckResponse{
			Status:          okStatus,
			HttpResponse:    &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{Headers: headers}},
			DynamicMetadata: md,
		}
	}
	// AWS's wording of an AccessDenied error. The principal and the
	// resource come from the request (a JWT claim, a path): bounded.
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", shown(o.principal), o.action, shown(o.denied))
	switch {
	case o.decision == pdpv1.Decision_DECISION_EXPLICIT_DENY && o.explained:
		msg += " with an explicit deny in " + policyPhrase(o.deniedBy)
	case o.decision == pdpv1.Decision_DECISION_EXPLICIT_DENY:
		msg += " with an explicit deny"
	default:
		msg += " because no identity-based policy allows the " + o.action + " action"
	}
	return denied(o.json, "AccessDeniedException", msg, headers, md)
}

// refused answers a request that could not be decided.
func refused(jsonProtocol bool, r *refusal) *authv3.CheckResponse {
	md := &structpb.Struct{Fields: map[string]*structpb.Value{
		"decision": structpb.NewStringValue(decisionRefused), "reason": structpb.NewStringValue(r.reason),
		"message": structpb.NewStringValue(r.msg),
	}}
	return denied(jsonProtocol, "AccessDeniedException", r.msg,
		[]*corev3.HeaderValueOption{header(HeaderDecision, decisionRefused)}, md)
}

// denied is a 403 with an AWS-style JSON error body.
func denied(jsonProtocol bool, errType, msg string, headers []*corev3.HeaderValueOption, md *structpb.Struct) *authv3.CheckResponse {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{errType, msg})
	contentType := "application/json"
	if jsonProtocol {
		contentType = "application/x-amz-json-1.0"
	}
	headers = append(headers, header("content-type", contentType), header("x-amzn-errortype", errType))
	return &authv3.CheckResponse{
		Status: &rpcstatus.Status{Code: int32(codes.PermissionDenied), Message: msg},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status: &typev3.HttpStatus{Code: typev3.StatusCode_Forbidden}, Headers: headers, Body: string(body),
		}},
		DynamicMetadata: md,
	}
}

func header(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: k, Value: v},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
	}
}
