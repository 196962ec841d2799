// Package logbuf holds Buffer, a bytes.Buffer safe for concurrent use, where
// tests collect what a server logs from its goroutines while they read it.
package logbuf

import (
	"bytes"
	"context"
	"regexp"
	"sync"
)

// A Buffer is a bytes.Buffer guarded by a mutex. Its zero value is ready
// to use.
type Buffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed by the next Write; nil until Wait asks
}

// Write appends p and wakes those waiting in Wait.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Reset forgets everything written.
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// Wait waits until what was written matches re, and returns the submatches
// of its first match; it returns nil when ctx ends first. It wakes on each
// Write, so a test waits on the log itself instead of polling it.
func (b *Buffer) Wait(ctx context.Context, re *regexp.Regexp) []string {
	for {
		b.mu.Lock()
		if m := re.FindStringSubmatch(b.buf.String()); m != nil {
			b.mu.Unlock()
			return m
		}
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}
