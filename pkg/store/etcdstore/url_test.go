package etcdstore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/store/etcdstore"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		url           string
		wantEndpoints []string
		wantPrefix    string
		wantTLS       bool
		wantTimeout   time.Duration
		wantMaxOps    int
		wantErr       string // a substring of the error; "" for none
	}{
		{name: "two hosts and a prefix", url: "etcd://host:2379,host2:2379/prefix",
			wantEndpoints: []string{"http://host:2379", "http://host2:2379"}, wantPrefix: "/prefix/"},
		{name: "default port, no prefix", url: "etcd://10.0.0.1",
			wantEndpoints: []string{"http://10.0.0.1:2379"}},
		{name: "nested prefix with slashes", url: "etcd://h:1/a/b/",
			wantEndpoints: []string{"http://h:1"}, wantPrefix: "/a/b/"},
		{name: "IPv6", url: "etcd://[::1]:2379,[fe80::1]/p",
			wantEndpoints: []string{"http://[::1]:2379", "http://[fe80::1]:2379"}, wantPrefix: "/p/"},
		{name: "TLS", url: "etcds://h:2379/p", wantEndpoints: []string{"https://h:2379"}, wantPrefix: "/p/", wantTLS: true},
		{name: "query", url: "etcd://h/p?dial_timeout=2s&max_txn_ops=1024",
			wantEndpoints: []string{"http://h:2379"}, wantPrefix: "/p/", wantTimeout: 2 * time.Second, wantMaxOps: 1024},
		{name: "escaped prefix", url: "etcd://h/pdp%20prod", wantEndpoints: []string{"http://h:2379"}, wantPrefix: "/pdp prod/"},
		{name: "wrong scheme", url: "http://h:2379/p", wantErr: "want etcd://"},
		{name: "no scheme", url: "h:2379", wantErr: "want etcd://"},
		{name: "no host", url: "etcd:///p", wantErr: "empty host"},
		{name: "empty host in list", url: "etcd://a:1,,b:2", wantErr: "empty host"},
		{name: "bad port", url: "etcd://h:http", wantErr: "bad port"},
		{name: "port out of range", url: "etcd://h:70000", wantErr: "bad port"},
		{name: "user info", url: "etcd://u:p@h:2379", wantErr: "bad"},
		{name: "bad timeout", url: "etcd://h?dial_timeout=soon", wantErr: "dial_timeout"},
		{name: "bad max ops", url: "etcd://h?max_txn_ops=-1", wantErr: "max_txn_ops"},
		{name: "unknown parameter", url: "etcd://h?user=x", wantErr: `unknown parameter "user"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := etcdstore.ParseURL(tc.url)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr, "ParseURL(%q) = %+v", tc.url, cfg)
				return
			}
			require.NoError(t, err, "ParseURL(%q)", tc.url)
			if !slices.Equal(cfg.Endpoints, tc.wantEndpoints) { // no endpoints and an empty list alike
				assert.Equal(t, tc.wantEndpoints, cfg.Endpoints, "ParseURL(%q): endpoints", tc.url)
			}
			assert.Equal(t, tc.wantPrefix, cfg.Prefix, "ParseURL(%q): prefix", tc.url)
			assert.Equal(t, tc.wantTLS, cfg.TLS != nil, "ParseURL(%q): TLS", tc.url)
			assert.Equal(t, tc.wantTimeout, cfg.DialTimeout, "ParseURL(%q): dial timeout", tc.url)
			assert.Equal(t, tc.wantMaxOps, cfg.MaxTxnOps, "ParseURL(%q): max txn ops", tc.url)
		})
	}
}
