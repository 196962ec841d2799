package etcdstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"
)

// record is the JSON value of the log key: what store.RevisionInfo holds
// but the revision, which is the log key's ModRevision.
type record struct {
	Author  string    `json:"author,omitempty"`
	Message string    `json:"message,omitempty"`
	Time    time.Time `json:"time"`
	Keys    []string  `json:"keys"` // "kind/id", in change set order
}

func newRecord(cs store.ChangeSet, now time.Time) record {
	r := record{Author: cs.Author, Message: cs.Message, Time: now.UTC(), Keys: make([]string, len(cs.Changes))}
	for i, c := range cs.Changes {
		r.Keys[i] = c.Key.String()
	}
	return r
}

// decodeInfo decodes the log key's value written at rev.
func decodeInfo(rev int64, value []byte) (store.RevisionInfo, error) {
	var r record
	if err := json.Unmarshal(value, &r); err != nil {
		return store.RevisionInfo{}, fmt.Errorf("decode revision %d: %w", rev, err)
	}
	info := store.RevisionInfo{Revision: rev, Time: r.Time, Author: r.Author, Message: r.Message, Keys: make([]store.Key, len(r.Keys))}
	for i, s := range r.Keys {
		k, ok := parseKey(s)
		if !ok {
			return store.RevisionInfo{}, fmt.Errorf("decode revision %d: bad key %q", rev, s)
		}
		info.Keys[i] = k
	}
	return info, nil
}
