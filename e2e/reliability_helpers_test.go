package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/logbuf"
)

// The reliability campaign drives a real pdp serve process with hostile
// input, signals and broken files. Unlike startServer, its processes write
// stderr to a file (so a test can measure the log's growth), expose the
// process (so a test can send SIGHUP, SIGTERM or SIGKILL) and may end in
// any way the test chooses.

// pdpProc is one running `pdp serve` process.
type pdpProc struct {
	cmd     *exec.Cmd
	addr    string
	logPath string
	exited  chan struct{} // closed once Wait has returned
	state   *os.ProcessState
}

// repoRoot is the repository's top directory, where the example policies are.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// startProc runs `pdp serve` on a free loopback port with env added to the
// environment and args after the defaults (later flags win), and returns
// once the process has logged that it serves. When the test ends a process
// still running gets SIGTERM, then SIGKILL if it has not exited after 20 s.
func startProc(t *testing.T, env []string, args ...string) *pdpProc {
	t.Helper()
	p := launchProc(t, env, args...)
	deadline := time.Now().Add(30 * time.Second)
	poll(t, deadline, "pdp serve to log that it serves", func() bool {
		if m := servingAddr.FindStringSubmatch(p.log(t)); m != nil {
			p.addr = m[1]
			return true
		}
		select {
		case <-p.exited:
			require.FailNow(t, "pdp serve exited before serving", "state %v, log:\n%s", p.state, p.log(t))
		default:
		}
		return false
	})
	return p
}

// launchProc starts `pdp serve` and returns at once.
func launchProc(t *testing.T, env []string, args ...string) *pdpProc {
	t.Helper()
	logFile, err := os.CreateTemp(t.TempDir(), "pdp-stderr-*.log")
	require.NoError(t, err)
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--grace-period", "2s", "--drain-delay", "0s"}, args...)
	cmd := exec.Command(pdpBinary(t), args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logFile
	require.NoError(t, cmd.Start())
	require.NoError(t, logFile.Close()) // the child holds its own descriptor
	p := &pdpProc{cmd: cmd, logPath: logFile.Name(), exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		p.state = cmd.ProcessState
		close(p.exited)
	}()
	t.Cleanup(func() {
		if !p.alive() {
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-p.exited
			assert.Fail(t, "pdp serve did not exit within 20s of SIGTERM; killed it")
		}
	})
	return p
}

// alive reports whether the process has not exited yet.
func (p *pdpProc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// signal sends sig to the process.
func (p *pdpProc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
}

// waitExit waits up to limit for the process to exit and reports whether it did.
func (p *pdpProc) waitExit(limit time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(limit):
		return false
	}
}

// log returns what the process has written to stderr so far.
func (p *pdpProc) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.logPath)
	require.NoError(t, err)
	return string(b)
}

// logSize is the size in bytes of the process's stderr so far.
func (p *pdpProc) logSize(t *testing.T) int64 {
	t.Helper()
	fi, err := os.Stat(p.logPath)
	require.NoError(t, err)
	return fi.Size()
}

// refusal is how a `pdp serve` that should not start ended.
type refusal struct {
	exitCode int  // -1 when it served, and was killed
	served   bool // it logged that it serves
	stderr   string
}

// serveRefusal runs `pdp serve` with env and args (no default flags) and
// waits up to 30 s for it to exit. A process that serves instead is killed
// at once, without any call to it, and reported with served set.
func serveRefusal(t *testing.T, env []string, args ...string) refusal {
	t.Helper()
	cmd := exec.Command(pdpBinary(t), append([]string{"serve"}, args...)...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), env...)
	stderr := &logbuf.Buffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	served := false
	poll(t, time.Now().Add(30*time.Second), "pdp serve to exit", func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		if servingAddr.MatchString(stderr.String()) {
			served = true
			_ = cmd.Process.Kill()
			<-exited
			return true
		}
		return false
	})
	code := cmd.ProcessState.ExitCode()
	if served {
		code = -1
	}
	return refusal{exitCode: code, served: served, stderr: stderr.String()}
}

// poll calls cond every 20 ms until it reports true, and fails the test if
// that has not happened by deadline.
func poll(t *testing.T, deadline time.Time, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out", "timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// dialConn connects to addr over plaintext, or over TLS when tlsConf is set.
func dialConn(t *testing.T, addr string, tlsConf *tls.Config) *grpc.ClientConn {
	t.Helper()
	creds := insecure.NewCredentials()
	if tlsConf != nil {
		creds = credentials.NewTLS(tlsConf)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// clientOf wraps a connection in the service clients.
func clientOf(conn *grpc.ClientConn) *client {
	return &client{authz: pdpv1.NewAuthorizationServiceClient(conn), admin: pdpv1.NewPolicyServiceClient(conn),
		health: healthpb.NewHealthClient(conn)}
}

// devTLS is a client TLS configuration that trusts the CA in caFile, names
// the server "localhost" and presents cert when it is not nil.
func devTLS(t *testing.T, caFile string, cert *tls.Certificate) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem), "no certificate in %s", caFile)
	conf := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if cert != nil {
		conf.Certificates = []tls.Certificate{*cert}
	}
	return conf
}

// requireServing checks that the process runs, health reports SERVING and
// an ordinary Check is answered.
func requireServing(ctx context.Context, t *testing.T, p *pdpProc, c *client) {
	t.Helper()
	require.True(t, p.alive(), "pdp serve exited: %v\n%s", p.state, p.log(t))
	h, err := c.health.Check(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, h.GetStatus())
	resp, err := carolReadsSegment(ctx, c, 0)
	require.NoError(t, err)
	require.NotEqual(t, pdpv1.Decision_DECISION_UNSPECIFIED, resp.GetDecision())
}

// rawMessage is a request already encoded in protobuf wire format, sent
// as is by rawCodec.
type rawMessage []byte

// rawCodec sends rawMessage bytes unchanged, so a test can send what no
// generated client would, and decodes replies as protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.(rawMessage); ok {
		return b, nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return nil, errors.New("rawCodec: not a protobuf message")
	}
	return proto.Marshal(m)
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return errors.New("rawCodec: not a protobuf message")
	}
	return proto.Unmarshal(data, m)
}

func (rawCodec) Name() string { return "proto" }

// assertCode checks the gRPC code of err, printing code names and err.
func assertCode(t *testing.T, want codes.Code, err error, msgAndArgs ...any) bool {
	t.Helper()
	if got := status.Code(err); got != want {
		return assert.Fail(t, fmt.Sprintf("code %v, want %v: %.500v", got, want, err), msgAndArgs...)
	}
	return true
}

// requireCode is assertCode that stops the test.
func requireCode(t *testing.T, want codes.Code, err error, msgAndArgs ...any) {
	t.Helper()
	if !assertCode(t, want, err, msgAndArgs...) {
		t.FailNow()
	}
}
