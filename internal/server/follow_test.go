package server_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
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
	if err != nil {
		t.Fatalf("Check(min_revision %d): %v", minRevision, err)
	}
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
				if got != want || at < rev {
					t.Fatalf("write %d: Check(min_revision %d) = %v at %d; want %v", i, rev, got, at, want)
				}
				batch, err := e.Authz.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Principal: servertest.Carol, Context: usEast(),
					MinRevision: rev, Items: []*pdpv1.BatchCheckItem{{Action: "mobiletargeting:GetSegment", Resource: activeUsers}}})
				if err != nil || batch.GetRevision() < rev || batch.GetResults()[0].GetDecision() != want {
					t.Fatalf("write %d: BatchCheck(min_revision %d) = %v, %v; want %v", i, rev, batch, err, want)
				}
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
			if st.Code() != codes.Unavailable {
				t.Fatalf("call = %v; want Unavailable", err)
			}
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
			if retry.GetRetryDelay().AsDuration() <= 0 {
				t.Errorf("RetryInfo %v; want a retry delay", retry)
			}
			md := info.GetMetadata()
			if info.GetReason() != "REVISION_NOT_REACHED" || md["current_revision"] != strconv.FormatInt(cur, 10) ||
				md["min_revision"] != strconv.FormatInt(minRev, 10) {
				t.Errorf("ErrorInfo %v; want REVISION_NOT_REACHED at current_revision %d", info, cur)
			}
			if took < tc.wantWait-50*time.Millisecond || took > tc.wantWait+2*time.Second {
				t.Errorf("the call took %v; want about %v", took, tc.wantWait)
			}
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
				if at < rev {
					t.Errorf("write %d: decision %v at revision %d, before the write's %d", i, got, at, rev)
				}
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
				if err := e.StopFollowing(); err != nil {
					t.Fatal(err)
				}
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
			if err := st.Compact(t.Context(), 0); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Revisions(t.Context(), behindAt, 0); !errors.Is(err, store.ErrCompacted) {
				t.Fatalf("revisions after %d: %v; want them compacted", behindAt, err)
			}
			snapshots := f.snapshots.Load()
			resume()
			e.WaitRevision(t, last)
			if got := e.Revision(); got != last {
				t.Errorf("follower at %d; want %d", got, last)
			}
			if n := f.snapshots.Load() - snapshots; n != 1 {
				t.Errorf("%d full reads after resuming; want 1", n)
			}
			if tc.wantLog != "" && !strings.Contains(e.Log.String(), tc.wantLog) {
				t.Errorf("log has no %q:\n%s", tc.wantLog, e.Log)
			}
			servertest.WaitWithin(t, time.Second, func() bool {
				s, err := e.HealthOf(t.Context(), policyService)
				return err == nil && s == healthpb.HealthCheckResponse_SERVING
			}, "%s to report SERVING after the reload", policyService)
			for i := range 5 {
				resp, err := e.Authz.Check(t.Context(), &pdpv1.CheckRequest{Principal: servertest.MarketingUser(fmt.Sprintf("late%d", i)),
					Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast()})
				if err != nil || resp.GetDecision() != allow || resp.GetRevision() != last {
					t.Errorf("late%d after the reload: %v, %v; want Allow at %d", i, resp, err, last)
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
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			calls.Add(1)
			mu.Lock()
			seen[rev] = true
			mu.Unlock()
			if rev < last {
				t.Errorf("%s: revision %d after %d", name, rev, last)
				return
			}
			last = rev
			if w := wants(rev); !slices.Equal(got, w) {
				t.Errorf("%s: decisions %v at revision %d; want %v", name, got, rev, w)
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
			if rev := e.Apply(t, "flip", servertest.PutCarol(groups...)); rev != e.SeedRev+1+int64(i) {
				t.Fatalf("write %d at revision %d; want %d", i, rev, e.SeedRev+1+int64(i))
			}
		}
		e.WaitRevision(t, e.SeedRev+writes)
	}()
	if got, at := carolDecision(t, e, e.SeedRev+writes); got != want(at) {
		t.Errorf("final decision %v at %d; want %v", got, at, want(at))
	}
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
			if !strings.Contains(e.Log.String(), "lost the policy store") {
				t.Errorf("log does not say the store was lost:\n%s", e.Log)
			}
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
			if err != nil || resp.GetDecision() != allow || resp.GetRevision() != lastSeen {
				t.Errorf("Check while the store is lost = %v, %v; want Allow at %d", resp, err, lastSeen)
			}
			if s, err := e.HealthOf(t.Context(), authzService); err != nil || s != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("%s health while the store is lost: %v, %v; want SERVING", authzService, s, err)
			}

			healed := time.Now()
			f.heal()
			e.WaitRevision(t, last)
			t.Logf("caught up %v after the store healed", time.Since(healed))
			// At once, not at the store's next progress notification.
			servertest.WaitWithin(t, time.Second, func() bool {
				s, err := e.HealthOf(t.Context(), policyService)
				return err == nil && s == healthpb.HealthCheckResponse_SERVING
			}, "%s to report SERVING again", policyService)
			if s, err := e.HealthOf(t.Context(), authzService); err != nil || s != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("%s health after healing: %v, %v; want SERVING", authzService, s, err)
			}
			// Every user added is known: no change was missed.
			for _, arn := range users {
				resp, err := e.Authz.Check(t.Context(), &pdpv1.CheckRequest{Principal: arn,
					Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast()})
				if err != nil || resp.GetDecision() != allow || resp.GetRevision() != last {
					t.Errorf("%s after healing: %v, %v; want Allow at %d", arn, resp, err, last)
				}
			}
			if !strings.Contains(e.Log.String(), "policy store reachable again") {
				t.Errorf("log does not say the store is back:\n%s", e.Log)
			}
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
