package auth

import (
	"context"
	"fmt"
	"path/filepath"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/pdp-dev/pdp/internal/tlsconf"
)

// An IdentityFunc returns the identity of the client certificate of a call,
// and false when the call has no verified client certificate. It must only
// report certificates that the TLS handshake verified against the trusted
// client CAs.
type IdentityFunc func(ctx context.Context) (identity string, ok bool)

// TLSIdentity is the IdentityFunc of a gRPC server with TLS transport
// credentials: the identity of the verified client certificate as
// tlsconf.PeerIdentity reads it (the first URI SAN, such as a SPIFFE ID,
// else the first DNS SAN, else the subject common name). A certificate
// that was not verified against the client CAs has no identity.
func TLSIdentity(ctx context.Context) (string, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "", false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return "", false
	}
	return tlsconf.PeerIdentity(info.State)
}

// Identities maps client certificate identities to principal ARNs. It is
// immutable and safe for concurrent use; nil maps nothing.
type Identities struct {
	principals map[string]string
}

// ParseIdentities reads an identity file: a JSON object, or text lines,
// mapping certificate identities (as TLSIdentity gives them) to principal
// ARNs:
//
//	{
//	  "spiffe://example.org/ns/ops/sa/deployer": "arn:aws:iam::111122223333:role/pdp-admin",
//	  "ops.example.org": "arn:aws:iam::111122223333:user/ops"
//	}
//
// or
//
//	spiffe://example.org/ns/ops/sa/deployer arn:aws:iam::111122223333:role/pdp-admin
//	ops.example.org                         arn:aws:iam::111122223333:user/ops
//
// In text form the principal is the last field, so an identity (a common
// name) may hold spaces. name is used in errors.
func ParseIdentities(name string, data []byte) (*Identities, error) {
	pairs, err := parsePairs(name, data)
	if err != nil {
		return nil, err
	}
	ids := &Identities{principals: make(map[string]string, len(pairs))}
	for _, p := range pairs {
		if p.key == "" {
			return nil, fmt.Errorf("%s:%d: empty identity", name, p.line)
		}
		ids.principals[p.key] = p.principal
	}
	return ids, nil
}

// LoadIdentities reads an identity file (see ParseIdentities). A file
// every user may write is refused.
func LoadIdentities(path string) (*Identities, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	return ParseIdentities(filepath.Base(path), data)
}

// Len returns the number of identities.
func (ids *Identities) Len() int {
	if ids == nil {
		return 0
	}
	return len(ids.principals)
}

// Lookup returns the principal of a certificate identity. Identities are
// not secrets (the handshake has proved the caller holds the key), so a
// map lookup is fine here.
func (ids *Identities) Lookup(identity string) (string, bool) {
	if ids == nil {
		return "", false
	}
	p, ok := ids.principals[identity]
	return p, ok
}
