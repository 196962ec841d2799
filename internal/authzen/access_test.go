package authzen_test

import (
	"testing"

	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/authzen/authzentest"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestAccessSearch runs the search cases against the access analysis of
// examples/model: only unconditional answers are results, pages follow the
// service's.
func TestAccessSearch(t *testing.T) {
	srv, _, _ := newDecider(t)
	h := authzen.New(authzen.Config{BaseURL: "https://pdp.test", Searcher: authzen.NewAccessSearcher(server.NewAccess(srv, nil))}, srv, nil)
	ts := serveHandler(t, h)
	target := authzentest.Target{BaseURL: ts.URL, Client: ts.Client()}
	authzentest.Run(t, target, authzentest.MetadataCases("https://pdp.test", true))
	authzentest.Run(t, target, authzentest.SearchCases())
	authzentest.SearchPages(t, target)
}
