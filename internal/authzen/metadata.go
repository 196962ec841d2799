package authzen

import (
	"net/http"
	"strings"
)

// pdpMetadata is the PDP metadata document: the PDP's identifier and the
// URL of every endpoint it serves. Endpoints not served are left out.
type pdpMetadata struct {
	PolicyDecisionPoint       string `json:"policy_decision_point"`
	AccessEvaluationEndpoint  string `json:"access_evaluation_endpoint"`
	AccessEvaluationsEndpoint string `json:"access_evaluations_endpoint"`
	SearchSubjectEndpoint     string `json:"search_subject_endpoint,omitempty"`
	SearchResourceEndpoint    string `json:"search_resource_endpoint,omitempty"`
	SearchActionEndpoint      string `json:"search_action_endpoint,omitempty"`
}

// metadata serves /.well-known/authzen-configuration. It is public, as
// discovery documents are: it tells only where the endpoints are.
func (h *Handler) metadata(w http.ResponseWriter, _ *http.Request) {
	base := strings.TrimSuffix(h.cfg.BaseURL, "/")
	m := pdpMetadata{
		PolicyDecisionPoint:       h.cfg.BaseURL,
		AccessEvaluationEndpoint:  base + PathEvaluation,
		AccessEvaluationsEndpoint: base + PathEvaluations,
	}
	if h.cfg.Searcher != nil {
		m.SearchSubjectEndpoint = base + PathSearchSubject
		m.SearchResourceEndpoint = base + PathSearchResource
		m.SearchActionEndpoint = base + PathSearchAction
	}
	writeJSON(w, http.StatusOK, m)
}
