package main

import (
	"fmt"

	"github.com/pdp-dev/pdp/internal/auth"
)

// exposure is what the settings of pdp serve open to whom, decided before
// anything starts: whether the admin API requires authentication, and the
// warnings logged once at start about what is open.
type exposure struct {
	requireAuth bool
	warnings    []string
}

// exposure applies the defaults that keep a server closed unless told
// otherwise:
//
//   - A listener that is not loopback needs TLS: plaintext there lets
//     anyone on the network read and alter calls and bearer tokens. It is
//     an error unless -insecure-plaintext, which is warned about.
//   - The admin API requires authentication when any credential source is
//     configured, on any address, and on every listener that is not
//     loopback; -require-auth=false keeps it open, which is warned about,
//     as is the open admin API of a loopback server without credentials.
//   - Decision calls without authentication, and metrics (or profiles)
//     served on an address that is not loopback, are warned about.
func (o serveOptions) exposure() (exposure, error) {
	loopback := auth.IsLoopback(o.listen)
	if !loopback && o.tlsCert == "" && !o.insecurePlaintext {
		return exposure{}, fmt.Errorf("-listen %q is not a loopback address and would serve plaintext: "+
			"serve TLS with -tls-cert and -tls-key, or pass -insecure-plaintext to accept that calls and tokens cross the network in the clear", o.listen)
	}
	credentials := o.authTokens != "" || o.authIdentities != "" || o.adminPolicies != ""
	ex := exposure{requireAuth: o.requireAuth.or(auth.DefaultRequireAuth(o.listen, credentials))}
	if !loopback && o.tlsCert == "" {
		ex.warnings = append(ex.warnings, fmt.Sprintf("serving plaintext on %s, which is not a loopback address (-insecure-plaintext): "+
			"calls and bearer tokens can be read and altered on the network", o.listen))
	}
	if !ex.requireAuth {
		why := "no credentials configured and the listener is loopback"
		if o.requireAuth.set {
			why = "-require-auth=false"
		}
		ex.warnings = append(ex.warnings, "admin API open to every caller: "+why)
	}
	if !loopback && !o.requireAuthDecisions {
		ex.warnings = append(ex.warnings, fmt.Sprintf("decision calls are not authenticated on %s, which is not a loopback address: "+
			"anyone who reaches it may ask for decisions; -require-auth-decisions requires credentials", o.listen))
	}
	if o.metricsListen != "" && !auth.IsLoopback(o.metricsListen) {
		what := "metrics are"
		if o.pprof {
			what = "metrics and runtime profiles are"
		}
		ex.warnings = append(ex.warnings, fmt.Sprintf("%s served without authentication on %s, which is not a loopback address: "+
			"keep -metrics-listen on a private address", what, o.metricsListen))
	}
	return ex, nil
}
