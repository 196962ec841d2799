package server

import (
	"fmt"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// An implicit deny says nothing of why nothing allowed the request. The
// commonest reasons are not in any policy but in the request itself: a
// principal or resource the model does not hold (a misspelt ARN), or a
// region that is not the resource's. The responses say whether the model
// knows the principal and the resource, and explanations carry notes.

// Notes of an explanation.
const (
	notePrincipalUnknown = "principal not in the model: no identity policy, group or permissions boundary applies, only a resource-based policy that names it"
	noteResourceUnknown  = "resource not in the model: no resource-based policy and no aws:ResourceTag values apply"
)

// keyRequestedRegion is the region the caller says the request was sent to.
const keyRequestedRegion = "aws:RequestedRegion"

// explainNotes appends to ex the notes about in: unknown principal or
// resource, and an aws:RequestedRegion other than the resource's region.
func explainNotes(in *decisionInput, ex *pdpv1.Explanation) {
	if ex == nil {
		return
	}
	if !in.principalKnown {
		ex.Notes = append(ex.Notes, notePrincipalUnknown)
	}
	if !in.resourceKnown {
		ex.Notes = append(ex.Notes, noteResourceUnknown)
	}
	if n := regionNote(in); n != "" {
		ex.Notes = append(ex.Notes, n)
	}
}

// regionNote returns a note when the request's aws:RequestedRegion differs
// from the region of the resource's ARN. IAM compares them only where a
// policy says so (a condition on aws:RequestedRegion), so such a request
// may well be allowed; the note points out the mismatch.
func regionNote(in *decisionInput) string {
	if in.request.Context == nil {
		return ""
	}
	vals, multi, ok := in.request.Context.Get(keyRequestedRegion)
	if !ok || multi || len(vals) != 1 {
		return ""
	}
	region := arnRegion(in.request.Resource)
	if region == "" || strings.EqualFold(region, vals[0]) {
		return ""
	}
	return fmt.Sprintf("aws:RequestedRegion %q differs from the resource's region %q; IAM does not compare them unless a condition does", vals[0], region)
}

// arnRegion returns the region field of an ARN, "" for a global resource
// or a value that is not an ARN.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}
