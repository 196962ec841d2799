// Package loadgen generates the policy model and the requests of pdp's
// load test: an organization of a few accounts whose users and roles work
// in teams on Amazon Pinpoint apps, with thousands of policies of the
// kinds real accounts hold (team reads by resource tag, writes by ABAC
// against the principal's tag over TLS only, a guard against deleting
// production resources, permissions boundaries, per-user grants under a
// source-IP condition, per-user denies of quarantined apps, SCPs that
// pin regions, resource policies that share apps with roles of other
// accounts), and Check and BatchCheck requests on real principals and
// resources that come out allowed, implicitly denied and explicitly
// denied.
//
// Every request is made to get one outcome, by construction, and carries
// the decision AWS IAM would give it, so that a load test can first check
// that the server decides the generated requests as meant and is not
// measuring errors or a model that failed to load.
//
// Generation is deterministic for a Config. The package writes the model
// as one bundle file of the format pdp serve --seed reads (pkg/entity) and
// the requests as the JSON that ghz reads.
package loadgen
