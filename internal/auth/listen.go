package auth

import (
	"net"
	"net/netip"
	"strings"
)

// IsLoopback reports whether a listen address ("host:port") accepts
// connections from this machine only: its host is a loopback address
// (127.0.0.0/8, ::1) or "localhost". An empty host (":8181") listens on
// every interface, and a host name other than localhost may resolve to
// anything: neither is loopback.
func IsLoopback(listenAddr string) bool {
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil {
		host = strings.Trim(listenAddr, "[]")
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return ip.Unmap().IsLoopback()
}

// DefaultRequireAuth reports whether the admin API should require
// authentication when nothing says otherwise: when credentials are
// configured (a token, identity or admin policy file), since whoever
// configured them meant them to be checked, and on any listener that is
// not loopback, so that a server reachable from other machines never
// leaves its admin API open by default. Only a loopback listener without
// credentials, a developer's server, is open.
func DefaultRequireAuth(listenAddr string, credentials bool) bool {
	return credentials || !IsLoopback(listenAddr)
}
