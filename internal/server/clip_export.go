package server

// Clip bounds a caller's value repeated in an error, a log line or a
// decision record, as every door of the server does: values longer than
// 256 bytes are cut at a character boundary and end with "…" and their
// length. Doors outside this package (AuthZEN over HTTP) use it so that
// their errors echo callers alike.
func Clip(s string) string { return clip(s) }
