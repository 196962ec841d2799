// Package jsonpos is a strict JSON parser (RFC 8259) that records where every
// value and every object key starts, so that whatever reads JSON in this
// module can report "line:col" for each problem it finds. It is the one
// JSON layer: the IAM policy parser in pkg/engine, the bundle decoder in
// pkg/entity and the follower's fast decoder of store documents all read
// through it.
//
// encoding/json cannot do this job: it gives no positions, and it silently
// keeps the last of two duplicate keys, whereas IAM rejects a policy with a
// duplicate key and the user needs to be told where the second one is.
//
// # Place in the pipeline
//
// pkg/engine.Parse reads the raw policy bytes with a [Decoder], building
// its own types straight from the text; every later stage (validate,
// compile, evaluate) works on those types and never sees this package.
// [Parse] is the same walk keeping everything as a [Value] tree, for tools
// and tests that want the whole document and for pkg/entity, which walks a
// bundle file's tree and hands each embedded policy on as the text
// src[Pos.Offset:End]. The server's follower walks store documents with a
// [Decoder] too, keeping only the fields it knows and giving up on the rest.
//
// # What is accepted
//
// Exactly one JSON value, with only JSON whitespace (space, tab, CR, LF)
// around it. Strings must be valid UTF-8 without raw control characters;
// \uXXXX escapes must pair surrogates correctly. Numbers follow the JSON
// grammar and are kept as their literal text. A key that appears twice in one
// object (unless [Limits.DuplicateKeys] accepts it), nesting deeper than [Limits.MaxDepth], input longer than
// [Limits.MaxBytes], and a leading UTF-8 byte order mark (which AWS IAM
// rejects) are errors. Every error is a [*SyntaxError] whose position lies
// inside the input (Offset <= len(src)).
//
// # Positions
//
// A [Pos] holds a 0-based byte Offset, a 1-based Line and a 1-based Col. Col
// counts characters (Unicode code points), not bytes, from the start of the
// line, so "é" and "😀" each advance it by one, as does a tab. A line ends at
// "\n", at "\r\n" (one line break, not two) and at a lone "\r".
//
// # Concurrency and ownership
//
// Parse keeps no state between calls and is safe for concurrent use. The
// returned tree shares no memory with src (strings are copied once), so the
// caller may reuse src afterwards. A tree is not safe for concurrent mutation,
// but any number of goroutines may read it. A Decoder is for one goroutine;
// its strings, like the tree's, are copies, except after
// [Decoder.ResetBorrowed], whose strings are views of src for a caller that
// copies what it keeps.
//
// # Imports
//
// Standard library only; it must not import other project packages, so that
// the engine, the model and the server can all import it and the JSON layer
// stays independent of IAM rules (internal/importrules checks this).
package jsonpos
