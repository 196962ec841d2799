package loadgen

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.NoError(t, err)
	return cat
}

// TestDefaultModelValidates checks the load test's own model at full size:
// it validates without errors as pdp serve --seed requires, and is as
// large as the load test claims.
func TestDefaultModelValidates(t *testing.T) {
	t.Parallel()
	w, err := Generate(DefaultConfig())
	require.NoError(t, err)
	_, err = w.Model.Validate(loadCatalog(t))
	require.NoError(t, err, "the default model does not validate")
	assert.GreaterOrEqual(t, w.Principals, 1000, "principals of the default model")
	assert.GreaterOrEqual(t, w.Policies, 10000, "policies of the default model")
	assert.GreaterOrEqual(t, len(w.Model.Resources), 5000, "resources of the default model")
	for _, n := range []int{100, 1000} {
		if assert.NotEmpty(t, w.Batches[n], "BatchCheck requests of %d items", n) {
			assert.Len(t, w.Batches[n][0].Request.GetItems(), n, "items of the first BatchCheck request of %d items", n)
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
	require.NoError(t, err)
	return ps
}

func (d *decider) decide(t *testing.T, principal, action, resource string, context map[string]*pdpv1.ContextValue) pdpv1.Decision {
	t.Helper()
	pp, ok := d.res.Principal(principal)
	require.True(t, ok, "principal %s is not in the model", principal)
	rdoc, tags, ok := d.res.Resource(resource)
	require.True(t, ok, "resource %s is not in the model", resource)
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
	require.NoError(t, err)
	res, err := w.Model.Resolve(cat)
	require.NoError(t, err, "Resolve")
	d := &decider{cat: cat, res: res}
	kinds := map[string]int{}
	decisions := map[pdpv1.Decision]int{}
	for i, c := range w.Checks {
		r := c.Request
		got := d.decide(t, r.GetPrincipal(), r.GetAction(), r.GetResource(), r.GetContext())
		assert.Equal(t, c.Want, got, "Check %d (%s): %v", i, c.Kind, r)
		kinds[c.Kind]++
		decisions[got]++
	}
	for _, k := range append(userKinds, roleKinds...) {
		assert.NotZero(t, kinds[k.name], "Check requests of kind %s among %d", k.name, len(w.Checks))
	}
	for _, n := range smallConfig().BatchSizes {
		for b, batch := range w.Batches[n] {
			req := batch.Request
			require.Len(t, req.GetItems(), n, "items of batch %d of size %d", b, n)
			require.Len(t, batch.Want, n, "decisions of batch %d of size %d", b, n)
			for i, it := range req.GetItems() {
				ctx := make(map[string]*pdpv1.ContextValue)
				for k, v := range req.GetContext() {
					ctx[k] = v
				}
				for k, v := range it.GetContext() { // an item's keys replace the batch's
					ctx[k] = v
				}
				got := d.decide(t, req.GetPrincipal(), it.GetAction(), it.GetResource(), ctx)
				assert.Equal(t, batch.Want[i], got, "batch %d of size %d, item %d: %v", b, n, i, it)
				decisions[got]++
			}
		}
	}
	for _, want := range []pdpv1.Decision{pdpv1.Decision_DECISION_ALLOW, pdpv1.Decision_DECISION_IMPLICIT_DENY, pdpv1.Decision_DECISION_EXPLICIT_DENY} {
		assert.NotZero(t, decisions[want], "requests decided %v: %v", want, decisions)
	}
}

// TestWriteReadsBack writes a workload and reads it back as pdp serve and
// ghz would: the model directory loads to the same entities, and the
// request files decode to the same requests.
func TestWriteReadsBack(t *testing.T) {
	t.Parallel()
	w, err := Generate(smallConfig())
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, w.Write(dir))
	set, err := entity.LoadDir(os.DirFS(filepath.Join(dir, ModelDir)), ".")
	require.NoError(t, err, "LoadDir")
	got, err := set.Bundle()
	require.NoError(t, err)
	want, err := w.Model.Bundle()
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "the model directory loads to another model than was generated")

	checks, err := ReadChecks(filepath.Join(dir, ChecksFile))
	require.NoError(t, err)
	require.Len(t, checks, len(w.Checks), "requests in %s", ChecksFile)
	for i, c := range checks {
		require.True(t, proto.Equal(c, w.Checks[i].Request), "Check %d reads back as %v, want %v", i, c, w.Checks[i].Request)
	}
	for _, n := range smallConfig().BatchSizes {
		batches, err := ReadBatches(filepath.Join(dir, BatchFile(n)))
		require.NoError(t, err)
		require.Len(t, batches, len(w.Batches[n]), "requests in %s", BatchFile(n))
		for i, b := range batches {
			require.True(t, proto.Equal(b, w.Batches[n][i].Request), "batch %d of size %d does not read back as written", i, n)
		}
	}

	var expected map[string]json.RawMessage
	data, err := os.ReadFile(filepath.Join(dir, WantFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &expected))
	var checkWant []string
	require.NoError(t, json.Unmarshal(expected["check.json"], &checkWant))
	assert.Len(t, checkWant, len(w.Checks), "Check decisions %s lists", WantFile)
	if assert.NotEmpty(t, checkWant, "Check decisions %s lists", WantFile) {
		assert.Equal(t, w.Checks[0].Want.String(), checkWant[0], "first Check decision %s lists", WantFile)
	}
}

// TestDeterministic: equal configurations write equal files.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	var dirs [2]string
	for i := range dirs {
		w, err := Generate(smallConfig())
		require.NoError(t, err)
		dirs[i] = t.TempDir()
		require.NoError(t, w.Write(dirs[i]))
	}
	for _, name := range []string{filepath.Join(ModelDir, "users", "users-00000.json"), ChecksFile, BatchFile(10), WantFile} {
		a, errA := os.ReadFile(filepath.Join(dirs[0], name))
		b, errB := os.ReadFile(filepath.Join(dirs[1], name))
		require.NoError(t, errA, name)
		require.NoError(t, errB, name)
		assert.Equal(t, string(a), string(b), "%s differs between two generations of one configuration", name)
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
		_, err := Generate(cfg)
		assert.Error(t, err, "%s: Generate", tc.name)
	}
	_, err := Generate(smallConfig())
	assert.NoError(t, err, "smallConfig")
}
