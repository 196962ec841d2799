package server_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/servertest"
	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/memstore"
)

// The health services the follower reports on.
const (
	policyService = "pdp.v1.PolicyService"
	authzService  = "pdp.v1.AuthorizationService"
)

// errStoreDown is the failure faultyStore injects.
var errStoreDown = errors.New("injected fault: store unreachable")

// faultyStore wraps a store for a follower: while broken, Snapshot and
// Watch fail as behind a lost connection; it can break itself after a
// number of watch events, and hold new watches until released. Everything
// else goes to the wrapped store.
type faultyStore struct {
	store.Store
	broken atomic.Bool
	// eventsLeft, when not negative, is how many more change events
	// watches deliver before the store breaks.
	eventsLeft atomic.Int64
	snapshots  atomic.Int64 // Snapshot calls
	watches    atomic.Int64 // Watch calls

	mu   sync.Mutex
	gate chan struct{} // when not nil, new watches wait for it to close
}

func newFaultyStore(st store.Store) *faultyStore {
	f := &faultyStore{Store: st}
	f.eventsLeft.Store(-1)
	return f
}

// breakAfter makes the store break once watches have delivered n more
// change events: the next one is not delivered.
func (f *faultyStore) breakAfter(n int64) { f.eventsLeft.Store(n) }

func (f *faultyStore) heal() {
	f.eventsLeft.Store(-1)
	f.broken.Store(false)
}

// hold makes new watches wait until release.
func (f *faultyStore) hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = make(chan struct{})
}

func (f *faultyStore) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gate != nil {
		close(f.gate)
		f.gate = nil
	}
}

func (f *faultyStore) Snapshot(ctx context.Context, rev int64) ([]store.Value, int64, error) {
	f.snapshots.Add(1)
	if f.broken.Load() {
		return nil, 0, fmt.Errorf("faulty store: snapshot: %w", errStoreDown)
	}
	return f.Store.Snapshot(ctx, rev)
}

func (f *faultyStore) Watch(ctx context.Context, from int64) iter.Seq2[store.Event, error] {
	return func(yield func(store.Event, error) bool) {
		f.watches.Add(1)
		f.mu.Lock()
		gate := f.gate
		f.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-ctx.Done():
				return
			}
		}
		fail := func() { yield(store.Event{}, fmt.Errorf("faulty store: watch from %d: %w", from, errStoreDown)) }
		if f.broken.Load() {
			fail()
			return
		}
		for ev, err := range f.Store.Watch(ctx, from) {
			if err == nil && !ev.Progress && f.spend() {
				f.broken.Store(true)
			}
			if f.broken.Load() {
				fail()
				return
			}
			if !yield(ev, err) {
				return
			}
		}
	}
}

// spend counts one change event against eventsLeft and reports whether
// the store breaks at it.
func (f *faultyStore) spend() bool {
	for {
		n := f.eventsLeft.Load()
		switch {
		case n < 0:
			return false
		case n == 0:
			return f.eventsLeft.CompareAndSwap(0, -1)
		case f.eventsLeft.CompareAndSwap(n, n-1):
			return false
		}
	}
}

// carolDecision decides carol's read of the segment and returns the
// decision and its revision, failing the test on an error.
func carolDecision(t *testing.T, e *servertest.Env, minRevision int64) (pdpv1.Decision, int64) {
	t.Helper()
	resp, err := e.Authz.Check(t.Context(), servertest.CarolReadsSegment(minRevision))
	require.NoError(t, err, "Check(min_revision %d)", minRevision)
	return resp.GetDecision(), resp.GetRevision()
}

// TestMinRevisionReadYourWrites writes through ApplyChanges and checks in
// the very next call, with min_revision the returned revision, that the
// decision follows the write: carol reads the segment as a member of
// marketing, and not otherwise.
func TestMinRevisionReadYourWrites(t *testing.T) {
	t.Parallel()
	for _, backend := range servertest.StoreBackends {
		t.Run(backend.Name, func(t *testing.T) {
			t.Parallel()
			e := servertest.NewEnv(t, servertest.Options{Store: backend.Open(t, store.Options{})})
			for i := range 10 {
				member := i%2 == 0
				groups := []string{}
				want := implicitDeny
				if member {
					groups, want = []string{"marketing"}, allow
				}
				rev := e.Apply(t, "carol's groups", servertest.PutCarol(groups...))
				got, at := carolDecision(t, e, rev)
				require.Equal(t, want, got, "write %d: Check(min_revision %d) at %d", i, rev, at)
				require.GreaterOrEqual(t, at, rev, "write %d: revision of Check(min_revision %d)", i, rev)
				batch, err := e.Authz.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Principal: servertest.Carol, Context: usEast(),
					MinRevision: rev, Items: []*pdpv1.BatchCheckItem{{Action: "mobiletargeting:GetSegment", Resource: activeUsers}}})
				require.NoError(t, err, "write %d: BatchCheck(min_revision %d)", i, rev)
				require.GreaterOrEqual(t, batch.GetRevision(), rev, "write %d: revision of BatchCheck(min_revision %d)", i, rev)
				require.NotEmpty(t, batch.GetResults(), "write %d: BatchCheck(min_revision %d)", i, rev)
				require.Equal(t, want, batch.GetResults()[0].GetDecision(), "write %d: BatchCheck(min_revision %d)", i, rev)
			}
		})
	}
}

// TestMinRevisionNotReached asks for a revision nothing has written: the
// call fails UNAVAILABLE at its deadline (or the server's bound when it has
// none), with RetryInfo and the revision the server is at.
func TestMinRevisionNotReached(t *testing.T) {
	t.Parallel()
	const serverBound = 300 * time.Millisecond
	e := servertest.NewEnv(t, servertest.Options{Config: server.Config{MaxRevisionWait: serverBound}})
	cur := e.Apply(t, "carol joins", servertest.PutCarol("marketing"))
	e.WaitRevision(t, cur)
	tests := []struct {
		name     string
		deadline time.Duration // 0: none
		batch    bool
		wantWait time.Duration
	}{
		{name: "Check with a deadline", deadline: 200 * time.Millisecond, wantWait: 200 * time.Millisecond},
		{name: "BatchCheck with a deadline", deadline: 200 * time.Millisecond, batch: true, wantWait: 200 * time.Millisecond},
		{name: "Check without a deadline", wantWait: serverBound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			minRev := cur + 100
			call := func() (time.Duration, error) {
				ctx, cancel := context.WithCancel(t.Context())
				if tc.deadline > 0 {
					ctx, cancel = context.WithTimeout(t.Context(), tc.deadline)
				}
				defer cancel()
				start := time.Now()
				var err error
				if tc.batch {
					_, err = e.Authz.BatchCheck(ctx, &pdpv1.BatchCheckRequest{Principal: servertest.Carol, Context: usEast(), MinRevision: minRev,
						Items: []*pdpv1.BatchCheckItem{{Action: "mobiletargeting:GetSegment", Resource: activeUsers}}})
				} else {
					_, err = e.Authz.Check(ctx, servertest.CarolReadsSegment(minRev))
				}
				return time.Since(start), err
			}
			took, err := call()
			// The deadline may end the call on the client's side just
			// before the server's reply arrives: try again, a few times.
			for try := 0; try < 3 && status.Code(err) == codes.DeadlineExceeded; try++ {
				t.Logf("the client's deadline ended the call after %v; again", took)
				took, err = call()
			}
			st := status.Convert(err)
			require.Equal(t, codes.Unavailable, st.Code(), "call = %v", err)
			var retry *errdetails.RetryInfo
			var info *errdetails.ErrorInfo
			for _, d := range st.Details() {
				switch d := d.(type) {
				case *errdetails.RetryInfo:
					retry = d
				case *errdetails.ErrorInfo:
					info = d
				}
			}
			assert.Positive(t, retry.GetRetryDelay().AsDuration(), "retry delay of RetryInfo %v", retry)
			md := info.GetMetadata()
			assert.Equal(t, "REVISION_NOT_REACHED", info.GetReason(), "ErrorInfo %v", info)
			assert.Equal(t, strconv.FormatInt(cur, 10), md["current_revision"], "ErrorInfo %v", info)
			assert.Equal(t, strconv.FormatInt(minRev, 10), md["min_revision"], "ErrorInfo %v", info)
			assert.GreaterOrEqual(t, took, tc.wantWait-50*time.Millisecond, "time the call took")
			assert.LessOrEqual(t, took, tc.wantWait+2*time.Second, "time the call took")
			t.Logf("UNAVAILABLE after %v", took)
		})
	}
}

// TestPropagationDelay measures, without min_revision, how long a write
// takes to show in decisions once ApplyChanges has returned.
func TestPropagationDelay(t *testing.T) {
	t.Parallel()
	for _, backend := range servertest.StoreBackends {
		t.Run(backend.Name, func(t *testing.T) {
			t.Parallel()
			e := servertest.NewEnv(t, servertest.Options{Store: backend.Open(t, store.Options{})})
			var delays, writes []time.Duration
			for i := range 20 {
				groups, want := []string{}, implicitDeny
				if i%2 == 0 {
					groups, want = []string{"marketing"}, allow
				}
				start := time.Now()
				rev := e.Apply(t, "carol's groups", servertest.PutCarol(groups...))
				written := time.Now()
				var got pdpv1.Decision
				var at int64
				servertest.WaitFor(t, func() bool {
					got, at = carolDecision(t, e, 0)
					return got == want
				}, "write %d at revision %d to show (last decision %v at %d)", i, rev, got, at)
				delays = append(delays, time.Since(written))
				writes = append(writes, written.Sub(start))
				assert.GreaterOrEqual(t, at, rev, "write %d: revision of decision %v", i, got)
			}
			t.Logf("%s: ApplyChanges took %s", backend.Name, spread(writes))
			t.Logf("%s: from ApplyChanges returned to visible without min_revision: %s", backend.Name, spread(delays))
		})
	}
}

// spread writes the minimum, median, 90th percentile and maximum.
func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1))] }
	return fmt.Sprintf("min %v, median %v, p90 %v, max %v (n=%d)", s[0], at(0.5), at(0.9), s[len(s)-1], len(s))
}

// TestFollowCompaction has the follower resume from a revision compacted
// away meanwhile: it reloads in full and ends at the latest revision, with
// decisions that follow every write.
func TestFollowCompaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// behind leaves the follower behind while writes are made and
		// the store compacted; the returned function lets it go on.
		behind  func(t *testing.T, e *servertest.Env, f *faultyStore) func()
		wantLog string
	}{
		{
			// Follow starts over: a full read, then a watch.
			name: "restarted",
			behind: func(t *testing.T, e *servertest.Env, _ *faultyStore) func() {
				require.NoError(t, e.StopFollowing())
				return func() { e.StartFollowing(t) }
			},
		},
		{
			// The running follower's watch resumes from its old revision,
			// which is compacted by then.
			name: "watch resumed",
			behind: func(t *testing.T, e *servertest.Env, f *faultyStore) func() {
				f.hold()
				f.breakAfter(0) // the next event breaks the watch
				e.Apply(t, "break the watch", servertest.PutChange(servertest.UserKey(servertest.MarketingUser("zed")), servertest.UserDoc(servertest.MarketingUser("zed"))))
				servertest.WaitFor(t, func() bool { return f.watches.Load() >= 2 }, "the follower to watch again")
				f.heal()
				return f.release
			},
			wantLog: "policy watch fell behind compaction; reloading",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := memstore.New(store.Options{KeepRevisions: 2})
			f := newFaultyStore(st)
			e := servertest.NewEnv(t, servertest.Options{Store: st, Follow: f})
			resume := tc.behind(t, e, f)
			behindAt := e.Revision()
			var last int64
			for i := range 5 {
				arn := servertest.MarketingUser(fmt.Sprintf("late%d", i))
				last = e.Apply(t, "while behind", servertest.PutChange(servertest.UserKey(arn), servertest.UserDoc(arn, "marketing")))
			}
			require.NoError(t, st.Compact(t.Context(), 0))
			_, err := st.Revisions(t.Context(), behindAt, 0)
			require.ErrorIs(t, err, store.ErrCompacted, "revisions after %d", behindAt)
			snapshots := f.snapshots.Load()
			resume()
			e.WaitRevision(t, last)
			assert.Equal(t, last, e.Revision(), "revision of the follower")
			assert.EqualValues(t, 1, f.snapshots.Load()-snapshots, "full reads after resuming")
			if tc.wantLog != "" {
				assert.Contains(t, e.Log.String(), tc.wantLog, "log")
			}
			servertest.WaitFor(t, func() bool {
				s, err := e.HealthOf(t.Context(), policyService)
				return err == nil && s == healthpb.HealthCheckResponse_SERVING
			}, "%s to report SERVING after the reload", policyService)
			for i := range 5 {
				resp, err := e.Authz.Check(t.Context(), &pdpv1.CheckRequest{Principal: servertest.MarketingUser(fmt.Sprintf("late%d", i)),
					Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast()})
				if assert.NoError(t, err, "late%d after the reload", i) {
					assert.Equal(t, allow, resp.GetDecision(), "late%d after the reload", i)
					assert.Equal(t, last, resp.GetRevision(), "late%d after the reload", i)
				}
			}
		})
	}
}

// TestDecisionsFollowWrites runs Checks and BatchChecks in parallel while
// a writer flips carol's membership of marketing 50 times: carol may read
// the segment exactly at the revisions where she is a member, every reply's
// decision agrees with the revision it names, and each caller sees
// revisions only move forward.
func TestDecisionsFollowWrites(t *testing.T) {
	t.Parallel()
	const (
		writes  = 50
		readers = 4
	)
	e := servertest.NewEnv(t, servertest.Options{})
	// Revision seed+1+i is write i: carol joins at even i, leaves at odd.
	member := func(rev int64) bool { return rev > e.SeedRev && (rev-e.SeedRev)%2 == 1 }
	want := func(rev int64) pdpv1.Decision {
		if member(rev) {
			return allow
		}
		return implicitDeny
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stop := make(chan struct{})
	var (
		wg    sync.WaitGroup
		calls atomic.Int64
		mu    sync.Mutex
		seen  = map[int64]bool{}
	)
	reader := func(name string, call func() (int64, []pdpv1.Decision, error), wants func(int64) []pdpv1.Decision) {
		var last int64
		for {
			select {
			case <-stop:
				return
			default:
			}
			rev, got, err := call()
			if !assert.NoError(t, err, name) {
				return
			}
			calls.Add(1)
			mu.Lock()
			seen[rev] = true
			mu.Unlock()
			if !assert.GreaterOrEqual(t, rev, last, "%s: revision after %d", name, last) {
				return
			}
			last = rev
			if w := wants(rev); !slices.Equal(got, w) {
				assert.Equal(t, w, got, "%s: decisions at revision %d", name, rev)
				return
			}
		}
	}
	for g := range readers {
		wg.Go(func() {
			reader(fmt.Sprintf("Check reader %d", g), func() (int64, []pdpv1.Decision, error) {
				resp, err := e.Authz.Check(ctx, servertest.CarolReadsSegment(0))
				return resp.GetRevision(), []pdpv1.Decision{resp.GetDecision()}, err
			}, func(rev int64) []pdpv1.Decision { return []pdpv1.Decision{want(rev)} })
		})
		wg.Go(func() {
			items := []*pdpv1.BatchCheckItem{
				{Action: "mobiletargeting:GetSegment", Resource: activeUsers},
				{Principal: alice, Action: "mobiletargeting:GetSegment", Resource: activeUsers},
				{Action: "mobiletargeting:GetApp", Resource: growthApp},
				{Action: "mobiletargeting:DeleteSegment", Resource: activeUsers},
			}
			reader(fmt.Sprintf("BatchCheck reader %d", g), func() (int64, []pdpv1.Decision, error) {
				resp, err := e.Authz.BatchCheck(ctx, &pdpv1.BatchCheckRequest{Principal: servertest.Carol, Context: usEast(), Items: items})
				var ds []pdpv1.Decision
				for _, r := range resp.GetResults() {
					ds = append(ds, r.GetDecision())
				}
				return resp.GetRevision(), ds, err
			}, func(rev int64) []pdpv1.Decision {
				return []pdpv1.Decision{want(rev), allow, want(rev), implicitDeny}
			})
		})
	}
	func() {
		defer func() {
			close(stop)
			wg.Wait()
		}()
		for i := range writes {
			groups := []string{}
			if i%2 == 0 {
				groups = []string{"marketing"}
			}
			rev := e.Apply(t, "flip", servertest.PutCarol(groups...))
			require.Equal(t, e.SeedRev+1+int64(i), rev, "revision of write %d", i)
		}
		e.WaitRevision(t, e.SeedRev+writes)
	}()
	got, at := carolDecision(t, e, e.SeedRev+writes)
	assert.Equal(t, want(at), got, "final decision at %d", at)
	t.Logf("%d calls saw %d of %d revisions", calls.Load(), len(seen), writes+1)
}

// TestFollowStoreLost breaks the store under a following server: decisions
// go on from the last snapshot, the policy service's health turns
// NOT_SERVING and the log says the store was lost; once the store heals the
// follower catches up with every change made meanwhile and health is
// SERVING again.
func TestFollowStoreLost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// delivered is how many writes reach the follower before the store
		// breaks; the write after breaks it.
		delivered int
	}{
		{name: "watch fails after events", delivered: 2},
		{name: "watch fails at once", delivered: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := memstore.New(store.Options{})
			f := newFaultyStore(st)
			e := servertest.NewEnv(t, servertest.Options{Store: st, Follow: f})
			var users []string
			addUser := func(name string) int64 {
				arn := servertest.MarketingUser(name)
				users = append(users, arn)
				return e.Apply(t, "add "+name, servertest.PutChange(servertest.UserKey(arn), servertest.UserDoc(arn, "marketing")))
			}
			lastSeen := e.SeedRev
			f.breakAfter(int64(tc.delivered))
			for i := range tc.delivered {
				lastSeen = addUser(fmt.Sprintf("before%d", i))
			}
			e.WaitRevision(t, lastSeen)
			addUser("breaks")
			servertest.WaitFor(t, func() bool {
				s, err := e.HealthOf(t.Context(), policyService)
				return err == nil && s == healthpb.HealthCheckResponse_NOT_SERVING
			}, "%s to report NOT_SERVING", policyService)
			assert.Contains(t, e.Log.String(), "lost the policy store", "log")
			// Changes made while the follower cannot see them.
			var last int64
			for i := range 3 {
				last = addUser(fmt.Sprintf("during%d", i))
			}
			lost := f.watches.Load() + f.snapshots.Load()
			servertest.WaitFor(t, func() bool { return f.watches.Load()+f.snapshots.Load() >= lost+2 }, "the follower to retry twice")
			// Decisions go on from the last snapshot.
			resp, err := e.Authz.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice,
				Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast()})
			if assert.NoError(t, err, "Check while the store is lost") {
				assert.Equal(t, allow, resp.GetDecision(), "Check while the store is lost")
				assert.Equal(t, lastSeen, resp.GetRevision(), "Check while the store is lost")
			}
			s, err := e.HealthOf(t.Context(), authzService)
			if assert.NoError(t, err, "%s health while the store is lost", authzService) {
				assert.Equal(t, healthpb.HealthCheckResponse_SERVING, s, "%s health while the store is lost", authzService)
			}

			healed := time.Now()
			f.heal()
			e.WaitRevision(t, last)
			t.Logf("caught up %v after the store healed", time.Since(healed))
			// At once, not at the store's next progress notification.
			servertest.WaitFor(t, func() bool {
				s, err := e.HealthOf(t.Context(), policyService)
				return err == nil && s == healthpb.HealthCheckResponse_SERVING
			}, "%s to report SERVING again", policyService)
			s, err = e.HealthOf(t.Context(), authzService)
			if assert.NoError(t, err, "%s health after healing", authzService) {
				assert.Equal(t, healthpb.HealthCheckResponse_SERVING, s, "%s health after healing", authzService)
			}
			// Every user added is known: no change was missed.
			for _, arn := range users {
				resp, err := e.Authz.Check(t.Context(), &pdpv1.CheckRequest{Principal: arn,
					Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast()})
				if assert.NoError(t, err, "%s after healing", arn) {
					assert.Equal(t, allow, resp.GetDecision(), "%s after healing", arn)
					assert.Equal(t, last, resp.GetRevision(), "%s after healing", arn)
				}
			}
			assert.Contains(t, e.Log.String(), "policy store reachable again", "log")
		})
	}
}

// TestFollowFirstReadFails breaks the store before the follower's first
// full read: with no snapshot to decide on, Follow returns the store's
// error at once instead of retrying, so that pdp serve stops with it
// rather than staying NOT_SERVING.
func TestFollowFirstReadFails(t *testing.T) {
	t.Parallel()
	f := newFaultyStore(memstore.New(store.Options{}))
	f.broken.Store(true)
	srv := server.New(server.Config{}, loadCatalog(t), nil)
	err := srv.Follow(t.Context(), f)
	require.ErrorIs(t, err, errStoreDown)
	assert.Contains(t, err.Error(), "read policy snapshot")
	assert.Equal(t, int64(1), f.snapshots.Load(), "snapshot reads")
	assert.Nil(t, srv.Current())
}
