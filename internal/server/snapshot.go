package server

import (
	"fmt"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
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

// CompileSnapshot compiles a resolved model at a revision: every
// principal's identity policies and boundary, every resource's policy, and
// every account's SCP chain, once.
func CompileSnapshot(cat *catalog.Catalog, res *entity.Resolved, revision int64) (*Snapshot, error) {
	snap := &Snapshot{
		revision:   revision,
		principals: make(map[string]*principalEntry),
		resources:  make(map[string]*resourceEntry),
		scps:       make(map[string][]*engine.PolicySet),
	}
	for _, arn := range res.Principals() {
		pp, _ := res.Principal(arn)
		pa, err := engine.ParsePrincipalARN(arn)
		if err != nil {
			return nil, fmt.Errorf("principal %q: %w", arn, err)
		}
		e := &principalEntry{arn: arn, kind: pa.Kind, account: pa.Account, name: pa.Name, tags: pp.Tags}
		if e.identity, err = engine.Compile(cat, pp.Identity...); err != nil {
			return nil, fmt.Errorf("principal %q: %w", arn, err)
		}
		if pp.Boundary != nil {
			if e.boundary, err = engine.Compile(cat, pp.Boundary); err != nil {
				return nil, fmt.Errorf("principal %q: boundary: %w", arn, err)
			}
		}
		snap.principals[principalKey(pa)] = e
	}
	for _, arn := range res.Resources() {
		policy, tags, _ := res.Resource(arn)
		e := &resourceEntry{tags: tags}
		if policy != nil {
			var err error
			if e.policy, err = engine.Compile(cat, policy); err != nil {
				return nil, fmt.Errorf("resource %q: %w", arn, err)
			}
		}
		snap.resources[arn] = e
	}
	for _, account := range res.Accounts() {
		chain, _ := res.SCPChain(account)
		for i, level := range chain {
			ps, err := engine.Compile(cat, level...)
			if err != nil {
				return nil, fmt.Errorf("account %s: SCP level %d: %w", account, i, err)
			}
			snap.scps[account] = append(snap.scps[account], ps)
		}
	}
	return snap, nil
}

// resource finds what governs a resource: its own entry, or for a resource
// the model does not list, the policy of its nearest listed ancestor (an
// app's policy governs its campaigns and segments). known is true only for
// a listed resource, whose tags are then authoritative.
func (s *Snapshot) resource(arn string) (e *resourceEntry, known bool) {
	if e, ok := s.resources[arn]; ok {
		return e, true
	}
	for p := arn; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return nil, false
		}
		p = p[:i]
		if e, ok := s.resources[p]; ok && e.policy != nil {
			return &resourceEntry{policy: e.policy}, false
		}
	}
}
