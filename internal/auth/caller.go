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
