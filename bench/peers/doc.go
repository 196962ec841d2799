// Package peers compares pdp's engine with its peers, cedar-go and OPA, on
// one generated workload: Amazon Pinpoint policies that allow and deny
// campaign and segment actions on apps under tag and source-IP conditions,
// for N = 10, 1,000 and 10,000 policies, with requests that are allowed,
// that no policy allows, and that a Deny policy denies.
//
// Generate builds the workload in engine-neutral terms (workload.go); the
// translators write it as IAM JSON for pdp (iam.go), Cedar for cedar-go
// (cedar.go) and Rego over data for OPA (rego.go), and each LoadXxx turns
// that text into a ready engine, which is what BenchmarkLoad times.
// TestEnginesAgree requires every engine to give every request the
// decision the generator meant before BenchmarkDecision times anything.
//
// Each engine is measured two ways: holding all N policies in one set (what
// cedar-go and OPA do unless the caller selects policies first) and holding
// one set per principal, found by the caller's ARN (what pdp's server
// does). docs/performance.md reports the figures.
//
// This is a module of its own, bench/, so that the product's go.mod does
// not carry cedar-go and OPA; it uses the engine from the working tree.
package peers
