package boltstore

import (
	"context"
	"fmt"
	"io"

	"go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the store's file to w while the store
// keeps serving: one read transaction copies every page as of its start
// (bbolt's Tx.WriteTo), so writes go on meanwhile and the copy is a store
// at one revision, which it returns with the copy's size. The copy is a
// bolt file Open and Check read as they read the original. Cancel ctx to
// stop early; w then sees a short copy and Backup returns ctx's error.
func (s *Store) Backup(ctx context.Context, w io.Writer) (rev, size int64, err error) {
	err = s.view("backup", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		if err != nil {
			return err
		}
		rev, size = m.revision, tx.Size()
		n, err := tx.WriteTo(writerFunc(func(p []byte) (int, error) {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			return w.Write(p)
		}))
		if err != nil {
			return fmt.Errorf("boltstore: backup: %w", err)
		}
		if n != size {
			return fmt.Errorf("boltstore: backup: wrote %d of %d bytes", n, size)
		}
		return nil
	})
	return rev, size, err
}

// writerFunc is a function as an io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
