package access

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/stretchr/testify/require"
)

// benchSet is a large model: users of three accounts with up to three of
// 50 managed policies each, one group, tags; 2,000 resources. Policy
// M0, which lets read the campaigns of one app, is attached to every
// hundredth user.
func benchSet(r *rand.Rand, users int) *entity.Set {
	s := genSet(r, genSize{accounts: 3, managed: 50, users: 0, roles: 0, apps: 10, children: 66})
	for i := range s.Groups {
		s.Groups[i].ManagedPolicies = slices.DeleteFunc(s.Groups[i].ManagedPolicies, func(m string) bool { return m == "M0" })
	}
	s.ManagedPolicies[0].Document = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Action":"mobiletargeting:GetCampaign","Resource":"arn:aws:mobiletargeting:*:*:apps/a1/*"}]}`)
	for i := range users {
		acct := genAccounts[i%3]
		var managed []string
		for range 1 + r.IntN(3) {
			if m := fmt.Sprintf("M%d", 1+r.IntN(49)); !slices.Contains(managed, m) {
				managed = append(managed, m)
			}
		}
		if i%100 == 0 {
			managed = append(managed, "M0")
		}
		s.Users = append(s.Users, entity.User{ARN: fmt.Sprintf("arn:aws:iam::%s:user/u%06d", acct, i), ManagedPolicies: managed,
			Groups: []string{fmt.Sprintf("g%d", r.IntN(3))}, Tags: map[string]string{"team": pickOne(r, genTeams)}})
	}
	return s
}

func BenchmarkWhoCan100kPrincipals(b *testing.B) {
	cat, err := catalog.Load()
	require.NoError(b, err)
	_, m := resolve(b, cat, benchSet(rand.New(rand.NewPCG(1, 1)), 100_000), entity.NewDocCache(), 1)
	require.Len(b, m.Principals(), 100_000)
	b.ReportAllocs()
	var n int
	start := startCPU(b)
	for b.Loop() {
		list, _, err := m.WhoCan("mobiletargeting:GetApp", "arn:aws:mobiletargeting:us-east-1:111100000003:apps/a1", Options{})
		require.NoError(b, err)
		n = len(list)
	}
	reportCPU(b, start)
	b.ReportMetric(float64(n), "principals-listed")
}

func BenchmarkWhatCan20Policies(b *testing.B) {
	cat, err := catalog.Load()
	require.NoError(b, err)
	r := rand.New(rand.NewPCG(2, 2))
	s := genSet(r, genSize{accounts: 3, managed: 40, users: 10, roles: 0, apps: 10, children: 66})
	var managed []string
	for i := range 18 {
		managed = append(managed, fmt.Sprintf("M%d", i))
	}
	s.Users[0].ManagedPolicies = managed
	s.Users[0].InlinePolicies = map[string]json.RawMessage{"own": genDoc(r, genAccounts[0], false, 3)}
	_, m := resolve(b, cat, s, entity.NewDocCache(), 1)
	p := m.Principals()[0]
	require.GreaterOrEqual(b, len(p.policies.Identity.Policies()), 20)
	resource := "arn:aws:mobiletargeting:us-east-1:111100000001:apps/a1"
	b.Run("resource", func(b *testing.B) {
		b.ReportAllocs()
		start := startCPU(b)
		for b.Loop() {
			_, err := m.WhatCan(p.ARN, resource, Options{IncludeDenied: true})
			require.NoError(b, err)
		}
		reportCPU(b, start)
	})
	b.Run("scopes", func(b *testing.B) {
		b.ReportAllocs()
		start := startCPU(b)
		for b.Loop() {
			_, err := m.Scopes(p.ARN)
			require.NoError(b, err)
		}
		reportCPU(b, start)
	})
}

func BenchmarkImpactOneManagedPolicy(b *testing.B) {
	cat, err := catalog.Load()
	require.NoError(b, err)
	r := rand.New(rand.NewPCG(3, 3))
	s := benchSet(r, 100_000)
	cache := entity.NewDocCache()
	_, from := resolve(b, cat, s, cache, 1)
	next := cloneSet(s)
	next.ManagedPolicies[0].Document = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Action":["mobiletargeting:GetCampaign","mobiletargeting:UpdateCampaign"],"Resource":"arn:aws:mobiletargeting:*:*:apps/a1/*"}]}`)
	_, to := resolve(b, cat, next, cache, 2)
	b.ReportAllocs()
	var im *Impact
	start := startCPU(b)
	for b.Loop() {
		im, err = Compare(from, to)
		require.NoError(b, err)
	}
	reportCPU(b, start)
	require.Positive(b, im.Total)
	b.ReportMetric(float64(len(im.ByPrincipal)), "principals-changed")
	b.ReportMetric(float64(im.Total), "triples-changed")
}

// startCPU collects what building the model left behind, so that the
// collector's work on it is not counted, and returns the CPU time so far.
func startCPU(b *testing.B) time.Duration {
	runtime.GC()
	return cpuTime(b)
}

// reportCPU reports the process's CPU time per operation since start, the
// garbage collector's included, when the platform tells it.
func reportCPU(b *testing.B, start time.Duration) {
	if start >= 0 {
		b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
	}
}
