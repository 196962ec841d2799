// Package policycheck answers IAM Access Analyzer's custom policy checks for
// the actions pdp knows: CheckNoNewAccess (does an updated policy grant
// anything the existing one does not?) and CheckAccessNotGranted (does a
// policy grant any of some actions, or any access to some resources?).
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-custom-policy-checks.html
// https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoNewAccess.html
// https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckAccessNotGranted.html
//
// # How a check is decided
//
// Access is a set of (action, resource) pairs, and for resource-based
// policies also principals. The actions are exactly the catalog's
// (mobiletargeting and sms-voice); the resources of an action are the ARNs
// of its resource types' formats, or "*" for actions without one. A
// statement's Action/NotAction picks a set of catalog actions, and its
// Resource/NotResource a regular set of ARNs; a check is a question about
// a boolean combination of those sets, which lang.go decides exactly by
// exploring the product of small automata, and answers with a witness
// ARN when the combination is not empty.
//
// Conditions are not solved. As Access Analyzer does, a check FAILs when
// the policy might grant the access: an Allow with conditions counts as
// granting, a Deny with conditions counts as removing nothing from what a
// policy under test grants, and as removing everything from what a
// reference policy grants. An existing Allow still covers a new statement
// that carries all of its conditions, since the new statement then applies
// in fewer cases. Results say when a condition decided them.
//
// Actions of other services are outside pdp's domain: a policy that names
// them (or grants "*" or uses NotAction) gets a note in the result, and
// those actions are not checked.
//
// # Concurrency and imports
//
// A Checker is immutable and safe for concurrent use. The package is pure:
// it imports the standard library, pkg/engine and pkg/catalog only.
package policycheck
