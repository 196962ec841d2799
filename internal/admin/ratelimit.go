package admin

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/durationpb"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/rpcerr"
)

// adminWrites are the PolicyService methods that write the store.
var adminWrites = map[string]bool{
	pdpv1.PolicyService_ApplyChanges_FullMethodName: true,
	pdpv1.PolicyService_Rollback_FullMethodName:     true,
	pdpv1.PolicyService_Import_FullMethodName:       true,
}

// WriteLimiter bounds how fast each caller may change policies: a token
// bucket per caller (the authenticated principal, else the peer address),
// from which an ApplyChanges call of n changes takes n tokens and a
// Rollback or Import one. A caller past its rate gets RESOURCE_EXHAUSTED
// with RetryInfo; a call of more changes than the burst is refused
// outright, since no wait would let it through. Other callers and every
// read go on.
type WriteLimiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	callers map[string]*callerBucket
}

type callerBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxCallers bounds the buckets kept; idle ones are forgotten first.
const maxCallers = 10000

// NewWriteLimiter allows each caller perSecond writes on average, in bursts
// of up to burst.
func NewWriteLimiter(perSecond float64, burst int) *WriteLimiter {
	return &WriteLimiter{rate: rate.Limit(perSecond), burst: max(burst, 1), callers: make(map[string]*callerBucket)}
}

// UnaryInterceptor limits the write methods of the policy service. It runs
// after authentication, so that callers are told apart by principal.
func (w *WriteLimiter) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !adminWrites[info.FullMethod] {
			return handler(ctx, req)
		}
		n := 1
		if ac, ok := req.(*pdpv1.ApplyChangesRequest); ok {
			n = max(n, len(ac.GetChanges()))
		}
		if n > w.burst {
			return nil, rpcerr.WithDetails(codes.ResourceExhausted,
				fmt.Sprintf("%d changes in one call exceed the write burst of %d changes; split the change set", n, w.burst),
				&errdetails.ErrorInfo{Reason: "WRITE_BURST_EXCEEDED", Domain: rpcerr.Domain})
		}
		if r := w.reserve(callerKey(ctx), n); r > 0 {
			return nil, rpcerr.WithDetails(codes.ResourceExhausted, "too many policy writes from this caller; retry later",
				&errdetails.RetryInfo{RetryDelay: durationpb.New(r)},
				&errdetails.ErrorInfo{Reason: "WRITE_RATE_EXCEEDED", Domain: rpcerr.Domain})
		}
		return handler(ctx, req)
	}
}

// reserve takes n tokens for the caller, or returns how long until they
// are free; n is at most the burst.
func (w *WriteLimiter) reserve(caller string, n int) time.Duration {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	b, ok := w.callers[caller]
	if !ok {
		if len(w.callers) >= maxCallers {
			w.forgetIdle(now)
		}
		b = &callerBucket{lim: rate.NewLimiter(w.rate, w.burst)}
		w.callers[caller] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, n)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// forgetIdle drops the buckets of callers idle long enough to be full again,
// or failing that the oldest half.
func (w *WriteLimiter) forgetIdle(now time.Time) {
	full := time.Duration(float64(w.burst) / float64(w.rate) * float64(time.Second))
	for k, b := range w.callers {
		if now.Sub(b.seen) > full {
			delete(w.callers, k)
		}
	}
	for k := range w.callers {
		if len(w.callers) < maxCallers/2 {
			break
		}
		delete(w.callers, k)
	}
}

// callerKey names the caller: the authenticated principal, else the peer
// address without its port.
func callerKey(ctx context.Context) string {
	if p, ok := auth.Caller(ctx); ok {
		return p
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		host, _, err := net.SplitHostPort(p.Addr.String())
		if err != nil {
			host = p.Addr.String()
		}
		return "peer:" + host
	}
	return "unknown"
}
