package engine

// PolicyType says which role a policy document plays in a decision. It
// decides which elements the document may hold (only resource-based
// policies name a Principal) and how its statements are combined.
type PolicyType uint8

// The policy types of the AWS evaluation logic.
const (
	IdentityPolicy PolicyType = iota // attached to a user, group or role
	ResourcePolicy                   // attached to the resource acted on
	BoundaryPolicy                   // permissions boundary of a user or role
	SessionPolicy                    // passed when a role session was created
	SCPPolicy                        // AWS Organizations service control policy
)

// String returns a lower-case name of the type.
func (t PolicyType) String() string {
	switch t {
	case IdentityPolicy:
		return "identity"
	case ResourcePolicy:
		return "resource"
	case BoundaryPolicy:
		return "boundary"
	case SessionPolicy:
		return "session"
	case SCPPolicy:
		return "scp"
	}
	return "unknown"
}

// Effect is the Effect element of a statement.
type Effect uint8

// The two effects IAM defines.
const (
	EffectAllow Effect = iota
	EffectDeny
)

// String returns "Allow" or "Deny".
func (e Effect) String() string {
	if e == EffectDeny {
		return "Deny"
	}
	return "Allow"
}

// Version values IAM accepts. Only VersionCurrent expands policy variables.
const (
	VersionCurrent = "2012-10-17"
	VersionLegacy  = "2008-10-17"
)

// Pos is a 1-based line and column in a policy's source text; zero when the
// document was built without text.
type Pos struct{ Line, Col int }

// Text is a string element of a policy with its position.
type Text struct {
	Value string
	Pos   Pos
}

// A Document is a parsed IAM JSON policy document. It keeps what the policy
// says, with positions, and nothing derived: Compile turns it into matchers.
type Document struct {
	ID         string     // the name pdp knows the policy by (not the Id element)
	Type       PolicyType // decides which elements are allowed
	Version    string     // "" when the element is absent
	IDElement  string     // the optional Id element
	Statements []*Statement
	// Size is the length of the source without white space, the measure
	// of the AWS policy size quotas.
	Size int
}

// Variables reports whether policy variables are expanded in d: only the
// 2012-10-17 policy language has them; older documents keep "${...}" as text.
func (d *Document) Variables() bool { return d.Version == VersionCurrent }

// A Statement is one element of a policy's Statement list.
type Statement struct {
	Index  int // position in the Statement list (0 when Statement is an object)
	Sid    string
	Effect Effect
	Pos    Pos

	// Exactly one of Action and NotAction is set (non-nil).
	Action, NotAction []Text
	// At most one of Resource and NotResource is set; neither means every
	// resource, which IAM allows only for trust and resource policies.
	Resource, NotResource []Text
	// At most one of Principal and NotPrincipal is set, and only in
	// resource-based policies.
	Principal, NotPrincipal *Principal
	Conditions              []*Condition

	// Positions of the elements, for findings about a whole element.
	ActionPos, ResourcePos, PrincipalPos, ConditionPos Pos
}

// Actions returns the action list whichever element holds it, and whether it
// is NotAction.
func (s *Statement) Actions() ([]Text, bool) {
	if s.NotAction != nil {
		return s.NotAction, true
	}
	return s.Action, false
}

// Resources returns the resource list whichever element holds it, and whether
// it is NotResource. Both nil means the statement names no resource.
func (s *Statement) Resources() ([]Text, bool) {
	if s.NotResource != nil {
		return s.NotResource, true
	}
	return s.Resource, false
}

// A Principal is the value of a Principal or NotPrincipal element.
type Principal struct {
	Any     bool // "*" or {"AWS": "*"}: every principal, authenticated or not
	Entries []PrincipalEntry
}

// A PrincipalEntry is one principal named under a type key, for example
// {"AWS": "arn:aws:iam::111122223333:role/admin"}.
type PrincipalEntry struct {
	Type  string // "AWS", "Service", "Federated" or "CanonicalUser"
	Value string
	Pos   Pos
}

// A Condition is one condition key tested by one operator:
// "Condition": {Operator: {Key: Values}}.
type Condition struct {
	Operator    string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	OperatorPos Pos
	Key         string // as written; matched without regard to case
	KeyPos      Pos
	Values      []CondValue
}

// ValueKind is the JSON type a condition value was written as.
type ValueKind uint8

// JSON types a condition value may have.
const (
	KindString ValueKind = iota
	KindNumber
	KindBool
)

// A CondValue is one value of a condition, kept as text whatever JSON type it
// was written as: IAM compares condition values as strings.
type CondValue struct {
	Text string
	Kind ValueKind
	Pos  Pos
}
