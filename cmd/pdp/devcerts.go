package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/pdp-dev/pdp/internal/tlsconf"
)

// devCertsOptions are the flags of pdp dev-certs.
type devCertsOptions struct {
	clientName string
	days       int
	force      bool
}

func devCertsCommand() command {
	return command{
		name:    "dev-certs",
		args:    "DIR",
		summary: "write a throwaway CA and server and client certificates for trying TLS",
		doc: `pdp dev-certs writes into DIR (created if needed) a development CA
(ca.pem, ca-key.pem), a server certificate for localhost, 127.0.0.1 and ::1
(server.pem, server-key.pem) and a client certificate (client.pem,
client-key.pem) whose common name is --client-name and whose URI SAN, the
identity the server sees, is that name when it is a URI (an ARN, a SPIFFE
ID) and urn:pdp:client:NAME otherwise. Keys are ECDSA P-256, in files of
mode 0600. It refuses to overwrite any of these files unless --force is given.

These certificates are for development and tests only: anyone who can read
ca-key.pem can make certificates that the server trusts.`,
		setup: func(fs *flag.FlagSet) runFunc {
			var o devCertsOptions
			fs.StringVar(&o.clientName, "client-name", tlsconf.DefaultDevClientName, "common `name` of the client certificate; its URI SAN is urn:pdp:client:NAME, or NAME itself when it is a URI")
			fs.IntVar(&o.days, "days", 30, "validity of the certificates in `days`")
			fs.BoolVar(&o.force, "force", false, "overwrite existing files")
			return func(ctx context.Context, e *env, args []string) int {
				switch {
				case len(args) != 1:
					return usageError(e, "dev-certs", "want one directory, got %d arguments", len(args))
				case o.days <= 0:
					return usageError(e, "dev-certs", "--days must be positive, got %d", o.days)
				case strings.TrimSpace(o.clientName) == "":
					return usageError(e, "dev-certs", "--client-name must not be empty")
				}
				return devCerts(e, args[0], o)
			}
		},
	}
}

// devCerts writes the files and says how to use them.
func devCerts(e *env, dir string, o devCertsOptions) int {
	now := time.Now()
	err := tlsconf.GenerateDev(dir, tlsconf.DevOptions{
		ClientName: o.clientName,
		NotBefore:  now.Add(-5 * time.Minute),
		NotAfter:   now.AddDate(0, 0, o.days),
		Force:      o.force,
	})
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(e.stderr, "pdp dev-certs: %v\nUse --force to overwrite them.\n", err)
		return exitFailure
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp dev-certs: %v\n", err)
		return exitFailure
	}
	f := func(name string) string { return filepath.Join(dir, name) }
	fmt.Fprintf(e.stdout, `wrote %s, %s, %s, %s, %s, %s
client identity: %s
valid until:     %s

Serve with mutual TLS:
  pdp serve --tls-cert %s --tls-key %s --tls-client-ca %s --tls-require-client-cert
Call it:
  pdp check --tls-ca %s --tls-cert %s --tls-key %s ...
`,
		f(tlsconf.DevCAFile), f(tlsconf.DevCAKeyFile), f(tlsconf.DevServerCertFile), f(tlsconf.DevServerKeyFile),
		f(tlsconf.DevClientCertFile), f(tlsconf.DevClientKeyFile),
		tlsconf.DevClientURI(o.clientName), now.AddDate(0, 0, o.days).UTC().Format(time.RFC3339),
		f(tlsconf.DevServerCertFile), f(tlsconf.DevServerKeyFile), f(tlsconf.DevCAFile),
		f(tlsconf.DevCAFile), f(tlsconf.DevClientCertFile), f(tlsconf.DevClientKeyFile))
	return exitOK
}
