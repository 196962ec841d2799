package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
)

// A File is a log file that rotates by size: when a write would
// take it past MaxBytes, Path becomes Path.1, Path.1 becomes Path.2 and so
// on up to Path.MaxBackups, the oldest backup is deleted, and a new Path is
// started. A single write is never split, so a file exceeds MaxBytes only
// when one write does. MaxBytes of zero (or less) never rotates; MaxBackups
// of zero keeps no backups.
//
// The file opens on the first write, or on Open to report a bad path
// early. It appends to an existing file and counts its size. A
// File is safe for concurrent use; it must not be copied after
// first use.
type File struct {
	Path       string
	MaxBytes   int64
	MaxBackups int

	mu     sync.Mutex
	f      *os.File
	size   int64
	closed bool
	// current is f, for Abort to close without the mutex that a blocked
	// Write holds.
	current atomic.Pointer[os.File]
}

// fileMode keeps the logs, which name principals and resources, from other
// users.
const fileMode = 0o640

// Open opens the file, if it is not open yet.
func (rf *File) Open() error {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return rf.open()
}

func (rf *File) open() error {
	if rf.closed {
		return fmt.Errorf("log file %s: %w", rf.Path, os.ErrClosed)
	}
	if rf.f != nil {
		return nil
	}
	f, err := os.OpenFile(rf.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	rf.f, rf.size = f, fi.Size()
	rf.current.Store(f)
	return nil
}

// Write writes p to the file, rotating first if p would take the file past
// MaxBytes.
func (rf *File) Write(p []byte) (int, error) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if err := rf.open(); err != nil {
		return 0, err
	}
	if rf.MaxBytes > 0 && rf.size > 0 && rf.size+int64(len(p)) > rf.MaxBytes {
		if err := rf.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := rf.f.Write(p)
	rf.size += int64(n)
	return n, err
}

// rotate shifts the backups, moves the file to Path.1 and opens a new one.
func (rf *File) rotate() error {
	if err := rf.f.Close(); err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	rf.f = nil
	rf.current.Store(nil)
	if err := rf.shift(); err != nil {
		return err
	}
	return rf.open()
}

func (rf *File) shift() error {
	if rf.MaxBackups <= 0 {
		return ignoreNotExist(os.Remove(rf.Path))
	}
	if err := ignoreNotExist(os.Remove(rf.backup(rf.MaxBackups))); err != nil {
		return err
	}
	for i := rf.MaxBackups - 1; i >= 1; i-- {
		if err := ignoreNotExist(os.Rename(rf.backup(i), rf.backup(i+1))); err != nil {
			return err
		}
	}
	return ignoreNotExist(os.Rename(rf.Path, rf.backup(1)))
}

func (rf *File) backup(i int) string { return fmt.Sprintf("%s.%d", rf.Path, i) }

func ignoreNotExist(err error) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("log file: rotate: %w", err)
}

// Sync commits what was written to stable storage (fsync). A File not
// open yet has nothing to commit.
func (rf *File) Sync() error {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.closed {
		return fmt.Errorf("log file %s: %w", rf.Path, os.ErrClosed)
	}
	if rf.f == nil {
		return nil
	}
	if err := rf.f.Sync(); err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	return nil
}

// Close closes the file; later writes fail.
func (rf *File) Close() error {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	rf.closed = true
	if rf.f == nil {
		return nil
	}
	err := rf.f.Close()
	rf.f = nil
	rf.current.Store(nil)
	return err
}

// Abort closes the file at once, even while a Write blocks on it (a FIFO
// whose reader stopped reading): that Write fails, and so do later ones.
// Close is still to be called.
func (rf *File) Abort() {
	if f := rf.current.Load(); f != nil {
		_ = f.Close()
	}
}
