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
package access
