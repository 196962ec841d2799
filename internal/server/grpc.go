package server

import (
	"context"
	"log/slog"
	"math"
	"runtime/debug"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/pdp-dev/pdp/internal/rpcerr"
)

// Defaults of GRPCConfig.
const (
	// DefaultMaxMessageBytes bounds a request.
	DefaultMaxMessageBytes = 4 << 20
	// DefaultMaxConcurrentStreams bounds the calls in flight on one
	// connection.
	DefaultMaxConcurrentStreams = 256
	// DefaultDeadline is given to unary calls that arrive without one.
	DefaultDeadline = 30 * time.Second
)

// The flow-control windows of the server: what a stream, and a
// connection, may have received that its handlers have not read. A stream's
// window holds hundreds of decision requests, and a 4 MiB request takes
// sixteen window updates.
const (
	streamWindowBytes = 256 << 10
	connWindowBytes   = 1 << 20
)

// GRPCConfig tunes the gRPC server that carries the services. Zero values
// take the defaults.
type GRPCConfig struct {
	MaxMessageBytes int // largest message received; default 4 MiB
	// MaxRequestMessages bounds the messages a request embeds (items,
	// changes, map entries, …), counted before it is decoded; default
	// MaxRequestMessages of the default limits.
	MaxRequestMessages int
	// MaxConcurrentStreams bounds the calls in flight on one connection;
	// default 256.
	MaxConcurrentStreams uint32
	// DefaultDeadline is given to unary calls that arrive without one, so
	// that no call can hold resources forever; default 30 s.
	DefaultDeadline time.Duration
	// Creds secures the listener (TLS, mTLS); nil serves plaintext.
	Creds credentials.TransportCredentials
	// ObserveUnary and ObserveStream run outside panic recovery (metrics),
	// so that they see the INTERNAL a panicking call ends with.
	ObserveUnary  []grpc.UnaryServerInterceptor
	ObserveStream []grpc.StreamServerInterceptor
	// Unary and Stream are interceptors run after logging and panic
	// recovery: authentication, authorization, rate limits.
	Unary  []grpc.UnaryServerInterceptor
	Stream []grpc.StreamServerInterceptor
	// Options are added to the server's own, e.g. the tracing stats
	// handler, which sees a call before any interceptor.
	Options []grpc.ServerOption
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
	if cfg.MaxConcurrentStreams == 0 {
		cfg.MaxConcurrentStreams = DefaultMaxConcurrentStreams
	}
	if cfg.DefaultDeadline <= 0 {
		cfg.DefaultDeadline = DefaultDeadline
	}
	if cfg.MaxRequestMessages <= 0 {
		cfg.MaxRequestMessages = MaxRequestMessages(Limits{}, 0, 0)
	}
	onPanic := func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in handler", "panic", p, "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error")
	}
	// Unary calls are logged by unaryCall, which formats nothing for a
	// line the logger would drop; streaming calls by the middleware, with
	// the same fields.
	logOpts := []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
		logging.WithFieldsFromContext(func(ctx context.Context) logging.Fields {
			if id := RequestID(ctx); id != "" {
				return logging.Fields{"request_id", id}
			}
			return nil
		}),
		logging.WithLevels(func(c codes.Code) logging.Level { return logging.Level(callLevel(c)) }),
	}
	codec := newRequestCodec(cfg.MaxRequestMessages)
	// Each interceptor costs a closure per call: with no observers, one
	// interceptor sets the deadline, logs and recovers.
	var unary []grpc.UnaryServerInterceptor
	if len(cfg.ObserveUnary) == 0 {
		unary = append(unary, unaryCall(codec, cfg.DefaultDeadline, log, true, onPanic))
	} else {
		// The observers see a request that did not decode refused.
		unary = append(unary, unaryCall(nil, cfg.DefaultDeadline, log, false, nil))
		unary = append(unary, cfg.ObserveUnary...)
		unary = append(unary, codec.unaryInterceptor())
		unary = append(unary, recovery.UnaryServerInterceptor(recovery.WithRecoveryHandlerContext(onPanic)))
	}
	unary = append(unary, cfg.Unary...)
	stream := []grpc.StreamServerInterceptor{logging.StreamServerInterceptor(slogAdapter(log), logOpts...)}
	stream = append(stream, cfg.ObserveStream...)
	stream = append(stream, codec.streamInterceptor())
	stream = append(stream, recovery.StreamServerInterceptor(recovery.WithRecoveryHandlerContext(onPanic)))
	stream = append(stream, cfg.Stream...)
	opts := []grpc.ServerOption{
		// Fixed flow-control windows: a stream holds at most
		// streamWindowBytes its handler has not read. gRPC's default grows
		// the windows with the connection's bandwidth-delay product, to
		// megabytes a stream on a fast link, and a client that sends on
		// 200 CheckStreams without reading the answers parked a gigabyte
		// in the server (see checkstream.go: the server reads 16 requests
		// ahead, and flow control is what holds the client back).
		grpc.InitialWindowSize(streamWindowBytes),
		grpc.InitialConnWindowSize(connWindowBytes),
		// The limit bounds what a caller makes the server hold, not what
		// it answers: answers are bounded by the model, and a revision's
		// Watch event, a Diff or an Export of a model grown by requests
		// each within the limit is larger than any of them. Capping sends
		// too left watchers unable to get past such a revision.
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.MaxSendMsgSize(math.MaxInt32),
		grpc.MaxConcurrentStreams(cfg.MaxConcurrentStreams),
		grpc.ForceServerCodecV2(codec),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}
	if cfg.Creds != nil {
		opts = append(opts, grpc.Creds(cfg.Creds))
	}
	opts = append(opts, cfg.Options...)
	return grpc.NewServer(opts...)
}

// slogAdapter lets the middleware's logging interceptor write to slog.
func slogAdapter(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}

// RequestIDMetadata is the request metadata key whose value names a call in
// the server's logs and decision log.
const RequestIDMetadata = "x-request-id"

// RequestID returns the caller's request id from the metadata, or "";
// one longer than 256 bytes is clipped (see clip), since every log line of
// the call repeats it. It reads the one key without copying the call's
// metadata.
func RequestID(ctx context.Context) string {
	if v := metadata.ValueFromIncomingContext(ctx, RequestIDMetadata); len(v) > 0 {
		return rpcerr.Clip(v[0])
	}
	return ""
}
