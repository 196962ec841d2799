package admin

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/store"
)

// maxPageToken bounds the page_token ListEntities reads: a token holds a
// revision, a kind and one ID, far below this.
const maxPageToken = 4096

// pageToken is what next_page_token encodes: the revision of the listing,
// the kind it lists (its only filter) and the last ID returned. A token is
// honoured only by the listing that issued it: the same kind, at the same
// revision. It is not secret and carries no more than the caller could ask
// for; what is checked is that it continues the caller's own query.
type pageToken struct {
	Revision int64      `json:"r"`
	Kind     store.Kind `json:"k"`
	After    string     `json:"a"`
}

// encode returns the token as next_page_token.
func (t pageToken) encode() string {
	raw, _ := json.Marshal(t) // a struct of a number and two strings
	return base64.RawURLEncoding.EncodeToString(raw)
}

// parsePageToken reads the page_token of a ListEntities request listing kind
// (at revision rev, 0 for none given): a malformed token, one with a
// revision that is not positive, or one of another listing is refused.
func parsePageToken(s string, kind store.Kind, rev int64) (pageToken, *rpcerr.RequestError) {
	const unchanged = "pass the next_page_token of the previous response unchanged, or list again without one"
	if len(s) > maxPageToken {
		return pageToken{}, rpcerr.BadField("page_token", "malformed page token: %d bytes, over the limit of %d: %s", len(s), maxPageToken, unchanged)
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageToken{}, rpcerr.BadField("page_token", "malformed page token: %s", unchanged)
	}
	var tok pageToken
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tok); err != nil || dec.More() || tok.Kind == "" || tok.After == "" {
		return pageToken{}, rpcerr.BadField("page_token", "malformed page token: %s", unchanged)
	}
	switch {
	case tok.Revision <= 0:
		return pageToken{}, rpcerr.BadField("page_token", "malformed page token: revision %d is not positive: %s", tok.Revision, unchanged)
	case tok.Kind != kind:
		return pageToken{}, rpcerr.BadField("page_token", "the page token belongs to a listing of kind %q, not %q: list %q with it, or list %q again without one",
			tok.Kind, kind, tok.Kind, kind)
	case rev != 0 && rev != tok.Revision:
		return pageToken{}, rpcerr.BadField("page_token", "the token belongs to revision %d", tok.Revision)
	}
	return tok, nil
}
