package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pdp-dev/pdp/bench/cmd/internal/loadgen"
	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// probeAction is the action the probe's policy allows or denies.
const probeAction = "mobiletargeting:GetApp"

// A probe is the policy the writes change: the inline policy of a user
// that only this test uses, allowing or denying probeAction on one app of
// the model. Every write flips it, so the decision of one Check request
// tells which write a server has applied.
type probe struct {
	user, app string // ARNs
}

// newProbe picks the probe's user, in the model's first account, and app.
func newProbe(w *loadgen.Workload) (probe, error) {
	if len(w.Model.Accounts) == 0 {
		return probe{}, errors.New("the model has no account for the probe user")
	}
	p := probe{user: "arn:aws:iam::" + w.Model.Accounts[0].ID + ":user/freshness/probe"}
	for _, r := range w.Model.Resources {
		if _, id, ok := strings.Cut(r.ARN, ":apps/"); ok && !strings.Contains(id, "/") {
			p.app = r.ARN
			return p, nil
		}
	}
	return probe{}, errors.New("the model has no Amazon Pinpoint app for the probe")
}

// change puts the probe user with a policy that allows probeAction, or
// denies it.
func (p probe) change(allow bool) (*pdpv1.ApplyChangesRequest, error) {
	effect := "Deny"
	if allow {
		effect = "Allow"
	}
	doc, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{
		"Sid": "Freshness", "Effect": effect, "Action": probeAction, "Resource": p.app,
	}}})
	if err != nil {
		return nil, err
	}
	user, err := json.Marshal(entity.User{ARN: p.user, InlinePolicies: map[string]json.RawMessage{"Freshness": doc}})
	if err != nil {
		return nil, err
	}
	return &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{{
		Op:       pdpv1.ChangeOp_CHANGE_OP_PUT,
		Key:      &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: p.user},
		Document: string(user),
	}}}, nil
}

// check asks for the probe's decision at minRev or later.
func (p probe) check(minRev int64) *pdpv1.CheckRequest {
	return &pdpv1.CheckRequest{Principal: p.user, Action: probeAction, Resource: p.app, MinRevision: minRev,
		Context: map[string]*pdpv1.ContextValue{"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}}}}
}

// decision is what a server that applied a write of allow decides.
func decision(allow bool) pdpv1.Decision {
	if allow {
		return pdpv1.Decision_DECISION_ALLOW
	}
	return pdpv1.Decision_DECISION_EXPLICIT_DENY
}

// observer is a server the writes are watched on.
type observer struct {
	name  string
	authz pdpv1.AuthorizationServiceClient
}

// writer changes the probe through one server and measures when the
// others serve each change.
type writer struct {
	admin     pdpv1.PolicyServiceClient // of the server written through
	observers []observer
	probe     probe
	timeout   time.Duration // of each call; past it a write counts as not seen
}

// write applies one change of the probe and returns its revision.
func (wr *writer) write(ctx context.Context, allow bool) (int64, error) {
	req, err := wr.probe.change(allow)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, wr.timeout)
	defer cancel()
	resp, err := wr.admin.ApplyChanges(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("ApplyChanges: %w", err)
	}
	return resp.GetRevision(), nil
}

// calibrate writes the probe both ways and requires every observer to
// decide each as written: a write whose effect cannot be seen measures
// nothing.
func (wr *writer) calibrate(ctx context.Context) error {
	for _, allow := range []bool{false, true} {
		rev, err := wr.write(ctx, allow)
		if err != nil {
			return fmt.Errorf("probe write: %w", err)
		}
		for _, o := range wr.observers {
			cctx, cancel := context.WithTimeout(ctx, wr.timeout)
			resp, err := o.authz.Check(cctx, wr.probe.check(rev))
			cancel()
			if err != nil {
				return fmt.Errorf("probe Check on %s at revision %d: %w", o.name, rev, err)
			}
			if resp.GetDecision() != decision(allow) {
				return fmt.Errorf("probe Check on %s at revision %d: %v, want %v: the probe's writes are not observable",
					o.name, resp.GetRevision(), resp.GetDecision(), decision(allow))
			}
		}
	}
	return nil
}

// sighting is one observer's answer to the Check that waited for a write.
type sighting struct {
	observer int
	rev      int64         // the write's
	delay    time.Duration // from the write's acknowledgement to the answer
	answer   *pdpv1.CheckResponse
	err      error
}

// writeRun is what run measured.
type writeRun struct {
	acks      latencies
	errors    int
	sightings []sighting
	allowAt   map[int64]bool // each acknowledged write's revision → what it wrote
	problems  []string       // the first errors, for the report
}

// maxProblems is how many errors a report quotes.
const maxProblems = 5

func (r *writeRun) problem(format string, args ...any) {
	if len(r.problems) < maxProblems {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
}

// run writes rate changes a second for d, at most rate×d of them, each
// the opposite of the last. As soon as a write is acknowledged, every
// observer is sent the probe's Check with min_revision at the write's
// revision: the server answers once it serves that revision, so the time
// to the answer is the write's delay to visibility on that server (plus
// one loopback round trip), measured without polling that could load the
// server or miss the moment.
func (wr *writer) run(ctx context.Context, rate int, d time.Duration) *writeRun {
	res := &writeRun{allowAt: make(map[int64]bool)}
	var (
		wg sync.WaitGroup
		mu sync.Mutex // guards res.sightings
	)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.Now().Add(d)
	limit := max(1, int(float64(rate)*d.Seconds()))
	allow := false
	for n := 0; n < limit && time.Now().Before(end); n++ {
		start := time.Now()
		rev, err := wr.write(ctx, allow)
		ack := time.Now()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			res.errors++
			res.problem("write %d: %v", n, err)
		} else {
			res.acks = append(res.acks, ack.Sub(start))
			res.allowAt[rev] = allow
			for i, o := range wr.observers {
				wg.Go(func() {
					cctx, cancel := context.WithTimeout(ctx, wr.timeout)
					defer cancel()
					resp, err := o.authz.Check(cctx, wr.probe.check(rev))
					s := sighting{observer: i, rev: rev, delay: time.Since(ack), answer: resp, err: err}
					mu.Lock()
					res.sightings = append(res.sightings, s)
					mu.Unlock()
				})
			}
		}
		allow = !allow
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	wg.Wait()
	return res
}

// visible turns the sightings into one row per observer. A sighting counts
// as an error when the Check failed (the revision was not served within
// the timeout) or when the decision is not the one of the write at the
// revision the server answered at: by then every write's revision is
// known, later writes' included.
func (r *writeRun) visible(observers []observer) []visibleRow {
	rows := make([]visibleRow, len(observers))
	for i, o := range observers {
		rows[i].server = o.name
	}
	for _, s := range r.sightings {
		row := &rows[s.observer]
		if s.err != nil || s.answer.GetRevision() < s.rev {
			row.errors++
			r.problem("server %s, write at revision %d: %v (answered at revision %d)", row.server, s.rev, s.err, s.answer.GetRevision())
			continue
		}
		if allow, ok := r.allowAt[s.answer.GetRevision()]; !ok || s.answer.GetDecision() != decision(allow) {
			row.errors++
			r.problem("server %s, write at revision %d: %v at revision %d, which no write of this run made so",
				row.server, s.rev, s.answer.GetDecision(), s.answer.GetRevision())
			continue
		}
		row.delays = append(row.delays, s.delay)
	}
	return rows
}
