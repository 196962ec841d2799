// Package policytest runs policy tests: named authorization cases kept
// next to the policies they test, each with the decision it expects, and
// measures which statements of the policies the cases made apply.
//
// # Test files
//
// A test file is YAML named NAME_test.yaml (or .yml) anywhere in a policy
// directory; pkg/entity's LoadDir leaves such files out of the model. It
// holds a list of cases under "tests":
//
//	tests:
//	  - name: alice reads the growth app's segments
//	    principal: arn:aws:iam::111122223333:user/alice
//	    action: mobiletargeting:GetSegment
//	    resource: arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users
//	    context:
//	      aws:RequestedRegion: us-east-1   # a scalar: a single-valued key
//	      aws:TagKeys: [team, env]         # a list: a multivalued key
//	    session:                           # for arn:aws:sts::…:assumed-role/… principals
//	      policies: [{Version: "2012-10-17", Statement: […]}]
//	      policy_files: [session.json]     # relative to the test file
//	      tags: {team: growth}
//	    expect: Allow                      # Allow, ExplicitDeny or ImplicitDeny
//
// # Running
//
// Run decides every case with a Decider, which the caller builds: pdp test
// decides in-process on a compiled snapshot of a policy directory or
// bundle, exactly as pdp serve would, or calls a live server. Each case asks
// for an explanation, whose matched statements feed the statement coverage
// (Coverage): the statements of the model (Universe) that no case made
// apply.
//
// # Imports and concurrency
//
// The package imports the standard library, pkg/entity, pkg/engine and
// sigs.k8s.io/yaml; never gRPC, protobuf or gen/. Suites and results are
// plain data; Run calls the Decider from one goroutine.
package policytest
