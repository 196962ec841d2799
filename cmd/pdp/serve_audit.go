package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/pdp-dev/pdp/internal/audit"
	"github.com/pdp-dev/pdp/internal/metrics"
	"github.com/pdp-dev/pdp/internal/rotate"
	"github.com/pdp-dev/pdp/pkg/store"
)

// auditOptions are the flags of the admin audit log (see internal/audit).
type auditOptions struct {
	path     string // "-": stdout; "": off
	maxBytes int64
	backups  int
}

// register adds the audit log's flags to fs. Their values are checked as
// they are parsed, so a bad one is a usage error wherever it comes from.
func (a *auditOptions) register(fs *flag.FlagSet) {
	a.maxBytes, a.backups = 100<<20, 5
	fs.StringVar(&a.path, "audit-log", "",
		"write a JSON line for every admin API call to this `file`, rotated by size, or to stdout for \"-\"; off when empty. "+
			"A write is refused when its record cannot be written and synced")
	fs.Var(nonNegative[int64]{&a.maxBytes}, "audit-log-max-bytes", "`bytes` the audit log file may hold before it rotates; 0 never rotates")
	fs.Var(nonNegative[int]{&a.backups}, "audit-log-backups", "`number` of rotated audit log files kept, FILE.1 the newest")
}

// openAuditLog opens the audit log the flags ask for, or returns a nil
// Logger when it is off (a nil Logger adds no interceptors), and counts its
// records in m unless m is nil. Call closeLog after the gRPC server
// stopped, so that every call is recorded.
func openAuditLog(ctx context.Context, log *slog.Logger, a auditOptions, stdout io.Writer, st store.Store, m *metrics.Metrics) (
	_ *audit.Logger, closeLog func(), _ error) {
	if a.path == "" {
		return nil, func() {}, nil
	}
	// stdout is given as a plain writer: a pipe or terminal cannot be
	// synced, and what is written to it is already in the OS's hands.
	sink, closeLog := io.Writer(struct{ io.Writer }{stdout}), func() {}
	if a.path != "-" {
		rf := &rotate.File{Path: a.path, MaxBytes: a.maxBytes, MaxBackups: a.backups}
		if err := rf.Open(); err != nil {
			return nil, nil, fmt.Errorf("audit log: %w", err)
		}
		sink = rf
		closeLog = func() {
			if err := rf.Close(); err != nil {
				log.ErrorContext(ctx, "closing the audit log", "err", err)
			}
		}
	}
	al := audit.New(audit.Config{Revision: st.Revision}, sink, log)
	if m != nil {
		if err := m.SetAuditLog(al.Written, al.Failed); err != nil {
			closeLog()
			return nil, nil, fmt.Errorf("audit log metrics: %w", err)
		}
	}
	log.InfoContext(ctx, "writing the admin audit log", "path", a.path)
	return al, closeLog, nil
}

// nonNegative is an integer flag that refuses values below zero.
type nonNegative[T int | int64] struct{ p *T }

func (v nonNegative[T]) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.FormatInt(int64(*v.p), 10)
}

func (v nonNegative[T]) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return errors.New("want a whole number")
	case n < 0:
		return fmt.Errorf("%d is negative: want 0 or more", n)
	case int64(T(n)) != n:
		return fmt.Errorf("%d is too large", n)
	}
	*v.p = T(n)
	return nil
}
