package authzen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// The paths of the API.
const (
	PathEvaluation     = "/access/v1/evaluation"
	PathEvaluations    = "/access/v1/evaluations"
	PathSearchSubject  = "/access/v1/search/subject"
	PathSearchResource = "/access/v1/search/resource"
	PathSearchAction   = "/access/v1/search/action"
	PathMetadata       = "/.well-known/authzen-configuration"
)

// The methods AuthZEN decisions are counted under in the metrics
// (pdp_decisions_total{method=...}) and the decision log.
const (
	MethodEvaluation  = "AuthZENEvaluation"
	MethodEvaluations = "AuthZENEvaluations"
)

// A Decider decides a CheckRequest as pdp.v1.AuthorizationService/Check
// does and reports it to the decision hooks under method;
// *server.Server is one.
type Decider interface {
	CheckAt(ctx context.Context, method string, req *pdpv1.CheckRequest, now time.Time) (*pdpv1.CheckResponse, error)
}

// A Guard authenticates (and for the search APIs, which reveal the model,
// authorizes) a request as the gRPC call fullMethod, returning the context
// the request is served with, or a gRPC status error (Unauthenticated,
// PermissionDenied). *auth.Authorizer is one.
type Guard interface {
	GuardHTTP(r *http.Request, fullMethod string, req any) (context.Context, error)
}

// The gRPC methods the endpoints are guarded as: evaluations are Check
// calls, searches are pdp.v1.AccessService calls.
const (
	guardCheck          = "/pdp.v1.AuthorizationService/Check"
	guardWhoCan         = "/pdp.v1.AccessService/WhoCan"
	guardWhichResources = "/pdp.v1.AccessService/WhichResources"
	guardWhatCan        = "/pdp.v1.AccessService/WhatCan"
)

// Config configures a Handler.
type Config struct {
	// BaseURL is the PDP's identifier: policy_decision_point in the
	// metadata, and the prefix of every endpoint listed there.
	BaseURL string
	// MaxBodyBytes bounds a request body; 0 means
	// server.DefaultMaxMessageBytes.
	MaxBodyBytes int64
	// MaxEvaluations bounds the items of one evaluations request, as
	// --max-batch bounds a BatchCheck; 0 means
	// server.DefaultMaxBatchItems.
	MaxEvaluations int
	// Guard authenticates requests; nil lets every request through.
	Guard Guard
	// Searcher answers the search APIs; nil answers them 501 Not
	// Implemented and leaves them out of the metadata.
	Searcher Searcher
}

// Handler serves the AuthZEN API. It is safe for concurrent use.
type Handler struct {
	cfg Config
	dec Decider
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the handler of the API, deciding with dec.
func New(cfg Config, dec Decider, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = server.DefaultMaxMessageBytes
	}
	if cfg.MaxEvaluations <= 0 {
		cfg.MaxEvaluations = server.DefaultMaxBatchItems
	}
	h := &Handler{cfg: cfg, dec: dec, log: log.With("component", "authzen"), mux: http.NewServeMux()}
	h.mux.HandleFunc("POST "+PathEvaluation, h.guarded(guardCheck, h.evaluation))
	h.mux.HandleFunc("POST "+PathEvaluations, h.guarded(guardCheck, h.evaluations))
	if cfg.Searcher != nil {
		h.mux.HandleFunc("POST "+PathSearchSubject, h.guarded(guardWhoCan, h.search(searchSubject)))
		h.mux.HandleFunc("POST "+PathSearchResource, h.guarded(guardWhichResources, h.search(searchResource)))
		h.mux.HandleFunc("POST "+PathSearchAction, h.guarded(guardWhatCan, h.search(searchAction)))
	} else {
		for _, p := range []string{PathSearchSubject, PathSearchResource, PathSearchAction} {
			h.mux.HandleFunc("POST "+p, searchNotServed)
		}
	}
	h.mux.HandleFunc("GET "+PathMetadata, h.metadata)
	return h
}

// ServeHTTP echoes X-Request-ID and routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id := r.Header.Get("X-Request-ID"); id != "" {
		w.Header().Set("X-Request-ID", id)
	}
	h.mux.ServeHTTP(w, r)
}

// guarded authenticates a POST, reads its JSON body and runs next with
// the context a decision is made in: the caller, the request id and the
// peer's address, which the decision log records as for gRPC calls.
func (h *Handler) guarded(fullMethod string, next func(ctx context.Context, w http.ResponseWriter, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h.cfg.Guard != nil {
			var err error
			if ctx, err = h.cfg.Guard.GuardHTTP(r, fullMethod, nil); err != nil {
				h.writeStatus(w, err)
				return
			}
		}
		if id := r.Header.Get("X-Request-ID"); id != "" {
			md, _ := metadata.FromIncomingContext(ctx)
			md = md.Copy()
			md.Set(server.RequestIDMetadata, id)
			ctx = metadata.NewIncomingContext(ctx, md)
		}
		if _, ok := peer.FromContext(ctx); !ok {
			if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
				ctx = peer.NewContext(ctx, &peer.Peer{Addr: net.TCPAddrFromAddrPort(ap)})
			}
		}
		body, status, err := h.readBody(w, r)
		if err != nil {
			writeError(w, status, err.Error())
			return
		}
		next(ctx, w, body)
	}
}

// readBody checks the content type and reads a body that must be one JSON
// object, at most MaxBodyBytes long.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, http.StatusBadRequest, errors.New("Content-Type must be application/json, not " +
			quoteOrNone(r.Header.Get("Content-Type")))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, errors.New("request body larger than the limit of " +
			itoa(h.cfg.MaxBodyBytes) + " bytes")
	case err != nil:
		return nil, http.StatusBadRequest, errors.New("request body could not be read")
	}
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return nil, http.StatusBadRequest, errors.New("empty request body: want a JSON object")
	}
	if t[0] != '{' {
		return nil, http.StatusBadRequest, errors.New("malformed request body: want one JSON object")
	}
	if err := checkBody(t); err != nil {
		return nil, http.StatusBadRequest, err
	}
	return t, 0, nil
}

// decide maps and decides one complete tuple.
func (h *Handler) decide(ctx context.Context, method string, t *tuple) (*pdpv1.CheckResponse, pdpOptions, error) {
	req, opts, err := toCheck(t)
	if err != nil {
		return nil, opts, err
	}
	resp, err := h.dec.CheckAt(ctx, method, req, time.Time{})
	return resp, opts, err
}

// evaluation serves /access/v1/evaluation.
func (h *Handler) evaluation(ctx context.Context, w http.ResponseWriter, body []byte) {
	var t tuple
	if err := json.Unmarshal(body, &t); err != nil {
		writeError(w, http.StatusBadRequest, decodeMessage(err))
		return
	}
	resp, opts, err := h.decide(ctx, MethodEvaluation, &t)
	if err != nil {
		h.writeStatus(w, err)
		return
	}
	writeJSON(w, http.StatusOK, decisionOf(resp, true, opts.Explain))
}

// evaluations serves /access/v1/evaluations: every item with the top-level
// defaults, until the semantics say stop. A problem with one item is that
// item's deny with the problem in its context.
func (h *Handler) evaluations(ctx context.Context, w http.ResponseWriter, body []byte) {
	var req evaluationsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, decodeMessage(err))
		return
	}
	semantic, withContext := executeAll, false
	if req.Options != nil {
		if req.Options.Semantic != "" {
			semantic = req.Options.Semantic
		}
		opts, err := pdpOptionsOf("options.pdp", req.Options.PDP)
		if err != nil {
			h.writeStatus(w, err)
			return
		}
		withContext = opts.DecisionContext
	}
	if n := len(req.Evaluations); n > h.cfg.MaxEvaluations {
		// Each item is a decision: a body of empty items, which take
		// the defaults, would otherwise ask a million of them.
		writeError(w, http.StatusBadRequest, fmt.Sprintf("evaluations: %d items exceed the maximum batch size of %d",
			n, h.cfg.MaxEvaluations))
		return
	}
	switch semantic {
	case executeAll, denyOnFirstDeny, permitOnFirstPermit:
	default:
		writeError(w, http.StatusBadRequest, "options.evaluations_semantic "+quoteOrNone(semantic)+
			" is not one of execute_all, deny_on_first_deny, permit_on_first_permit")
		return
	}
	if len(req.Evaluations) == 0 { // a single evaluation, answered as one
		resp, opts, err := h.decide(ctx, MethodEvaluations, &req.tuple)
		if err != nil {
			h.writeStatus(w, err)
			return
		}
		writeJSON(w, http.StatusOK, decisionOf(resp, true, opts.Explain))
		return
	}
	out := make([]decision, 0, len(req.Evaluations))
	for _, it := range req.Evaluations {
		t := req.tuple.merge(it)
		resp, opts, err := h.decide(ctx, MethodEvaluations, &t)
		var d decision
		if err != nil {
			status, msg := statusOf(err)
			d = decision{Context: &decisionContext{Error: &problem{Status: status, Message: msg}}}
		} else {
			d = decisionOf(resp, withContext || opts.Explain, opts.Explain)
		}
		out = append(out, d)
		if (semantic == denyOnFirstDeny && !d.Decision) || (semantic == permitOnFirstPermit && d.Decision) {
			break
		}
	}
	writeJSON(w, http.StatusOK, evaluationsResponse{Evaluations: out})
}

// writeStatus writes the answer to an error: a requestError or a gRPC
// status.
func (h *Handler) writeStatus(w http.ResponseWriter, err error) {
	status, msg := statusOf(err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pdp"`)
	}
	if status >= 500 {
		h.log.Warn("AuthZEN request failed", "status", status, "err", msg)
	}
	writeError(w, status, msg)
}
