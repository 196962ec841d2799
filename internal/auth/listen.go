package auth

import (
	"net"
	"net/netip"
	"strings"
)

// DefaultRequireAuth reports whether the admin API should require
// authentication when serving on listenAddr ("host:port"): true unless the
// host is a loopback address (127.0.0.0/8, ::1) or "localhost", so that a
// server reachable from other machines never leaves its admin API open by
// default. An empty host (":8181") listens on every interface, and a host
// name other than localhost may resolve to anything: both require it.
func DefaultRequireAuth(listenAddr string) bool {
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil {
		host = strings.Trim(listenAddr, "[]")
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return true
	}
	return !ip.Unmap().IsLoopback()
}
