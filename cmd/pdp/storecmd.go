package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/store/boltstore"
)

// storeOptions are the flags of pdp store, shared by its subcommands.
type storeOptions struct {
	dataDir string
	addr    string
	out     string
	timeout time.Duration
	tls     clientTLS
}

func storeCommand() command {
	return command{
		name:    "store",
		env:     clientEnv(map[string]string{"addr": "PDP_ADDR", "data-dir": "PDP_DATA_DIR"}),
		args:    "SUBCOMMAND [ARG…]",
		summary: "check a bolt store file, or back up a server's store: check, backup",
		doc: `Subcommands:
  check [FILE]          verify a bolt store file without writing to it: its
                        meta pages and size, bbolt's check of every page, and
                        that every revision and entity record decodes. FILE
                        defaults to pdp.db in --data-dir. Prints OK with the
                        revision and counts, or each problem; exits 1 when it
                        finds one. A running server holds its file's lock:
                        check a stopped server's file, or a backup.
  backup -o FILE        take a consistent copy of a running server's bolt
                        store (--addr) through PolicyService.Backup, while
                        writes go on; write it to a temporary file, fsync it,
                        verify it as check does, then rename it to FILE.
                        Restore: stop the server, put the copy in place as
                        DIR/pdp.db, and start "pdp serve --data-dir DIR".
                        An etcd store is backed up with "etcdctl snapshot
                        save" instead; a memory store cannot be backed up.`,
		setup: func(fs *flag.FlagSet) runFunc {
			var o storeOptions
			fs.StringVar(&o.dataDir, "data-dir", defaultDataDir, "`directory` of the bolt store's file pdp.db, for check (PDP_DATA_DIR)")
			fs.StringVar(&o.addr, "addr", defaultAddr, "server `address`, for backup (PDP_ADDR)")
			fs.StringVar(&o.out, "o", "", "backup `file` to write")
			fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "deadline of the whole backup")
			o.tls.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) == 0 {
					return usageError(e, "store", "missing subcommand: check or backup")
				}
				sub := args[0]
				rest, err := parseInterleaved(fs, args[1:])
				if err != nil {
					return usageError(e, "store", "%v", err)
				}
				switch sub {
				case "check":
					return storeCheck(e, o, rest)
				case "backup":
					return storeBackup(ctx, e, o, rest)
				}
				return usageError(e, "store", "unknown subcommand %q: want check or backup", sub)
			}
		},
	}
}

// storeCheck runs pdp store check.
func storeCheck(e *env, o storeOptions, args []string) int {
	path := filepath.Join(o.dataDir, "pdp.db")
	switch len(args) {
	case 0:
	case 1:
		path = args[0]
	default:
		return usageError(e, "store", "check takes at most one FILE, got %d arguments", len(args))
	}
	r, err := boltstore.Check(path)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(e.stderr, "pdp store check: %s: no such file\n", path)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp store check: %v\n", err)
		return exitFailure
	}
	printReport(e.stdout, r)
	if !r.OK() {
		return exitFailure
	}
	return exitOK
}

// printReport writes a check's outcome: each warning and problem on a line
// of its own, then the verdict.
func printReport(w io.Writer, r boltstore.Report) {
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "%s: warning: %s\n", r.Path, warn)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "%s: %s\n", r.Path, p)
	}
	if !r.OK() {
		fmt.Fprintf(w, "%s: DAMAGED: %d problems; restore it from a backup\n", r.Path, len(r.Problems))
		return
	}
	fmt.Fprintf(w, "%s: OK: revision %d (history from %d), %d entities, %d versions, %d revision records\n",
		r.Path, r.Revision, max(r.Compacted, 1), r.Entities, r.Versions, r.Records)
}

// storeBackup runs pdp store backup.
func storeBackup(ctx context.Context, e *env, o storeOptions, args []string) int {
	if len(args) > 0 || o.out == "" {
		return usageError(e, "store", "backup takes -o FILE and no arguments")
	}
	if o.timeout <= 0 {
		return usageError(e, "store", "-timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	r, err := backup(ctx, o)
	if err != nil {
		fmt.Fprintf(e.stderr, "pdp store backup: %v\n", err)
		return exitFailure
	}
	printReport(e.stdout, r)
	return exitOK
}

// backup copies the server's store into o.out: into a temporary file
// beside it first, synced and verified, then renamed over o.out, so that
// o.out is only ever a whole, sound store.
func backup(ctx context.Context, o storeOptions) (boltstore.Report, error) {
	conn, err := dial(o.addr, o.tls)
	if err != nil {
		return boltstore.Report{}, err
	}
	defer conn.Close()
	stream, err := pdpv1.NewPolicyServiceClient(conn).Backup(ctx, &pdpv1.BackupRequest{})
	if err != nil {
		return boltstore.Report{}, errors.New(callErrorText(err))
	}
	dir := filepath.Dir(o.out)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(o.out)+".tmp-*")
	if err != nil {
		return boltstore.Report{}, err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	defer tmp.Close()
	var written, size int64
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return boltstore.Report{}, errors.New(callErrorText(err))
		}
		if _, err := tmp.Write(msg.GetData()); err != nil {
			return boltstore.Report{}, err
		}
		written += int64(len(msg.GetData()))
		if msg.GetSize() > 0 {
			size = msg.GetSize()
		}
	}
	if size == 0 || written != size {
		return boltstore.Report{}, fmt.Errorf("incomplete backup: received %d bytes of %d", written, size)
	}
	if err := tmp.Sync(); err != nil {
		return boltstore.Report{}, err
	}
	if err := tmp.Close(); err != nil {
		return boltstore.Report{}, err
	}
	r, err := boltstore.Check(tmp.Name())
	if err != nil {
		return r, err
	}
	if !r.OK() {
		return r, fmt.Errorf("the copy received fails its check, %s is left as it was: %q", o.out, r.Problems)
	}
	if err := os.Rename(tmp.Name(), o.out); err != nil {
		return r, err
	}
	if err := syncDir(dir); err != nil {
		return r, err
	}
	r.Path = o.out
	return r, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
