package loadgen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// smallConfig has every kind of entity and request, small enough to decide
// every request in a test.
func smallConfig() Config {
	return Config{Accounts: 2, Teams: 3, Apps: 24, Users: 30, Roles: 8, InlinePerUser: 6, InlinePerRole: 3,
		Checks: 400, BatchSizes: []int{10, 50}, BatchesPerSize: 3, Seed: 7}
}

func loadCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestDefaultModelValidates checks the load test's own model at full size:
// it validates without errors as pdp serve --seed requires, and is as
// large as the load test claims.
func TestDefaultModelValidates(t *testing.T) {
	t.Parallel()
	w, err := Generate(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Model.Validate(loadCatalog(t)); err != nil {
		t.Fatalf("the default model does not validate: %v", err)
	}
	if w.Principals < 1000 || w.Policies < 10000 || len(w.Model.Resources) < 5000 {
		t.Errorf("default model: %d principals, %d policies, %d resources; want at least 1,000, 10,000 and 5,000",
			w.Principals, w.Policies, len(w.Model.Resources))
	}
	for _, n := range []int{100, 1000} {
		if len(w.Batches[n]) == 0 || len(w.Batches[n][0].Request.GetItems()) != n {
			t.Errorf("no BatchCheck requests of %d items", n)
		}
	}
}

// decider decides requests with pdp's engine over the resolved model, as
// the server does: the principal's identity policies and boundary, the
// resource's policy, the SCP chain of the principal's account, and a
// context of the caller's keys with the principal's and resource's tags.
type decider struct {
	cat *catalog.Catalog
	res *entity.Resolved
}

func (d *decider) compile(t *testing.T, docs ...*engine.Document) *engine.PolicySet {
	t.Helper()
	ps, err := engine.Compile(d.cat, docs...)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func (d *decider) decide(t *testing.T, principal, action, resource string, context map[string]*pdpv1.ContextValue) pdpv1.Decision {
	t.Helper()
	pp, ok := d.res.Principal(principal)
	if !ok {
		t.Fatalf("principal %s is not in the model", principal)
	}
	rdoc, tags, ok := d.res.Resource(resource)
	if !ok {
		t.Fatalf("resource %s is not in the model", resource)
	}
	pol := engine.Policies{Identity: d.compile(t, pp.Identity...)}
	if pp.Boundary != nil {
		pol.Boundary = d.compile(t, pp.Boundary)
	}
	if rdoc != nil {
		pol.Resource = d.compile(t, rdoc)
	}
	chain, _ := d.res.SCPChain(pp.Account)
	for _, level := range chain {
		pol.SCPs = append(pol.SCPs, d.compile(t, level...))
	}
	ctx := engine.NewContext(16)
	for k, v := range context {
		ctx.Set(k, v.GetStringValue())
	}
	for k, v := range pp.Tags {
		ctx.Set("aws:PrincipalTag/"+k, v)
	}
	for k, v := range tags {
		ctx.Set("aws:ResourceTag/"+k, v)
	}
	ctx.Set("aws:PrincipalArn", pp.ARN)
	ctx.Set("aws:PrincipalAccount", pp.Account)
	switch engine.Evaluate(&pol, &engine.Request{Principal: principal, Action: action, Resource: resource, Context: ctx}) {
	case engine.Allow:
		return pdpv1.Decision_DECISION_ALLOW
	case engine.ExplicitDeny:
		return pdpv1.Decision_DECISION_EXPLICIT_DENY
	}
	return pdpv1.Decision_DECISION_IMPLICIT_DENY
}

// TestRequestsGetTheirDecisions decides every generated request with the
// engine and requires the decision the request was made to get, and every
// kind of request and every decision to occur.
func TestRequestsGetTheirDecisions(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	w, err := Generate(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Model.Resolve(cat)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	d := &decider{cat: cat, res: res}
	kinds := map[string]int{}
	decisions := map[pdpv1.Decision]int{}
	for i, c := range w.Checks {
		r := c.Request
		got := d.decide(t, r.GetPrincipal(), r.GetAction(), r.GetResource(), r.GetContext())
		if got != c.Want {
			t.Errorf("Check %d (%s): %v, want %v: %v", i, c.Kind, got, c.Want, r)
		}
		kinds[c.Kind]++
		decisions[got]++
	}
	for _, k := range append(userKinds, roleKinds...) {
		if kinds[k.name] == 0 {
			t.Errorf("no Check request of kind %s among %d", k.name, len(w.Checks))
		}
	}
	for _, n := range smallConfig().BatchSizes {
		for b, batch := range w.Batches[n] {
			req := batch.Request
			if len(req.GetItems()) != n || len(batch.Want) != n {
				t.Fatalf("batch %d of size %d has %d items and %d decisions", b, n, len(req.GetItems()), len(batch.Want))
			}
			for i, it := range req.GetItems() {
				ctx := make(map[string]*pdpv1.ContextValue)
				for k, v := range req.GetContext() {
					ctx[k] = v
				}
				for k, v := range it.GetContext() { // an item's keys replace the batch's
					ctx[k] = v
				}
				got := d.decide(t, req.GetPrincipal(), it.GetAction(), it.GetResource(), ctx)
				if got != batch.Want[i] {
					t.Errorf("batch %d of size %d, item %d: %v, want %v: %v", b, n, i, got, batch.Want[i], it)
				}
				decisions[got]++
			}
		}
	}
	for _, want := range []pdpv1.Decision{pdpv1.Decision_DECISION_ALLOW, pdpv1.Decision_DECISION_IMPLICIT_DENY, pdpv1.Decision_DECISION_EXPLICIT_DENY} {
		if decisions[want] == 0 {
			t.Errorf("no request is decided %v: %v", want, decisions)
		}
	}
}

// TestWriteReadsBack writes a workload and reads it back as pdp serve and
// ghz would: the model directory loads to the same entities, and the
// request files decode to the same requests.
func TestWriteReadsBack(t *testing.T) {
	t.Parallel()
	w, err := Generate(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := w.Write(dir); err != nil {
		t.Fatal(err)
	}
	set, err := entity.LoadDir(os.DirFS(filepath.Join(dir, ModelDir)), ".")
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	got, err := set.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	want, err := w.Model.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the model directory loads to another model than was generated")
	}

	checks, err := ReadChecks(filepath.Join(dir, ChecksFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != len(w.Checks) {
		t.Fatalf("%s holds %d requests, want %d", ChecksFile, len(checks), len(w.Checks))
	}
	for i, c := range checks {
		if !proto.Equal(c, w.Checks[i].Request) {
			t.Fatalf("Check %d reads back as %v, want %v", i, c, w.Checks[i].Request)
		}
	}
	for _, n := range smallConfig().BatchSizes {
		batches, err := ReadBatches(filepath.Join(dir, BatchFile(n)))
		if err != nil {
			t.Fatal(err)
		}
		if len(batches) != len(w.Batches[n]) {
			t.Fatalf("%s holds %d requests, want %d", BatchFile(n), len(batches), len(w.Batches[n]))
		}
		for i, b := range batches {
			if !proto.Equal(b, w.Batches[n][i].Request) {
				t.Fatalf("batch %d of size %d does not read back as written", i, n)
			}
		}
	}

	var expected map[string]json.RawMessage
	data, err := os.ReadFile(filepath.Join(dir, WantFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatal(err)
	}
	var checkWant []string
	if err := json.Unmarshal(expected["check.json"], &checkWant); err != nil {
		t.Fatal(err)
	}
	if len(checkWant) != len(w.Checks) || checkWant[0] != w.Checks[0].Want.String() {
		t.Errorf("%s lists %d Check decisions starting %q, want %d starting %q",
			WantFile, len(checkWant), checkWant[0], len(w.Checks), w.Checks[0].Want)
	}
}

// TestDeterministic: equal configurations write equal files.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	var dirs [2]string
	for i := range dirs {
		w, err := Generate(smallConfig())
		if err != nil {
			t.Fatal(err)
		}
		dirs[i] = t.TempDir()
		if err := w.Write(dirs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{filepath.Join(ModelDir, "users", "users-00000.json"), ChecksFile, BatchFile(10), WantFile} {
		a, errA := os.ReadFile(filepath.Join(dirs[0], name))
		b, errB := os.ReadFile(filepath.Join(dirs[1], name))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v, %v", name, errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two generations of one configuration", name)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*Config)
	}{
		{"one account", func(c *Config) { c.Accounts = 1 }},
		{"one team", func(c *Config) { c.Teams = 1 }},
		{"apps not spread evenly", func(c *Config) { c.Apps++ }},
		{"two apps per team", func(c *Config) { c.Apps = 2 * c.Accounts * c.Teams }},
		{"every app quarantined", func(c *Config) { c.InlinePerUser = 12 }}, // 4 quarantines of 4 apps
		{"too few users", func(c *Config) { c.Users = 5 }},
		{"a role-less account", func(c *Config) { c.Roles = 1 }},
		{"too few inline policies", func(c *Config) { c.InlinePerRole = 2 }},
		{"no checks", func(c *Config) { c.Checks = 0 }},
		{"empty batch", func(c *Config) { c.BatchSizes = []int{0} }},
	} {
		cfg := smallConfig()
		tc.change(&cfg)
		if _, err := Generate(cfg); err == nil {
			t.Errorf("%s: Generate succeeded, want an error", tc.name)
		}
	}
	if _, err := Generate(smallConfig()); err != nil {
		t.Errorf("smallConfig: %v", err)
	}
}
