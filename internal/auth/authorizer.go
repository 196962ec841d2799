package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// Config says where an Authorizer finds its files and which calls it
// guards. Zero values take the defaults.
type Config struct {
	// TokenFile is the bearer token file (see ParseTokens); "" accepts no
	// bearer token.
	TokenFile string
	// IdentityFile maps client certificate identities to principals (see
	// ParseIdentities); "" accepts no client certificate.
	IdentityFile string
	// Identity reads the verified client certificate identity of a call;
	// nil means TLSIdentity. It is used only with an IdentityFile.
	Identity IdentityFunc
	// AdminPolicies is an admin policy file or directory (see
	// LoadAdminPolicies); "" allows no admin call to anyone.
	AdminPolicies string
	// RequireAuth makes every admin API call (pdp.v1.PolicyService)
	// authenticated and authorized by the admin policies, and refuses
	// calls to services the Authorizer does not know. Without it nothing
	// is checked and Caller reports no caller. DefaultRequireAuth gives
	// the default for a listen address.
	RequireAuth bool
	// RequireForDecisions makes every decision call (Check, BatchCheck,
	// Simulate) authenticated. Decision calls are not authorized: any
	// known principal may make them.
	RequireForDecisions bool
	// Clock gives aws:CurrentTime and aws:EpochTime; nil means time.Now.
	Clock func() time.Time
}

// An Authorizer authenticates callers and authorizes admin API calls; its
// interceptors apply it to a gRPC server. It is safe for concurrent use.
type Authorizer struct {
	cfg Config
	cat *catalog.Catalog
	log *slog.Logger

	state    atomic.Pointer[state]
	reloadMu sync.Mutex // serializes Reload
}

// state is everything read from files, replaced whole by Reload.
type state struct {
	tokens     *Tokens
	identities *Identities
	admin      *AdminPolicies
}

// New reads the files of cfg and returns an Authorizer, or an error naming
// the file and line at fault. It logs what is configured, and warns when
// a required check can never succeed.
func New(ctx context.Context, cfg Config, cat *catalog.Catalog, log *slog.Logger) (*Authorizer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Identity == nil {
		cfg.Identity = TLSIdentity
	}
	a := &Authorizer{cfg: cfg, cat: cat, log: log.With("component", "auth")}
	st, err := a.load()
	if err != nil {
		return nil, err
	}
	a.state.Store(st)
	a.report(ctx, st)
	return a, nil
}

// Reload reads the files again and, if all of them are good, makes them
// current for every later call; otherwise it keeps the files it had and
// returns the error. Call it on SIGHUP or from a timer.
func (a *Authorizer) Reload(ctx context.Context) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	st, err := a.load()
	if err != nil {
		a.log.ErrorContext(ctx, "keeping the previous authentication files", "err", err)
		return err
	}
	a.state.Store(st)
	a.logWarnings(ctx, st)
	a.log.InfoContext(ctx, "authentication files reloaded", "tokens", st.tokens.Len(),
		"identities", st.identities.Len(), "admin_principals", len(st.admin.Principals()))
	return nil
}

func (a *Authorizer) load() (*state, error) {
	st := &state{}
	var err error
	if a.cfg.TokenFile != "" {
		if st.tokens, err = LoadTokens(a.cfg.TokenFile); err != nil {
			return nil, err
		}
	}
	if a.cfg.IdentityFile != "" {
		if st.identities, err = LoadIdentities(a.cfg.IdentityFile); err != nil {
			return nil, err
		}
	}
	if a.cfg.AdminPolicies != "" {
		if st.admin, err = LoadAdminPolicies(a.cat, a.cfg.AdminPolicies); err != nil {
			return nil, fmt.Errorf("admin policies %s: %w", a.cfg.AdminPolicies, err)
		}
	}
	return st, nil
}

// logWarnings logs what validation found suspect in the admin policies.
func (a *Authorizer) logWarnings(ctx context.Context, st *state) {
	for _, w := range st.admin.Warnings() {
		a.log.WarnContext(ctx, "admin policy warning", "finding", w.Error())
	}
}

// report logs the configuration once at start.
func (a *Authorizer) report(ctx context.Context, st *state) {
	a.logWarnings(ctx, st)
	noCredentials := a.cfg.TokenFile == "" && a.cfg.IdentityFile == ""
	if a.cfg.RequireAuth && noCredentials {
		a.log.WarnContext(ctx, "the admin API requires authentication but no token or identity file is set: every admin call is refused")
	}
	if a.cfg.RequireForDecisions && noCredentials {
		a.log.WarnContext(ctx, "decisions require authentication but no token or identity file is set: every decision call is refused")
	}
	if a.cfg.RequireAuth && a.cfg.AdminPolicies == "" {
		a.log.WarnContext(ctx, "the admin API requires authentication but no admin policies are set: every admin call is denied")
	}
	a.log.InfoContext(ctx, "authentication configured", "admin_requires_auth", a.cfg.RequireAuth,
		"decisions_require_auth", a.cfg.RequireForDecisions, "tokens", st.tokens.Len(),
		"identities", st.identities.Len(), "admin_principals", len(st.admin.Principals()))
}

// authorizationMetadata is the request metadata key of bearer tokens.
const authorizationMetadata = "authorization"

// authenticate finds the principal of a call: by its bearer token when it
// sends one, else by its client certificate.
func (a *Authorizer) authenticate(ctx context.Context, st *state) (string, error) {
	if vals := metadata.ValueFromIncomingContext(ctx, authorizationMetadata); len(vals) > 0 {
		return bearerPrincipal(st.tokens, vals)
	}
	if st.identities.Len() == 0 {
		return "", errNoCredentials
	}
	id, ok := a.cfg.Identity(ctx)
	if !ok {
		return "", errNoCredentials
	}
	p, ok := st.identities.Lookup(id)
	if !ok {
		return "", &authnError{reason: "client certificate identity not mapped to a principal", identity: id}
	}
	return p, nil
}

// bearerPrincipal checks the authorization metadata of a call. The token
// is never logged or quoted.
func bearerPrincipal(tokens *Tokens, vals []string) (string, error) {
	if len(vals) > 1 {
		return "", &authnError{reason: "more than one authorization value"}
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	// The scheme is case-insensitive: https://www.rfc-editor.org/rfc/rfc6750#section-2.1
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", &authnError{reason: `authorization is not "Bearer <token>"`}
	}
	p, ok := tokens.Lookup(strings.TrimSpace(token))
	if !ok {
		return "", &authnError{reason: "unknown bearer token"}
	}
	return p, nil
}

// An authnError is a failed authentication; reason and identity go to the
// log only.
type authnError struct {
	reason   string
	identity string
}

func (e *authnError) Error() string { return "authentication failed: " + e.reason }

// errNoCredentials: the call carries neither a token nor a mapped
// certificate.
var errNoCredentials = errors.New("no credentials")
