package etcdprobe

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHealthy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"healthy", http.StatusOK, `{"health":"true","reason":""}`, true},
		{"unhealthy", http.StatusOK, `{"health":"false","reason":"no leader"}`, false},
		{"error status", http.StatusServiceUnavailable, `{"health":"true"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			assert.Equal(t, tc.want, Healthy(t.Context(), srv.URL+"/health"))
		})
	}
	t.Run("nothing listening", func(t *testing.T) {
		ports, err := FreePorts(1)
		require.NoError(t, err)
		assert.False(t, Healthy(t.Context(), "http://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))+"/health"))
	})
}

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(4)
	require.NoError(t, err)
	require.Len(t, ports, 4)
	seen := map[int]bool{}
	for _, p := range ports {
		assert.False(t, seen[p], "port %d twice", p)
		seen[p] = true
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if assert.NoError(t, err, "port %d is free again once returned", p) {
			ln.Close()
		}
	}
}
