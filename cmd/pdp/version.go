package main

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

func versionCommand() command {
	return command{
		name:    "version",
		summary: "print the version of pdp and of the service catalog it embeds",
		setup: func(*flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) > 0 {
					return usageError(e, "version", "unexpected argument %q", args[0])
				}
				cat, err := catalog.Load()
				if err != nil {
					e.log.ErrorContext(ctx, "load catalog", "err", err)
					return exitFailure
				}
				bi, _ := debug.ReadBuildInfo()
				if _, err := fmt.Fprint(e.stdout, versionText(bi, cat.Source())); err != nil {
					e.log.ErrorContext(ctx, "write version", "err", err)
					return exitFailure
				}
				return exitOK
			}
		},
	}
}

// versionText describes the build (module version, Go version, VCS revision
// when the binary was built from a checkout) and the catalog data source.
// bi may be nil when the binary carries no build information.
func versionText(bi *debug.BuildInfo, src catalog.Source) string {
	var b strings.Builder
	version, module := "(unknown)", "github.com/pdp-dev/pdp"
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		if bi.Main.Path != "" {
			module = bi.Main.Path
		}
	}
	fmt.Fprintf(&b, "pdp %s\n", version)
	fmt.Fprintf(&b, "module:  %s\n", module)
	if bi != nil {
		fmt.Fprintf(&b, "go:      %s\n", bi.GoVersion)
		if rev := buildSetting(bi, "vcs.revision"); rev != "" {
			if buildSetting(bi, "vcs.modified") == "true" {
				rev += " (modified)"
			}
			fmt.Fprintf(&b, "commit:  %s\n", rev)
		}
	}
	fmt.Fprintf(&b, "catalog: %s %s", src.Package, src.Version)
	if src.DataUpdatedAt != "" {
		fmt.Fprintf(&b, " (data updated %s)", src.DataUpdatedAt)
	}
	b.WriteByte('\n')
	return b.String()
}

func buildSetting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
