package snapshot

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/internal/modelgen"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// benchSizes are the models BenchmarkSnapshot follows: the large one is
// the store of the acceptance criterion, 100,000 principals and 1,000,000
// resources.
var benchSizes = []struct {
	name string
	cfg  modelgen.Config
}{
	{"10k", modelgen.Config{Accounts: 100, Managed: 500, Principals: 10_000, Resources: 100_000}},
	{"100k", modelgen.Large},
}

// BenchmarkSnapshot follows a synthetic model as a server does, through
// activateModel: build compiles the whole model from its store documents
// (decode, link, compile), reporting the seconds of each step and the heap
// the follower keeps: model-MB for the decoded entities and their
// resolution, heap-MB for all, the compiled snapshot included (the store
// documents, which the follower's caller keeps anyway, are not counted),
// and the CPU time of the build on all threads (build-cpu-s), which other
// work on the machine disturbs less than the seconds.
// The change benchmarks then apply one change per iteration and report its
// cost: a managed policy attached by about 1% of the principals, one user,
// one new resource. rebuild-full is what a change costs when nothing is
// kept: decode, validate and compile the whole model.
func BenchmarkSnapshot(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			// The generated Set is made again for the changes rather than
			// kept during the build: a server holds the store's documents,
			// not a second decoded copy of the model for the collector to
			// scan. modelgen.Generate is deterministic.
			m := modelOf(b, modelgen.Generate(size.cfg))
			var s *Follower
			b.Run("build", func(b *testing.B) {
				for b.Loop() {
					s = nil
					s = benchBuild(b, cat, m)
				}
			})
			if s == nil {
				s = NewFollower(FollowerConfig{}, cat, nil)
				if err := s.activateModel(b.Context(), m, nil, 1); err != nil {
					b.Fatal(err)
				}
			}
			set := modelgen.Generate(size.cfg)
			f := &benchFollower{s: s, m: m, rev: s.Current().revision}
			b.Run("change-managed", func(b *testing.B) { benchChangeManaged(b, f, set) })
			b.Run("change-user", func(b *testing.B) { benchChangeUser(b, f, set) })
			b.Run("add-resource", func(b *testing.B) { benchAddResource(b, f, set) })
			b.Run("rebuild-full", func(b *testing.B) {
				s = nil
				f.s.current.Store(nil) // let the follower's model go
				f.s.state, f.s.last = nil, nil
				benchRebuildFull(b, cat, m)
			})
		})
	}
}

// heapMB returns the live heap after a collection.
func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// benchBuild does what activateModel does for a full read, step by step.
func benchBuild(b *testing.B, cat *catalog.Catalog, m Model) *Follower {
	b.StopTimer()
	base := heapMB()
	b.StartTimer()
	start, cpu := time.Now(), processCPU()
	f := newFollowState()
	f.applyModel(m)
	decoded := time.Now()
	res, err := f.resolve()
	if err != nil {
		b.Fatal(err)
	}
	linked, linkedCPU := time.Now(), processCPU()
	b.StopTimer()
	state := heapMB() - base
	b.StartTimer()
	compiling, compilingCPU := time.Now(), processCPU()
	snap, err := Compile(cat, res, 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := NewFollower(FollowerConfig{}, cat, nil)
	s.state, s.last = f, snap
	s.Publish(snap)
	done, doneCPU := time.Now(), processCPU()
	b.StopTimer()
	b.ReportMetric(linked.Sub(start).Seconds()+done.Sub(compiling).Seconds(), "build-s")
	b.ReportMetric((linkedCPU - cpu + doneCPU - compilingCPU).Seconds(), "build-cpu-s")
	b.ReportMetric(decoded.Sub(start).Seconds(), "decode-s")
	b.ReportMetric(linked.Sub(decoded).Seconds(), "link-s")
	b.ReportMetric(done.Sub(compiling).Seconds(), "compile-s")
	b.ReportMetric(state, "model-MB")
	b.ReportMetric(heapMB()-base, "heap-MB")
	b.ReportMetric(float64(res.NumPrincipals()), "principals")
	b.ReportMetric(float64(res.NumResources()), "resources")
	b.StartTimer()
	return s
}

// reportCPU reports the CPU time per iteration since start, on all
// threads, in milliseconds.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// benchFollower applies changes to a followed model as watchFrom does.
type benchFollower struct {
	s   *Follower
	m   Model
	rev int64
}

func (f *benchFollower) apply(b *testing.B, changes ...store.Change) {
	for _, c := range changes {
		if c.Op == store.OpDelete {
			delete(f.m, c.Key)
		} else {
			f.m[c.Key] = c.Value
		}
	}
	f.rev++
	if err := f.s.activateModel(b.Context(), f.m, changes, f.rev); err != nil {
		b.Fatal(err)
	}
}

// popularPolicy returns the managed policy whose users (attached directly
// or through a group) are nearest 1% of the principals, and how many they
// are.
func popularPolicy(set *entity.Set) (string, int) {
	counts := map[string]int{}
	for _, m := range set.ManagedPolicies {
		if !strings.HasPrefix(m.Name, "Boundary") {
			counts[m.Name] = len(attaching(set, m.Name))
		}
	}
	target := float64(len(set.Users)+len(set.Roles)) / 100
	names := slices.Sorted(maps.Keys(counts))
	best := names[0]
	for _, n := range names {
		if math.Abs(float64(counts[n])-target) < math.Abs(float64(counts[best])-target) {
			best = n
		}
	}
	return best, counts[best]
}

func benchChangeManaged(b *testing.B, f *benchFollower, set *entity.Set) {
	name, users := popularPolicy(set)
	k := store.Key{Kind: store.KindManagedPolicy, ID: name}
	var p entity.ManagedPolicy
	if err := json.Unmarshal(f.m[k], &p); err != nil {
		b.Fatal(err)
	}
	original := p.Document
	b.ReportAllocs()
	i := 0
	cpu := processCPU()
	for b.Loop() {
		i++
		p.Document = extraStatement(original, fmt.Sprintf(
			`{"Sid":"Change%d","Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*"}`, i))
		f.apply(b, putEntity(b, k, &p))
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(users), "principals-touched")
}

func benchChangeUser(b *testing.B, f *benchFollower, set *entity.Set) {
	u := set.Users[len(set.Users)/2]
	k := store.Key{Kind: store.KindUser, ID: u.ARN}
	managed := [][]string{u.ManagedPolicies, {"Policy007", "Policy008", "Policy009"}}
	b.ReportAllocs()
	i := 0
	cpu := processCPU()
	for b.Loop() {
		i++
		u.ManagedPolicies = managed[i%2]
		u.Tags = map[string]string{"team": fmt.Sprintf("team-%d", i)}
		f.apply(b, putEntity(b, k, &u))
	}
	reportCPU(b, cpu)
}

func benchAddResource(b *testing.B, f *benchFollower, set *entity.Set) {
	apps := (len(set.Resources) / (1 + modelgen.AppChildren))
	b.ReportAllocs()
	i := 0
	cpu := processCPU()
	for b.Loop() {
		i++
		app := set.Resources[(i*7919%apps)*(1+modelgen.AppChildren)].ARN
		arn := fmt.Sprintf("%s/campaigns/new-%d", app, i)
		f.apply(b, putEntity(b, store.Key{Kind: store.KindResource, ID: arn},
			&entity.Resource{ARN: arn, Tags: map[string]string{"team": "growth", "env": "prod"}}))
	}
	reportCPU(b, cpu)
}

// benchRebuildFull is one change handled without incremental work, as
// activateModel did before: decode every document, validate and resolve
// the whole Set, compile every entry.
func benchRebuildFull(b *testing.B, cat *catalog.Catalog, m Model) {
	for b.Loop() {
		set, err := m.Set()
		if err != nil {
			b.Fatal(err)
		}
		res, err := set.Resolve(cat)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compile(cat, res, 1, nil); err != nil {
			b.Fatal(err)
		}
	}
}
