package boltstore

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// maxProblems bounds the problems one verification collects.
const maxProblems = 20

// guard turns a panic of bbolt on a corrupt page, and a memory fault on a
// page outside the mapped file, into an error: bbolt asserts rather than
// returns on some corruptions, and these are the last line of defence
// behind inspectHeader and verify.
func guard(err *error, path, what string) {
	if r := recover(); r != nil {
		*err = &DamagedError{Path: path, Problem: fmt.Sprintf("bbolt failed to %s: %v", what, r)}
	}
}

// guarded runs fn with memory faults reported as panics, and recovers
// those and bbolt's own panics into an error.
func guarded(path, what string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guard(&err, path, what)
	return fn()
}

// openBolt opens path with bbolt, recovering its panics.
func openBolt(path string, readOnly bool) (db *bbolt.DB, err error) {
	opts := *bbolt.DefaultOptions
	opts.Timeout = lockTimeout
	opts.ReadOnly = readOnly
	err = guarded(path, "open it", func() error {
		var err error
		db, err = bbolt.Open(path, 0o600, &opts)
		return err
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("boltstore: open %s: locked by another process (a running pdp serve?) for %v: %w", path, lockTimeout, err)
	}
	var de *DamagedError
	if err != nil && !errors.As(err, &de) {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return db, err
}

// An existing store file is checked before anything is written to it:
// its header (inspectHeader), then, read-only, bbolt's consistency check
// of every page and the store's format (checkFile), before Open opens it
// read-write, or while the first reads run (OpenVerifying).

// checkFile is checkOpened on the file at path opened read-only.
func checkFile(path string) error {
	db, err := openBolt(path, true)
	if err != nil {
		return err
	}
	defer db.Close()
	return checkOpened(db, path)
}

// checkOpened runs, in a read transaction of db opened at path, bbolt's
// consistency check of every page and the check of the store's format.
func checkOpened(db *bbolt.DB, path string) error {
	return guarded(path, "check it", func() error {
		return db.View(func(tx *bbolt.Tx) error {
			if problems := checkPages(tx); len(problems) > 0 {
				return damaged(path, "%s", strings.Join(problems, "; "))
			}
			if err := checkFormat(tx); err != nil {
				return fmt.Errorf("boltstore: open %s: %w", path, err)
			}
			if _, err := readMeta(tx); err != nil {
				return damaged(path, "%v", err)
			}
			return nil
		})
	})
}

// checkPages runs bbolt's consistency check of every page reachable from
// tx: page types, key order, and that every page is used or free once.
func checkPages(tx *bbolt.Tx) []string {
	var problems []string
	for err := range tx.Check() {
		if len(problems) < maxProblems {
			problems = append(problems, err.Error())
		}
	}
	return problems
}

// checkFormat checks that tx holds the buckets of this layout and its
// format version.
func checkFormat(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketVersions, bucketRevisions, bucketCurrent} {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("no %q bucket: not a pdp policy store", name)
		}
	}
	format := tx.Bucket(bucketMeta).Get(metaFormat)
	if v, ok := parseU64(format); !ok || v != formatVersion {
		return fmt.Errorf("unsupported format version %x (this build reads %d)", format, formatVersion)
	}
	return nil
}
