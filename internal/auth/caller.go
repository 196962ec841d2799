package auth

import "context"

// callerKey is the context key of the authenticated caller.
type callerKey struct{}

// Caller returns the principal ARN of the authenticated caller of the call
// whose context ctx is, and false when the call was not authenticated
// (authentication was not required for it, or the interceptor is not
// installed).
func Caller(ctx context.Context) (string, bool) {
	p, ok := ctx.Value(callerKey{}).(string)
	return p, ok && p != ""
}

// WithCaller returns a copy of ctx in which Caller reports principal. The
// interceptors call it; tests of handlers may too.
func WithCaller(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, callerKey{}, principal)
}

// noteKey is the context key of a CallerNote.
type noteKey struct{}

// A CallerNote learns the principal of a call as soon as the interceptors
// have authenticated it, even when they then deny the call. An interceptor
// chained before them (the admin audit log) puts one in the context with
// WithCallerNote and reads it after the chain returned: the refusal itself
// carries no principal, and the context the handler sees is not returned
// to outer interceptors.
//
// The interceptors write the note in the goroutine that runs the chain,
// before the chain returns to whoever made the note, so reading it after
// the call needs no lock.
type CallerNote struct{ principal string }

// WithCallerNote returns a copy of ctx holding a new, empty note.
func WithCallerNote(ctx context.Context) (context.Context, *CallerNote) {
	n := &CallerNote{}
	return context.WithValue(ctx, noteKey{}, n), n
}

// Principal returns the authenticated principal of the call, and false
// when the call was not authenticated.
func (n *CallerNote) Principal() (string, bool) {
	return n.principal, n.principal != ""
}

// noteCaller writes principal into the call's note, if it has one.
func noteCaller(ctx context.Context, principal string) {
	if n, ok := ctx.Value(noteKey{}).(*CallerNote); ok {
		n.principal = principal
	}
}
