package extauthz

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"strings"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	"github.com/pdp-dev/pdp/internal/extauthz/routes"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/jsonpos"
)

// A target is what a routed request asks to do.
type target struct {
	operation string
	action    string
	resources []string // each is decided on its own; all must be allowed
	json      bool     // an AWS JSON protocol request (SMS and voice v2)
	body      map[string]any
	query     string
}

// Hosts of the two APIs: pinpoint.REGION.amazonaws.com and
// sms-voice.REGION.amazonaws.com (and .amazonaws.com.cn).
var hostPrefixes = []string{"pinpoint.", "sms-voice."}

// regionOf returns the configured Region, else the host's.
func (s *Service) regionOf(host string) string {
	if s.cfg.Region != "" {
		return s.cfg.Region
	}
	if strings.LastIndexByte(host, ':') > strings.LastIndexByte(host, ']') {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	host = strings.ToLower(host)
	for _, p := range hostPrefixes {
		rest, ok := strings.CutPrefix(host, p)
		if !ok {
			continue
		}
		region, domain, ok := strings.Cut(rest, ".")
		if ok && strings.HasPrefix(domain, "amazonaws.com") && validRegion(region) {
			return region
		}
	}
	return ""
}

// route finds the operation of a request and the ARNs of the resources
// it acts on.
func (s *Service) route(h *authv3.AttributeContext_HttpRequest, where routes.Where) (*target, *refusal) {
	path, query, _ := strings.Cut(h.GetPath(), "?")
	if amzTarget := h.GetHeaders()["x-amz-target"]; amzTarget != "" {
		return s.routeJSON(h, path, amzTarget, where)
	}
	m, ok := s.table.MatchREST(h.GetMethod(), path)
	if !ok {
		return nil, refuse(reasonNoRoute, "no Amazon Pinpoint operation is %s %s", shown(h.GetMethod()), shown(path))
	}
	t := &target{operation: m.Route.Operation, action: m.Route.Action, query: query}
	var arn string
	if m.Route.Resource == routes.ARNParam {
		v, _ := m.Param("resource-arn")
		if !strings.HasPrefix(v, "arn:") {
			return nil, refuse(reasonBadRequest, "%s: resource-arn %s is not an ARN", t.operation, rpcerr.Quote(v))
		}
		arn = v
	} else {
		var err error
		if arn, err = routes.Expand(m.Route.Resource, where, m.Param); err != nil {
			reason := reasonNoRoute
			if errors.Is(err, routes.ErrMalformedID) {
				reason = reasonBadRequest
			}
			return nil, refuse(reason, "%s: resource ARN: %v", t.operation, err)
		}
	}
	t.resources = []string{arn}
	if h.GetMethod() == "POST" || h.GetMethod() == "PUT" {
		// Only the tags are read from a REST body, but a body that cannot
		// be read might carry tags a policy tests: it is refused.
		body, rf := s.bodyOf(h, t.operation)
		if rf != nil {
			return nil, rf
		}
		if t.body, rf = parseBody(t.operation, body); rf != nil {
			return nil, rf
		}
	}
	return t, nil
}

// routeJSON routes an AWS JSON protocol request: POST / with X-Amz-Target,
// its resources named by fields of the body.
func (s *Service) routeJSON(h *authv3.AttributeContext_HttpRequest, path, amzTarget string, where routes.Where) (*target, *refusal) {
	if h.GetMethod() != "POST" || path != "/" {
		return nil, refuse(reasonNoRoute, "X-Amz-Target %s with %s %s: the JSON protocol is POST /", rpcerr.Quote(amzTarget), shown(h.GetMethod()), shown(path))
	}
	r, ok := s.table.MatchJSON(amzTarget)
	if !ok {
		return nil, refuse(reasonNoRoute, "no SMS and voice v2 operation is X-Amz-Target %s", rpcerr.Quote(amzTarget))
	}
	t := &target{operation: r.Operation, action: r.Action, json: true}
	body, rf := s.bodyOf(h, r.Operation)
	if rf != nil {
		return nil, rf
	}
	if t.body, rf = parseBody(r.Operation, body); rf != nil {
		return nil, rf
	}
	params := func(name string) (string, bool) {
		v, ok := t.body[name].(string)
		return v, ok
	}
	for i := range r.Resources {
		id := &r.Resources[i]
		v, ok := params(id.Field)
		if !ok || v == "" {
			if id.Required {
				return nil, refuse(reasonBadRequest, "%s: the body has no %s (Envoy must send the body: with_request_body)", r.Operation, id.Field)
			}
			continue
		}
		arn, rf := identifierARN(r.Operation, id, v, where, params)
		if rf != nil {
			return nil, rf
		}
		t.resources = append(t.resources, arn)
	}
	if len(t.resources) == 0 {
		t.resources = []string{"*"}
	}
	return t, nil
}

// bodyLimits leave nesting to encoding/json's own limit: a body is only
// checked for what encoding/json would read differently from the service.
var bodyLimits = jsonpos.Limits{MaxDepth: 10_000}

// parseBody reads a request body, empty or one JSON object. The service
// behind Envoy reads the body too: a member given twice, of which
// encoding/json keeps the last and the service may keep the first
// ({"OriginationIdentity": A, "OriginationIdentity": B}), or invalid
// UTF-8, which encoding/json reads as U+FFFD, could make pdp decide on
// another resource or tag than the one the request acts on. Such a body is
// refused: what it asks cannot be known.
func parseBody(op string, body []byte) (map[string]any, *refusal) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	d := jsonpos.NewDecoder(body, bodyLimits)
	d.Skip()
	d.Finish()
	if err := d.Err(); err != nil {
		return nil, refuse(reasonBadRequest, "%s: the body is not a JSON object: %v", op, err)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, refuse(reasonBadRequest, "%s: the body is not a JSON object: %v", op, err)
	}
	return out, nil
}

// identifierARN returns the ARN an identifier's value names: the value
// itself when it is an ARN, else the ARN of the kind its prefix picks.
func identifierARN(op string, id *routes.Identifier, v string, where routes.Where, params routes.Params) (string, *refusal) {
	if strings.HasPrefix(v, "arn:") {
		return v, nil
	}
	var kind *routes.Kind
	for i := range id.Kinds {
		k := &id.Kinds[i]
		if k.IDPrefix == "" || strings.HasPrefix(v, k.IDPrefix) {
			kind = k
			break
		}
	}
	if kind == nil {
		return "", refuse(reasonBadRequest, "%s: %s %s names no resource type it may name; give its ARN", op, id.Field, rpcerr.Quote(v))
	}
	arn, err := routes.Expand(kind.ARN, where, params)
	if err != nil {
		return "", refuse(reasonBadRequest, "%s: %s ARN from %s: %v", op, kind.ResourceType, id.Field, err)
	}
	return arn, nil
}

// bodyOf returns the request body Envoy sent. A body that is larger than
// the configured bound, that Envoy cut short (x-envoy-auth-partial-body),
// or that the request has but Envoy did not send (with_request_body not
// set) is refused: what it holds cannot be known.
func (s *Service) bodyOf(h *authv3.AttributeContext_HttpRequest, op string) ([]byte, *refusal) {
	b := h.GetRawBody()
	if len(b) == 0 && h.GetBody() != "" {
		b = []byte(h.GetBody())
	}
	switch {
	case len(b) > s.cfg.MaxBodyBytes:
		return nil, refuse(reasonBadRequest, "%s: the body exceeds %d bytes", op, s.cfg.MaxBodyBytes)
	case h.GetHeaders()["x-envoy-auth-partial-body"] == "true":
		return nil, refuse(reasonBadRequest, "%s: Envoy sent part of the body (set with_request_body.allow_partial_message: false)", op)
	case len(b) == 0 && hasBody(h):
		return nil, refuse(reasonBadRequest, "%s: Envoy did not send the body (set with_request_body)", op)
	}
	return b, nil
}

// hasBody reports whether the request's headers announce a body.
func hasBody(h *authv3.AttributeContext_HttpRequest) bool {
	if h.GetSize() > 0 {
		return true
	}
	hd := h.GetHeaders()
	if cl := hd["content-length"]; cl != "" && cl != "0" {
		return true
	}
	return hd["transfer-encoding"] != ""
}
