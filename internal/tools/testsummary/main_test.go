package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		events   string
		wantCode int
		want     []string // in the output
		notWant  []string
	}{
		{
			name: "all pass",
			events: `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.1s\n"}
{"Action":"pass","Package":"p"}`,
			want:    []string{"ok  \tp\t0.1s"},
			notWant: []string{"TestA"},
		},
		{
			name: "a skip fails the run",
			events: `{"Action":"output","Package":"p","Test":"TestEtcd","Output":"=== RUN   TestEtcd\n"}
{"Action":"output","Package":"p","Test":"TestEtcd","Output":"    etcdtest.go:49: etcd server not found: run make etcd\n"}
{"Action":"output","Package":"p","Test":"TestEtcd","Output":"--- SKIP: TestEtcd (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestEtcd"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.1s\n"}
{"Action":"pass","Package":"p"}`,
			wantCode: 1,
			want:     []string{"1 tests skipped", "p TestEtcd: etcdtest.go:49: etcd server not found: run make etcd"},
		},
		{
			name: "a failure prints the test's output",
			events: `{"Action":"output","Package":"p","Test":"TestB","Output":"=== RUN   TestB\n"}
{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: got 1, want 2\n"}
{"Action":"fail","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.1s\n"}
{"Action":"fail","Package":"p"}`,
			wantCode: 1,
			want:     []string{"b_test.go:9: got 1, want 2", "2 failed:", "  p TestB"},
		},
		{
			name: "a build failure",
			events: `{"ImportPath":"q","Action":"build-output","Output":"q/x.go:3:1: syntax error\n"}
{"ImportPath":"q","Action":"build-fail"}
{"Action":"fail","Package":"q"}`,
			wantCode: 1,
			want:     []string{"syntax error", "q (build)"},
		},
		{
			name:     "no events",
			events:   "go: cannot find main module\n",
			wantCode: 1,
			want:     []string{"cannot find main module", "no package results"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			assert.Equal(t, tc.wantCode, run(strings.NewReader(tc.events), &out))
			for _, w := range tc.want {
				assert.Contains(t, out.String(), w)
			}
			for _, w := range tc.notWant {
				assert.NotContains(t, out.String(), w)
			}
		})
	}
}
