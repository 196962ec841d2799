// Package policytest runs policy tests: named authorization cases kept
// next to the policies they test, each with the decision it expects, and
// expectations of who can do something and what someone can do; and it
// measures which statements of the policies they made apply.
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
// # Access expectations
//
// Beside "tests", a file may hold "who_can" and "what_can" lists (a file
// needs at least one entry in one of the three). They ask the access
// analysis (pkg/access, through pdp.v1.AccessService) for the answer of
// every principal, or every action, over every request the open condition
// keys allow: ALLOWED whatever the request, CONDITIONAL when conditions on
// request keys decide, or denied (EXPLICIT_DENY, IMPLICIT_DENY). The keys
// of context are fixed; the others the model does not derive stay open.
//
//	who_can:
//	  - name: only alice updates the spring sale over TLS
//	    action: mobiletargeting:UpdateCampaign
//	    resource: arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale
//	    context: {aws:RequestedRegion: us-east-1, aws:SecureTransport: true}
//	    allowed: [arn:aws:iam::111122223333:user/alice]   # user and role ARNs; [] for nobody
//	    conditional: []                                   # optional
//	what_can:
//	  - name: alice's campaign actions
//	    principal: arn:aws:iam::111122223333:user/alice
//	    resource: arn:aws:mobiletargeting:…:campaigns/spring-sale  # optional: "*", the actions without resource types
//	    allowed: [mobiletargeting:GetApps]
//	    conditional: [mobiletargeting:GetCampaign, mobiletargeting:UpdateCampaign]
//	    match: at-least                                   # exact (the default) or at-least
//
// With match: exact (the default) the entries the answer allows outright
// must be exactly those under allowed, and those it allows under
// conditions exactly those under conditional: any other is unexpected, so
// access granted later fails the test. With match: at-least each listed
// entry must have its listed answer and the others are not looked at. A
// listed entry with another answer is missing. A failed expectation lists
// what is missing (with the answer it got) and what is unexpected (with
// the keys that decide a conditional answer); an entry the answer does not
// hold (a principal not in the model, an action that cannot act on the
// resource) makes the expectation an error. Problems in the file name a
// line and column (a YAML syntax error, the line).
//
// # Running
//
// Run decides every case with a Decider, which the caller builds: pdp test
// decides in-process on a compiled snapshot of a policy directory or
// bundle, exactly as pdp serve would, or calls a live server; an Asker,
// built the same way, answers the expectations. Each case asks for an
// explanation, whose matched statements feed the statement coverage
// (Coverage): the statements of the model (Universe) that no case made
// apply. An expectation covers the statements that decide the allowed and
// explicitly denied answers it checks (every answer for exact, those of
// the listed entries for at-least), which the access analysis reports; a
// conditional answer covers nothing, since its statements may or may not
// apply, and an implicit deny has no deciding statement: decision cases
// cover those.
//
// # Imports and concurrency
//
// The package imports the standard library, pkg/entity, pkg/engine,
// sigs.k8s.io/yaml and go.yaml.in/yaml/v3 (for positions); never gRPC,
// protobuf, gen/ or pkg/access, whose answers come through the Asker.
// Suites and results are plain data; Run calls the Source from one
// goroutine.
package policytest
