package store

import "time"

// Defaults of Options and Page.
const (
	DefaultKeepRevisions    = 1000
	DefaultProgressInterval = 5 * time.Second
	DefaultPageSize         = 100
)

// Options configure a Store implementation. The zero value asks for the
// defaults; implementations call WithDefaults.
type Options struct {
	// KeepRevisions is the fewest revisions compaction keeps: Compact
	// raises its keep argument to it. Default DefaultKeepRevisions.
	KeepRevisions int64
	// ProgressInterval is how long a watch stays silent while nothing
	// changes before it yields a progress notification. Default
	// DefaultProgressInterval.
	ProgressInterval time.Duration
}

// WithDefaults returns o with every zero or negative field set to its
// default.
func (o Options) WithDefaults() Options {
	if o.KeepRevisions <= 0 {
		o.KeepRevisions = DefaultKeepRevisions
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	return o
}

// Limit returns the page size to use: Size, or DefaultPageSize when Size is
// zero or negative.
func (p Page) Limit() int {
	if p.Size <= 0 {
		return DefaultPageSize
	}
	return p.Size
}
