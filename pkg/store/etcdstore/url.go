package etcdstore

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ParseURL parses the --store flag's form of a Config:
//
//	etcd://host:2379,host2:2379/prefix?dial_timeout=5s&max_txn_ops=1024
//
// etcds:// connects with TLS (system roots). The port defaults to 2379;
// the path is the key prefix ("/prefix/"), DefaultPrefix when empty. The
// query may set dial_timeout (a Go duration) and max_txn_ops (Config.
// MaxTxnOps); Options are left zero (the defaults).
func ParseURL(s string) (Config, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || (scheme != "etcd" && scheme != "etcds") {
		return Config{}, fmt.Errorf("etcdstore: store URL %q: want etcd://host:port[,host:port…][/prefix]", s)
	}
	rest, query, _ := strings.Cut(rest, "?")
	hosts, path, _ := strings.Cut(rest, "/")
	var cfg Config
	httpScheme := "http://"
	if scheme == "etcds" {
		cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		httpScheme = "https://"
	}
	for h := range strings.SplitSeq(hosts, ",") {
		ep, err := endpoint(h)
		if err != nil {
			return Config{}, fmt.Errorf("etcdstore: store URL %q: %w", s, err)
		}
		cfg.Endpoints = append(cfg.Endpoints, httpScheme+ep)
	}
	if path = strings.Trim(path, "/"); path != "" {
		p, err := url.PathUnescape(path)
		if err != nil {
			return Config{}, fmt.Errorf("etcdstore: store URL %q: prefix: %w", s, err)
		}
		cfg.Prefix = "/" + p + "/"
	}
	if err := parseQuery(&cfg, query); err != nil {
		return Config{}, fmt.Errorf("etcdstore: store URL %q: %w", s, err)
	}
	return cfg, nil
}

// endpoint checks one host[:port] of a store URL and adds the default port.
func endpoint(h string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("empty host")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil { // no port: h is the host, IPv6 in brackets
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), "2379"
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("host %q: bad port %q", h, port)
	}
	if host == "" || strings.ContainsAny(host, "/@ ") {
		return "", fmt.Errorf("bad host %q", h)
	}
	return net.JoinHostPort(host, port), nil
}

// parseQuery sets the Config fields a store URL's query names.
func parseQuery(cfg *Config, query string) error {
	q, err := url.ParseQuery(query)
	if err != nil {
		return err
	}
	for name, vals := range q {
		v := vals[len(vals)-1]
		switch name {
		case "dial_timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("dial_timeout=%q: want a positive duration such as 5s", v)
			}
			cfg.DialTimeout = d
		case "max_txn_ops":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return fmt.Errorf("max_txn_ops=%q: want a positive integer", v)
			}
			cfg.MaxTxnOps = n
		default:
			return fmt.Errorf("unknown parameter %q (known: dial_timeout, max_txn_ops)", name)
		}
	}
	return nil
}
