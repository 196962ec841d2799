package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/pdp-dev/pdp/internal/admin"
	"github.com/pdp-dev/pdp/internal/server"
)

// limitFlags are the bounds pdp serve puts on one call, so that no caller
// can make it spend unbounded memory or time; each defaults to the
// server's own default.
type limitFlags struct {
	contextKeys       int
	contextValues     int
	valueBytes        int
	policyBytes       int
	policiesPerCall   int
	changesPerCall    int
	concurrentStreams int
	defaultDeadline   time.Duration
	minRevisionWait   time.Duration
}

// register adds the limit flags to fs.
func (l *limitFlags) register(fs *flag.FlagSet) {
	d := server.DefaultLimits
	fs.IntVar(&l.contextKeys, "max-context-keys", d.MaxContextKeys, "most condition keys in one request context, or session tags")
	fs.IntVar(&l.contextValues, "max-context-values", d.MaxContextValues, "most values of one multivalued context key")
	fs.IntVar(&l.valueBytes, "max-value-bytes", d.MaxValueBytes, "largest context key, context value or session tag, in bytes")
	fs.IntVar(&l.policyBytes, "max-policy-bytes", d.MaxPolicyBytes, "largest policy document sent with a Check or Simulate, in bytes")
	fs.IntVar(&l.policiesPerCall, "max-policies-per-call", d.MaxPoliciesPerCall, "most policy documents sent with one call")
	fs.IntVar(&l.changesPerCall, "max-changes-per-call", admin.DefaultMaxChangesPerCall, "most changes in one ApplyChanges call")
	fs.IntVar(&l.concurrentStreams, "max-concurrent-streams", server.DefaultMaxConcurrentStreams,
		"most calls in flight on one connection")
	fs.DurationVar(&l.defaultDeadline, "default-deadline", server.DefaultDeadline, "deadline of calls that arrive without one")
	fs.DurationVar(&l.minRevisionWait, "max-min-revision-wait", server.DefaultMaxRevisionWait,
		"longest a call with min_revision waits for the server to reach it")
}

// check reports the first limit that is not positive.
func (l *limitFlags) check() error {
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"max-context-keys", l.contextKeys > 0},
		{"max-context-values", l.contextValues > 0},
		{"max-value-bytes", l.valueBytes > 0},
		{"max-policy-bytes", l.policyBytes > 0},
		{"max-policies-per-call", l.policiesPerCall > 0},
		{"max-changes-per-call", l.changesPerCall > 0},
		{"max-concurrent-streams", l.concurrentStreams > 0 && int64(l.concurrentStreams) <= 1<<31-1},
		{"default-deadline", l.defaultDeadline > 0},
		{"max-min-revision-wait", l.minRevisionWait > 0},
	} {
		if !f.ok {
			return fmt.Errorf("-%s must be positive", f.name)
		}
	}
	return nil
}

// serverConfig returns cfg with the limits of the decision services set.
func (l *limitFlags) serverConfig(cfg server.Config) server.Config {
	cfg.Limits = server.Limits{
		MaxContextKeys: l.contextKeys, MaxContextValues: l.contextValues, MaxValueBytes: l.valueBytes,
		MaxPolicyBytes: l.policyBytes, MaxPoliciesPerCall: l.policiesPerCall,
	}
	cfg.MaxRevisionWait = l.minRevisionWait
	return cfg
}

// adminConfig returns the limits of the policy service.
func (l *limitFlags) adminConfig() admin.Config {
	return admin.Config{MaxChangesPerCall: l.changesPerCall}
}

// grpcConfig returns cfg with the limits of the gRPC server set; maxBatch
// is --max-batch, which bounds with the others the messages a request may
// embed.
func (l *limitFlags) grpcConfig(cfg server.GRPCConfig, maxBatch int) server.GRPCConfig {
	cfg.MaxConcurrentStreams = uint32(l.concurrentStreams)
	cfg.DefaultDeadline = l.defaultDeadline
	cfg.MaxRequestMessages = server.MaxRequestMessages(l.serverConfig(server.Config{}).Limits, maxBatch, l.changesPerCall)
	return cfg
}
