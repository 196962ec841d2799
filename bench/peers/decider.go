package peers

import "context"

// A Decider decides the requests of the workload it was loaded with,
// prepared in its engine's own form before anything is timed: request j is
// Workload.Requests[j].
type Decider interface {
	Allowed(ctx context.Context, j int) (bool, error)
}
