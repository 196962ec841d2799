package authzen

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/server"
)

// decision is an AuthZEN decision. Decision is always written, false too.
type decision struct {
	Decision bool             `json:"decision"`
	Context  *decisionContext `json:"context,omitempty"`
}

// decisionContext is the context of a decision: pdp's own answer, or the
// problem that kept a batch item from being decided.
type decisionContext struct {
	PDP   *pdpContext `json:"pdp,omitempty"`
	Error *problem    `json:"error,omitempty"`
}

// pdpContext is pdp's answer: the IAM decision, the snapshot revision,
// and the explanation when asked for.
type pdpContext struct {
	Decision    string          `json:"decision"`
	Revision    int64           `json:"revision"`
	Explanation json.RawMessage `json:"explanation,omitempty"`
}

// problem is an error: the HTTP status it would have had alone, and why.
type problem struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

type evaluationsResponse struct {
	Evaluations []decision `json:"evaluations"`
}

// explanationJSON writes explanations with the field names of the proto.
var explanationJSON = protojson.MarshalOptions{UseProtoNames: true}

// decisionOf is the AuthZEN decision of resp, with pdp's context when
// withContext, and its explanation when explain.
func decisionOf(resp *pdpv1.CheckResponse, withContext, explain bool) decision {
	d := decision{Decision: resp.GetDecision() == pdpv1.Decision_DECISION_ALLOW}
	if !withContext {
		return d
	}
	name, _ := server.DecisionName(resp.GetDecision())
	pc := &pdpContext{Decision: name, Revision: resp.GetRevision()}
	if explain && resp.GetExplanation() != nil {
		if b, err := explanationJSON.Marshal(resp.GetExplanation()); err == nil {
			pc.Explanation = b
		}
	}
	d.Context = &decisionContext{PDP: pc}
	return d
}

// statusOf is the HTTP status and message of an error: a requestError is
// 400; a gRPC status from the decision or the authentication keeps its
// message with the status its code means.
func statusOf(err error) (int, string) {
	var re *requestError
	if errors.As(err, &re) {
		return http.StatusBadRequest, re.msg
	}
	st, ok := status.FromError(err)
	if !ok {
		return http.StatusInternalServerError, "internal error"
	}
	switch st.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return http.StatusBadRequest, st.Message()
	case codes.Unauthenticated:
		return http.StatusUnauthorized, st.Message()
	case codes.PermissionDenied:
		return http.StatusForbidden, st.Message()
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests, st.Message()
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return http.StatusServiceUnavailable, st.Message()
	case codes.Unimplemented:
		return http.StatusNotImplemented, st.Message()
	}
	return http.StatusInternalServerError, "internal error"
}

// writeError writes {"error": {"status": N, "message": "..."}}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Error problem `json:"error"`
	}{problem{Status: status, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"status":500,"message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decodeMessage names the member whose JSON type is wrong; the value is
// not repeated.
func decodeMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		want := "a " + te.Type.Kind().String()
		switch te.Type.Kind() {
		case reflect.Struct, reflect.Map, reflect.Pointer:
			want = "an object"
		case reflect.Slice:
			want = "a list"
		case reflect.Bool:
			want = "a boolean"
		}
		return "member " + te.Field + ": want " + want + ", not a JSON " + te.Value
	}
	return "malformed request body: want one JSON object"
}

// quoteOrNone quotes a caller's value, clipped, or says it is absent.
func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return strconv.Quote(rpcerr.Clip(s))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
