package boltstore

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/pdp-dev/pdp/pkg/store"
)

// A Report is the outcome of Check: what the file holds, and every problem
// found (up to a limit). A file with no Problems is a sound store.
type Report struct {
	Path      string
	Revision  int64 // current revision
	Compacted int64 // oldest readable revision
	Entities  int   // entities at the current revision
	Versions  int   // entity versions kept
	Records   int   // revision records kept
	Warnings  []string
	Problems  []string
}

// OK reports whether Check found no problem.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Check verifies the store file at path without writing to it: its meta
// pages and size, bbolt's consistency check of every page (in a read-only
// open, which waits for the lock a writing process holds, as Open does),
// and that every record of the store's layout decodes. Problems of the file go in the report; the error
// is for a file that cannot be read at all (missing, or unreadable).
func Check(path string) (Report, error) {
	r := Report{Path: path}
	if _, err := os.Stat(path); err != nil {
		return r, fmt.Errorf("boltstore: %w", err)
	}
	h, err := inspectHeader(path)
	var de *DamagedError
	switch {
	case errors.As(err, &de):
		r.Problems = append(r.Problems, de.Problem)
		return r, nil
	case err != nil:
		return r, err
	}
	r.Warnings = h.warnings()
	db, err := openBolt(path, true)
	switch {
	case errors.As(err, &de):
		r.Problems = append(r.Problems, de.Problem)
		return r, nil
	case err != nil:
		return r, err
	}
	defer db.Close()
	err = guarded(path, "check it", func() error {
		return db.View(func(tx *bbolt.Tx) error {
			r.Problems = append(r.Problems, checkPages(tx)...)
			if len(r.Problems) > 0 {
				return nil // the layout cannot be walked safely
			}
			if err := checkFormat(tx); err != nil {
				r.Problems = append(r.Problems, err.Error())
				return nil
			}
			checkLayout(tx, &r)
			return nil
		})
	})
	if errors.As(err, &de) {
		r.Problems = append(r.Problems, de.Problem)
	} else if err != nil {
		return r, err
	}
	return r, nil
}

// checkLayout reads every record of the store's buckets and checks that it
// decodes and agrees with the meta counters.
func checkLayout(tx *bbolt.Tx, r *Report) {
	problem := func(format string, args ...any) {
		if len(r.Problems) < maxProblems {
			r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
		}
	}
	m, err := readMeta(tx)
	if err != nil {
		problem("%v", err)
		return
	}
	r.Revision, r.Compacted = m.revision, m.compacted
	if m.compacted > m.revision {
		problem("meta: compacted up to %d, after the current revision %d", m.compacted, m.revision)
	}
	_ = tx.Bucket(bucketRevisions).ForEach(func(k, v []byte) error {
		r.Records++
		u, ok := parseU64(k)
		if !ok {
			problem("revisions: bad key %x", k)
			return nil
		}
		rev := int64(u)
		if rev > m.revision || rev < m.compacted {
			problem("revisions: record of revision %d outside the kept range %d..%d", rev, m.compacted, m.revision)
		}
		rec, err := decodeRecord(rev, v)
		if err != nil {
			problem("revisions: %v", err)
			return nil
		}
		for _, key := range rec.Keys {
			if err := (store.Key{Kind: key.Kind, ID: key.ID}).Validate(); err != nil {
				problem("revisions: revision %d: %v", rev, err)
			}
		}
		return nil
	})
	if m.revision > 0 && m.revision >= m.compacted {
		if _, ok, _ := readRecord(tx, m.revision); !ok {
			problem("revisions: no record of the current revision %d", m.revision)
		}
	}
	versions := tx.Bucket(bucketVersions)
	_ = versions.ForEach(func(k, v []byte) error {
		r.Versions++
		prefix, rev, ok := splitVersionKey(k)
		switch {
		case !ok || !validKindPrefix(prefix):
			problem("versions: bad key %q", k)
		case rev < 1 || rev > m.revision:
			problem("versions: %q at revision %d, after the current revision %d", prefix[:len(prefix)-1], rev, m.revision)
		case len(v) == 0 || (v[0] != tagPut && v[0] != tagDelete):
			problem("versions: %q at revision %d: bad value tag", prefix[:len(prefix)-1], rev)
		}
		return nil
	})
	_ = tx.Bucket(bucketCurrent).ForEach(func(k, v []byte) error {
		r.Entities++
		if !validKindPrefix(append(k[:len(k):len(k)], 0)) {
			problem("current: bad key %q", k)
			return nil
		}
		if len(v) < 8 {
			problem("current: %q: value shorter than its revision", k)
			return nil
		}
		mod := int64(uint64FromBytes(v))
		if mod < 1 || mod > m.revision {
			problem("current: %q modified at revision %d, after the current revision %d", k, mod, m.revision)
			return nil
		}
		if ver := versions.Get(append(append(k[:len(k):len(k)], 0), u64(mod)...)); len(ver) == 0 || ver[0] != tagPut {
			problem("current: %q: no version at its revision %d", k, mod)
		}
		return nil
	})
}

// validKindPrefix reports whether p is kind "/" id 0x00 with a known kind
// and a non-empty id.
func validKindPrefix(p []byte) bool {
	kind, rest, ok := strings.Cut(string(p), "/")
	return ok && store.Kind(kind).Valid() && len(rest) > 1 && rest[len(rest)-1] == 0
}

func uint64FromBytes(b []byte) uint64 {
	u, _ := parseU64(b[:8])
	return u
}
