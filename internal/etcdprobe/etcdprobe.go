// Package etcdprobe holds what every program that starts its own etcd
// server needs before the server is of use: loopback ports for it to bind
// and a probe of its health endpoint. The test helper internal/etcdtest
// and the cluster load test both start etcd this way.
//
// Imports: the standard library only.
package etcdprobe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Healthy reports whether url (an etcd server's /health) answers
// {"health":"true"} within a second.
func Healthy(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	return err == nil && resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"true"`))
}

// FreePorts returns n distinct loopback ports that were free a moment ago.
// Another process may take one before the caller binds it, so a caller
// that fails to bind tries again with new ones.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln) // held until all n are picked, so they differ
		addr, ok := ln.Addr().(*net.TCPAddr)
		if !ok {
			return nil, errors.New("find a free port: not a TCP address")
		}
		ports = append(ports, addr.Port)
	}
	return ports, nil
}
