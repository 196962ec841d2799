package snapshot

import (
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// What a snapshot says of its principals, resources and accounts, read by
// the decision services. Every value returned is shared by all requests and
// must not be modified.

// ARN returns the user's or role's ARN, the value of aws:PrincipalArn.
func (e *Principal) ARN() string { return e.arn }

// Kind says whether the principal is a user or a role.
func (e *Principal) Kind() engine.PrincipalKind { return e.kind }

// Account returns the 12-digit account the principal belongs to.
func (e *Principal) Account() string { return e.account }

// Name returns the user's or role's name, without its path.
func (e *Principal) Name() string { return e.name }

// Identity returns the principal's identity policies, compiled.
func (e *Principal) Identity() *engine.PolicySet { return e.identity }

// Boundary returns the principal's permissions boundary; nil without one.
func (e *Principal) Boundary() *engine.PolicySet { return e.boundary }

// Tags returns the principal's tags.
func (e *Principal) Tags() map[string]string { return e.tags }

// IdentityDocs returns the documents Identity was compiled from.
func (e *Principal) IdentityDocs() []*engine.Document { return e.identityDocs }

// BoundaryDoc returns the document Boundary was compiled from; nil without
// a boundary.
func (e *Principal) BoundaryDoc() *engine.Document { return e.boundaryDoc }

// Policy returns the policy that governs the resource: its own, or that of
// its nearest listed ancestor that has one; nil for none.
func (e *Resource) Policy() *engine.PolicySet { return e.policy }

// Tags returns the resource's tags.
func (e *Resource) Tags() map[string]string { return e.tags }

// SCPs returns the compiled SCP chain of an account, from the root of its
// organization down; nil for an account outside any organization.
func (s *Snapshot) SCPs(account string) []*engine.PolicySet { return s.scps[account] }

// SCPDocs returns the documents each level of SCPs(account) was compiled
// from.
func (s *Snapshot) SCPDocs(account string) [][]*engine.Document { return s.scpDocs[account] }

// Resolved returns the resolved model the snapshot was compiled from.
func (s *Snapshot) Resolved() *entity.Resolved { return s.resolved }
