package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// DefaultMaxMessageBytes bounds a request or response unless configured.
const DefaultMaxMessageBytes = 4 << 20

// GRPCConfig tunes the gRPC server that carries the services.
type GRPCConfig struct {
	MaxMessageBytes int // largest message received or sent
}

// NewGRPCServer returns a gRPC server with pdp's interceptors and limits:
// panics become INTERNAL with the stack logged, every call is logged with
// its code and duration (successes at Debug, so a busy server stays quiet),
// and keepalive pings are enforced.
func NewGRPCServer(cfg GRPCConfig, log *slog.Logger) *grpc.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	onPanic := func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in handler", "panic", p, "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error")
	}
	logOpts := []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
		logging.WithLevels(func(c codes.Code) logging.Level {
			if c == codes.OK {
				return logging.LevelDebug
			}
			return logging.DefaultServerCodeToLevel(c)
		}),
	}
	return grpc.NewServer(
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.MaxSendMsgSize(cfg.MaxMessageBytes),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}),
		grpc.ChainUnaryInterceptor(
			logging.UnaryServerInterceptor(slogAdapter(log), logOpts...),
			recovery.UnaryServerInterceptor(recovery.WithRecoveryHandlerContext(onPanic)),
		),
		grpc.ChainStreamInterceptor(
			logging.StreamServerInterceptor(slogAdapter(log), logOpts...),
			recovery.StreamServerInterceptor(recovery.WithRecoveryHandlerContext(onPanic)),
		),
	)
}

// slogAdapter lets the middleware's logging interceptor write to slog.
func slogAdapter(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}
