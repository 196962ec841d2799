// Package awsfixture generates synthetic AWS account exports for the tests
// and benchmarks of pkg/awsimport and pdp import: the output of
// get-account-authorization-details in each of its document encodings and
// split into pages, an organization export and a Pinpoint export, written
// from the shapes AWS documents. It also answers, from its own records and
// not through the importer, which policy documents apply to each principal
// and resource, so that a test can decide requests by hand with the engine.
//
// The generator is deterministic: the same Size gives the same bytes.
package awsfixture
