package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/boltstore"
	"github.com/pdp-dev/pdp/pkg/store/etcdstore"
	"github.com/pdp-dev/pdp/pkg/store/memstore"
)

// defaultDataDir is where the embedded store keeps its file unless
// --data-dir (PDP_DATA_DIR) says otherwise: relative to the working
// directory, so that `make run` in a checkout keeps its data there.
const defaultDataDir = "pdp-data"

// openedStore is a store openStore opened, and what serve needs to know
// about it.
type openedStore struct {
	store.Store
	// fresh: this start created the store, so --seed may write into it. A
	// bolt file that did not exist, a memory store, or an etcd prefix
	// holding no key at all.
	fresh bool
	// where names the store in log lines: the bolt file, "memory", or the
	// etcd URL.
	where string
	// warnings are problems the store read past on opening (a damaged
	// meta page of a bolt file next to a valid one).
	warnings []string
}

// openStore opens the store a --store flag names: "bolt" (the embedded
// default, one file in dataDir), "memory", or "etcd://host:2379[,host:2379]/prefix".
func openStore(ctx context.Context, spec, dataDir string, opts store.Options) (openedStore, error) {
	switch {
	case spec == "" || spec == "bolt":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return openedStore{}, fmt.Errorf("create data directory: %w", err)
		}
		path := filepath.Join(dataDir, "pdp.db")
		// The file's check, which reads all of it, runs while the follower
		// reads the model; nothing is written or served before it passed.
		st, err := boltstore.OpenVerifying(path, opts)
		if err != nil {
			return openedStore{}, withRepairAdvice(err)
		}
		return openedStore{Store: st, fresh: st.Created(), where: path, warnings: st.Warnings()}, nil
	case spec == "memory":
		return openedStore{Store: memstore.New(opts), fresh: true, where: "memory"}, nil
	case strings.HasPrefix(spec, "etcd://"):
		cfg, err := etcdstore.ParseURL(spec)
		if err != nil {
			return openedStore{}, err
		}
		cfg.Options = opts
		st, err := etcdstore.Open(ctx, cfg)
		if err != nil {
			return openedStore{}, err
		}
		empty, err := st.Empty(ctx)
		if err != nil {
			st.Close()
			return openedStore{}, err
		}
		return openedStore{Store: st, fresh: empty, where: spec}, nil
	}
	return openedStore{}, fmt.Errorf(`unknown store %q: want "bolt", "memory" or "etcd://host:2379/prefix"`, spec)
}

// withRepairAdvice says what to do about a damaged bolt file.
func withRepairAdvice(err error) error {
	var de *boltstore.DamagedError
	if !errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("%w; the file was left as it is and nothing was written: "+
		"run \"pdp store check %s\" to see what is damaged, then restore the file from a backup (\"pdp store backup\" takes one) "+
		"or move it aside to start an empty store", err, de.Path)
}

// compactLoop keeps the store's history to the configured number of
// revisions, once a minute, until ctx ends.
func compactLoop(ctx context.Context, log *slog.Logger, st store.Store, keep int64) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := st.Compact(ctx, keep); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "compact policy store", "err", err)
			}
		}
	}
}
