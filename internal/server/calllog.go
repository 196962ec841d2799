package server

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/pdp-dev/pdp/internal/rpcerr"
)

// unaryCall is the first interceptor of every unary call: with a codec,
// it answers a request that did not decode with INVALID_ARGUMENT (see
// requestCodec), it gives a call without a deadline the default one, logs the call when it ends (a
// success at Debug, a failure at the level its code calls for), and, when
// recoverPanics, turns a panic in what follows into onPanic's error.
//
// A call costs only the deadline unless its line is logged: nothing is
// formatted for a level the logger does not write, which on a busy server
// is every success.
func unaryCall(codec *requestCodec, deadline time.Duration, log *slog.Logger, recoverPanics bool,
	onPanic func(context.Context, any) error) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		if err := codec.decodeError(req); err != nil {
			if level := callLevel(codes.InvalidArgument); log.Enabled(ctx, level) {
				logCall(ctx, log, level, info.FullMethod, start, codes.InvalidArgument, err)
			}
			return nil, err
		}
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, deadline)
			defer cancel()
		}
		if recoverPanics {
			resp, err = recovered(ctx, req, handler, onPanic)
		} else {
			resp, err = handler(ctx, req)
		}
		code := status.Code(err)
		if level := callLevel(code); log.Enabled(ctx, level) {
			logCall(ctx, log, level, info.FullMethod, start, code, err)
		}
		return resp, err
	}
}

// recovered calls handler, turning a panic into onPanic's error.
func recovered(ctx context.Context, req any, handler grpc.UnaryHandler, onPanic func(context.Context, any) error) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, onPanic(ctx, p)
		}
	}()
	return handler(ctx, req)
}

// callLevel is the level a call's line is logged at: Debug for a success,
// so that a busy server stays quiet, else by code as usual for servers.
func callLevel(c codes.Code) slog.Level {
	if c == codes.OK {
		return slog.LevelDebug
	}
	return slog.Level(logging.DefaultServerCodeToLevel(c))
}

// logCall writes a unary call's line, with the fields the logging
// middleware gives streaming calls' lines, so that one query finds both.
func logCall(ctx context.Context, log *slog.Logger, level slog.Level, fullMethod string, start time.Time, code codes.Code, err error) {
	service, method := splitMethod(fullMethod)
	attrs := make([]slog.Attr, 0, 12)
	if id := RequestID(ctx); id != "" {
		attrs = append(attrs, slog.String("request_id", id))
	}
	attrs = append(attrs,
		slog.String("protocol", "grpc"),
		slog.String("grpc.component", "server"),
		slog.String("grpc.service", service),
		slog.String("grpc.method", method),
		slog.String("grpc.method_type", "unary"))
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		attrs = append(attrs, slog.String("peer.address", p.Addr.String()))
	}
	attrs = append(attrs, slog.String("grpc.start_time", start.Format(time.RFC3339)))
	if d, ok := ctx.Deadline(); ok {
		attrs = append(attrs, slog.String("grpc.request.deadline", d.Format(time.RFC3339)))
	}
	attrs = append(attrs, slog.String("grpc.code", code.String()))
	if err != nil {
		attrs = append(attrs, slog.String("grpc.error", rpcerr.ClipMessage(err.Error())))
	}
	// Milliseconds to the microsecond, as the streaming lines give them.
	ms := float32(time.Since(start).Microseconds()) / 1000
	attrs = append(attrs, slog.String("grpc.time_ms", strconv.FormatFloat(float64(ms), 'g', -1, 32)))
	log.LogAttrs(ctx, level, "finished call", attrs...)
}

// splitMethod splits "/pdp.v1.AuthorizationService/Check" into service and
// method.
func splitMethod(fullMethod string) (service, method string) {
	s := strings.TrimPrefix(fullMethod, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return "unknown", "unknown"
}
