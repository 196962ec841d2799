// Package access answers questions about a whole policy model beyond one
// decision: who can perform an action on a resource (WhoCan), what a
// principal can do (WhatCan, Scopes), on which resources (WhichResources),
// and what a change of the model changes (Compare).
//
// Answers are three-valued. The model knows the principals, their tags and
// policies, and the listed resources with their tags and policies; it
// cannot know the request: its source IP, time, MFA, request tags and any
// other key the server does not derive. Such keys are open unless the
// caller fixes them, and a statement that tests one may or may not apply.
// The engine evaluates the policies in three-valued logic
// ([engine.EvaluatePartial]); an answer is Allowed or denied only when it
// holds for every request, and Conditional otherwise, with the conditions
// that decide it and, found by trying boundary values of the open keys,
// one request that is allowed and one that is denied.
//
// A Model is compiled from an [entity.Resolved]; it holds no I/O and no
// clock, so the server and the CLI's in-process mode share it.
//
// # Answering at scale
//
// WhoCan over 100,000 principals and the impact of a managed policy
// attached to a thousand of them are answered interactively because a
// question is decided once for all the principals that see it alike, and
// an impact asks only what a change can reach.
//
// The verdict cache (cache.go). Asked about one action on one resource,
// the engine reads of a principal only the statements of its policies
// that reach the request (a statement whose Action misses the action or
// whose Resource misses the resource plays no part), its account and kind,
// whether it has a permissions boundary, whether a Principal element of a
// reaching statement names its ARN, and the values of the keys derived
// from it (aws:PrincipalTag/…, aws:username, …) that those statements test
// or name in a policy variable. NewModel numbers every document and every
// distinct set and records what each document reads of a principal; a
// question's key lists exactly the above, with the reaching documents as
// numbers in the order the principal holds them. Principals with the same
// key get the same answer, statements and example requests included, so
// the key is decided once: the engine and the search for example requests
// run per key, not per principal. Which documents reach which resources is
// found once per document and action, as a bitset over the action's
// resources. The cache belongs to one asker, that is one question list
// over one model with one fixed context; a Model stays immutable.
//
// Impact (impact.go, changes.go). Compare merges the two models' principal
// lists in ARN order and passes over a principal whose documents,
// boundary, SCP chain and derived keys are the same in both (pointer
// comparisons; documents by content when the pointers differ). The
// documents that changed for a principal form a list that the principals
// holding a rewritten managed policy share; for each distinct list,
// Compare finds once the actions on which the statements differ, by
// comparing per action and policy type the statements that cover it
// without their Sid and Action. Adding an action to a statement thus
// changes that action's answers only. It then asks both models, through
// their verdict caches, about the resources a changed document reaches,
// plus every principal about the resources whose policy or tags changed.
//
// WhatCan and WhichResources ask about one principal, where there is
// nothing to share; they evaluate each question directly.
package access
