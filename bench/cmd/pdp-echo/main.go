// Command pdp-echo serves the load-test baseline of package echo: the
// pdp.v1.AuthorizationService answering every call at once without
// deciding, with health checking and reflection, on a loopback address.
// It logs "serving" with the address once it accepts calls, and stops on
// SIGINT or SIGTERM.
//
//	pdp-echo --listen 127.0.0.1:0
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"syscall"

	"github.com/pdp-dev/pdp/bench/echo"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback `address` to listen on; port 0 picks a free one")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, *listen); err != nil {
		log.Error("pdp-echo failed", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, log *slog.Logger, listen string) error {
	if err := checkLoopback(listen); err != nil {
		return err
	}
	lis, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	gs := echo.NewGRPCServer()
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	log.Info("serving", "addr", lis.Addr().String())
	select {
	case err := <-served:
		return fmt.Errorf("grpc server stopped: %w", err)
	case <-ctx.Done():
	}
	gs.GracefulStop()
	return <-served
}

// checkLoopback refuses addresses other than loopback ones: the baseline
// is for load tests on one machine and must not be reachable from others.
func checkLoopback(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", listen, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-listen must be a loopback address such as 127.0.0.1:0, not %q", listen)
}
