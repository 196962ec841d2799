package main

import (
	"context"
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

// openStore opens the store a --store flag names: "bolt" (the embedded
// default, one file in dataDir), "memory", or "etcd://host:2379[,host:2379]/prefix".
func openStore(ctx context.Context, spec, dataDir string, opts store.Options) (store.Store, error) {
	switch {
	case spec == "" || spec == "bolt":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		return boltstore.Open(filepath.Join(dataDir, "pdp.db"), opts)
	case spec == "memory":
		return memstore.New(opts), nil
	case strings.HasPrefix(spec, "etcd://"):
		cfg, err := etcdstore.ParseURL(spec)
		if err != nil {
			return nil, err
		}
		cfg.Options = opts
		return etcdstore.Open(ctx, cfg)
	}
	return nil, fmt.Errorf(`unknown store %q: want "bolt", "memory" or "etcd://host:2379/prefix"`, spec)
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
