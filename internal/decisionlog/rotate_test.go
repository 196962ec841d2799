package decisionlog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotatingFile(t *testing.T) {
	t.Parallel()
	chunk := func(i int) []byte { return []byte(fmt.Sprintf("%029d\n", i)) } // 30 bytes
	tests := []struct {
		name       string
		maxBytes   int64
		maxBackups int
		writes     int
		want       map[string]string // file suffix ("" for the file itself) → chunks it holds
	}{
		{name: "shifts and deletes the oldest", maxBytes: 100, maxBackups: 2, writes: 10,
			want: map[string]string{"": "9", ".1": "678", ".2": "345", ".3": ""}},
		{name: "room for all backups", maxBytes: 100, maxBackups: 5, writes: 10,
			want: map[string]string{"": "9", ".1": "678", ".2": "345", ".3": "012", ".4": ""}},
		{name: "no backups", maxBytes: 60, maxBackups: 0, writes: 5,
			want: map[string]string{"": "4", ".1": ""}},
		{name: "exact fit", maxBytes: 90, maxBackups: 1, writes: 4,
			want: map[string]string{"": "3", ".1": "012"}},
		{name: "no limit", maxBytes: 0, maxBackups: 3, writes: 10,
			want: map[string]string{"": "0123456789", ".1": ""}},
		{name: "write larger than the limit", maxBytes: 20, maxBackups: 3, writes: 3,
			want: map[string]string{"": "2", ".1": "1", ".2": "0", ".3": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "decisions.log")
			rf := &RotatingFile{Path: path, MaxBytes: tc.maxBytes, MaxBackups: tc.maxBackups}
			for i := range tc.writes {
				if n, err := rf.Write(chunk(i)); err != nil || n != 30 {
					t.Fatalf("Write %d = %d, %v", i, n, err)
				}
			}
			if err := rf.Close(); err != nil {
				t.Fatal(err)
			}
			for suffix, chunks := range tc.want {
				data, err := os.ReadFile(path + suffix)
				if chunks == "" {
					if !errors.Is(err, os.ErrNotExist) {
						t.Errorf("%s exists (err %v), want none", "decisions.log"+suffix, err)
					}
					continue
				}
				var want bytes.Buffer
				for _, c := range chunks {
					want.Write(chunk(int(c - '0')))
				}
				if err != nil || !bytes.Equal(data, want.Bytes()) {
					t.Errorf("%s: %d bytes %q (err %v), want %d bytes %q", "decisions.log"+suffix, len(data), data, err, want.Len(), want.String())
				}
			}
		})
	}
}

func TestRotatingFileAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "decisions.log")
	if err := os.WriteFile(path, []byte(strings.Repeat("a", 80)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rf := &RotatingFile{Path: path, MaxBytes: 100, MaxBackups: 1}
	if err := rf.Open(); err != nil {
		t.Fatal(err)
	}
	if _, err := rf.Write([]byte("0123456789\n")); err != nil { // 81+11 fits
		t.Fatal(err)
	}
	if _, err := rf.Write([]byte("0123456789\n")); err != nil { // 92+11 does not
		t.Fatal(err)
	}
	if err := rf.Close(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{path: 11, path + ".1": 92} {
		if fi, err := os.Stat(name); err != nil || fi.Size() != want {
			t.Errorf("%s: size %v (err %v), want %d", filepath.Base(name), sizeOf(fi), err, want)
		}
	}
	if _, err := rf.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close: %v, want os.ErrClosed", err)
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}

func TestRotatingFileOpenFails(t *testing.T) {
	t.Parallel()
	rf := &RotatingFile{Path: filepath.Join(t.TempDir(), "missing", "decisions.log")}
	if err := rf.Open(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open in a missing directory: %v, want os.ErrNotExist", err)
	}
}
