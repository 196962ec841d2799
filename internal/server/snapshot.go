package server

import (
	"strings"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// A Snapshot is the policy model at one revision, compiled: for every
// principal its identity policies and boundary, for every resource its
// policy and tags, for every account its SCP chain. It is immutable and
// shared by all requests.
type Snapshot struct {
	revision   int64
	principals map[string]*principalEntry // by principalKey
	resources  map[string]*resourceEntry  // by ARN
	scps       map[string][]*engine.PolicySet
}

// Revision returns the revision the snapshot was compiled from.
func (s *Snapshot) Revision() int64 { return s.revision }

// principalEntry is what the model says of one IAM user or role.
type principalEntry struct {
	arn      string // the user's or role's ARN, the value of aws:PrincipalArn
	kind     engine.PrincipalKind
	account  string
	name     string
	identity *engine.PolicySet
	boundary *engine.PolicySet // nil without a permissions boundary
	tags     map[string]string
}

// resourceEntry is what the model says of one resource.
type resourceEntry struct {
	policy *engine.PolicySet // nil without a resource-based policy
	tags   map[string]string
}

// principalKey indexes users by account and name, and roles by account and
// name without regard to case, so that a session ARN, which carries the
// role's name but not its path, finds its role.
func principalKey(p engine.PrincipalARN) string {
	if p.Kind == engine.PrincipalUser {
		return "user:" + p.Account + ":" + p.Name
	}
	return "role:" + p.Account + ":" + strings.ToLower(p.Name)
}

// principal finds the model's entry for a caller.
func (s *Snapshot) principal(p engine.PrincipalARN) (*principalEntry, bool) {
	e, ok := s.principals[principalKey(p)]
	return e, ok
}
