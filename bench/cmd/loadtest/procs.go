package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// server is a pdp serve or pdp-echo process this program started.
type server struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	addr    string // gRPC address, from the "serving" log line
	metrics string // pdp's metrics address, when it serves one
	exited  chan struct{}
	waitErr error // set before exited is closed
}

var (
	servingLine = regexp.MustCompile(`msg=serving addr=(\S+)`)
	metricsLine = regexp.MustCompile(`msg="serving metrics" addr=(\S+)`)
)

// startServer starts a server whose log goes to logPath, and waits until it
// logs the address it serves on and its health check answers SERVING.
// The caller must call stop, also when startServer fails.
func startServer(ctx context.Context, name, logPath string, argv ...string) (*server, error) {
	s, err := startProcess(name, logPath, argv...)
	if err != nil {
		return nil, err
	}
	if err := s.waitServing(ctx, 3*time.Minute); err != nil {
		return s, err
	}
	return s, s.waitHealthy(ctx)
}

// startProcess starts a process whose output goes to logPath, without
// waiting for anything. The caller must call stop.
func startProcess(name, logPath string, argv ...string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	s := &server{name: name, logPath: logPath, exited: make(chan struct{})}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = childProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// waitServing polls the log for the "serving" line.
func (s *server) waitServing(ctx context.Context, limit time.Duration) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.exited:
			return fmt.Errorf("%s exited before serving (%v):\n%s", s.name, s.waitErr, s.logTail())
		case <-deadline.C:
			return fmt.Errorf("%s did not serve within %v:\n%s", s.name, limit, s.logTail())
		case <-tick.C:
		}
		log, err := os.ReadFile(s.logPath)
		if err != nil {
			return err
		}
		if m := metricsLine.FindSubmatch(log); m != nil {
			s.metrics = string(m[1])
		}
		if m := servingLine.FindSubmatch(log); m != nil {
			s.addr = string(m[1])
			return nil
		}
	}
}

// waitHealthy asks the gRPC health service until it answers SERVING.
func (s *server) waitHealthy(ctx context.Context) error {
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := healthpb.NewHealthClient(conn)
	for {
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s health: %v (last answer %v, %v)", s.name, ctx.Err(), resp.GetStatus(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the process: SIGTERM, then SIGKILL after a grace period. It
// does nothing when the process already exited.
func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// alive reports an error when the process has exited.
func (s *server) alive() error {
	select {
	case <-s.exited:
		return fmt.Errorf("%s exited during the test (%v):\n%s", s.name, s.waitErr, s.logTail())
	default:
		return nil
	}
}

// logTail returns the last lines of the server's log, for messages.
func (s *server) logTail() string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// clockTicks is the unit of CPU times in /proc/PID/stat on Linux (USER_HZ,
// 100 on every architecture Go supports).
const clockTicks = 100

// cpuTime returns the user and system CPU time the process has used so
// far, from /proc; an error where there is no /proc.
func (s *server) cpuTime() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// the last ")". utime and stime are fields 14 and 15 of the line.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("malformed /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
