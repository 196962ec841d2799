// Package tlsconf builds the TLS configurations of pdp: the server's, whose
// certificate, key and client CAs are reloaded from disk when they change,
// so that certificates rotate without a restart; the client commands'; and
// the identity of a peer that presented a verified certificate, which the
// server maps to a principal. It also writes throwaway development
// certificates (GenerateDev) for "pdp dev-certs" and for tests.
//
// Every configuration requires TLS 1.2 or later and negotiates TLS 1.3
// whenever the peer offers it; TLS 1.2 is limited to ECDHE key exchange
// with AEAD ciphers.
//
// A *Server is safe for concurrent use: each handshake reads the current
// material through an atomic pointer that only Run replaces, whole. The
// package sits beside internal/server and is wired in by cmd/pdp (its tests
// use gRPC); it imports the standard library only, and must import neither
// gRPC nor any other package of this module.
package tlsconf
