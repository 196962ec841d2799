package boltstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/boltstore"

	"github.com/stretchr/testify/require"
)

// crashWriterEnv switches the test binary into the writer process of
// TestCrashKeepsAcknowledgedRevisions: it names the file to write.
const crashWriterEnv = "BOLTSTORE_CRASH_WRITER"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashWriterEnv); path != "" {
		os.Exit(crashWriter(path))
	}
	os.Exit(m.Run())
}

// crashKey and crashValue are what the writer puts for counter i: every
// revision writes its own key and overwrites one of a few shared ones, with
// documents large enough to split pages and grow the file.
func crashKey(i int) store.Key {
	return store.Key{Kind: store.KindManagedPolicy, ID: fmt.Sprintf("seq-%06d", i)}
}

func crashShared(i int) store.Key {
	return store.Key{Kind: store.KindRole, ID: fmt.Sprintf("shared-%d", i%7)}
}

func crashValue(i int) []byte {
	return fmt.Appendf(nil, `{"i":%d,"pad":%q}`, i, strings.Repeat(strconv.Itoa(i%10), 200+(i*37)%3000))
}

// crashWriter applies change sets until killed, printing "ack <revision>
// <i>" once each Apply has returned. It continues the counter of an
// existing file.
func crashWriter(path string) int {
	s, err := boltstore.Open(path, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	rev, err := s.Revision(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	out := bufio.NewWriter(os.Stdout)
	for i := int(rev) + 1; ; i++ {
		cs := store.ChangeSet{
			Changes: []store.Change{
				{Op: store.OpPut, Key: crashKey(i), Value: crashValue(i)},
				{Op: store.OpPut, Key: crashShared(i), Value: crashValue(i)},
			},
			ExpectRevision: rev,
			Author:         "crash-writer",
			Message:        strconv.Itoa(i),
		}
		if i%5 == 0 && i > 1 {
			cs.Changes = append(cs.Changes, store.Change{Op: store.OpDelete, Key: crashKey(i - 1)})
		}
		if rev, err = s.Apply(ctx, cs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Fprintf(out, "ack %d %d\n", rev, i)
		out.Flush()
	}
}

// TestCrashKeepsAcknowledgedRevisions kills a writer process with SIGKILL
// at a random moment of its write loop, several times over the same file:
// after each kill the file opens and every revision the writer
// acknowledged is there with its content.
func TestCrashKeepsAcknowledgedRevisions(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" || runtime.GOOS == "ios" || runtime.GOOS == "android" {
		t.Skipf("cannot run a child process on %s", runtime.GOOS)
	}
	path := filepath.Join(t.TempDir(), "crash", "pdp.db")
	acked := map[int64]int{} // revision → counter
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	for round := range rounds {
		for rev, i := range runAndKill(t, path, 20+rand.IntN(60)) {
			acked[rev] = i
		}
		s, err := boltstore.Open(path, store.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		checkAcked(t, s, acked)
		require.NoError(t, s.Close())
	}
	t.Logf("%d acknowledged revisions over %d kills", len(acked), rounds)
}

// runAndKill starts the writer on path, reads acks until n have arrived,
// waits a random moment into the next write and kills the writer.
func runAndKill(t *testing.T, path string, n int) map[int64]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashWriterEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	acked := map[int64]int{}
	sc := bufio.NewScanner(stdout)
	for len(acked) < n && sc.Scan() {
		var rev int64
		var i int
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d", &rev, &i); err != nil {
			t.Fatalf("writer printed %q: %v", sc.Text(), err)
		}
		acked[rev] = i
	}
	if len(acked) < n {
		cmd.Wait()
		t.Fatalf("writer stopped after %d acks (want %d): %v\n%s", len(acked), n, sc.Err(), stderr.String())
	}
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	// Acks printed before the kill landed are acknowledged too.
	for sc.Scan() {
		var rev int64
		var i int
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d", &rev, &i); err == nil {
			acked[rev] = i
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || (runtime.GOOS != "windows" && exit.ExitCode() != -1) {
		t.Fatalf("writer ended with %v, want killed by a signal\n%s", err, stderr.String())
	}
	return acked
}

// checkAcked checks that every acknowledged revision can be read with the
// content written at it.
func checkAcked(t *testing.T, s store.Store, acked map[int64]int) {
	t.Helper()
	ctx := t.Context()
	cur, err := s.Revision(ctx)
	require.NoError(t, err)
	infos, err := s.Revisions(ctx, 0, 0)
	require.NoError(t, err)
	if int64(len(infos)) != cur {
		t.Fatalf("%d revision records up to revision %d", len(infos), cur)
	}
	for rev, i := range acked {
		if rev > cur {
			t.Fatalf("acknowledged revision %d is missing: the store is at %d", rev, cur)
		}
		if infos[rev-1].Message != strconv.Itoa(i) {
			t.Fatalf("revision %d has message %q, want %q", rev, infos[rev-1].Message, strconv.Itoa(i))
		}
		for _, k := range []store.Key{crashKey(i), crashShared(i)} {
			v, err := s.Get(ctx, k, rev)
			if err != nil {
				t.Fatalf("acknowledged revision %d: Get(%s): %v", rev, k, err)
			}
			if string(v.Value) != string(crashValue(i)) || v.ModRevision != rev {
				t.Fatalf("acknowledged revision %d: %s = %.40q (mod %d), want %.40q (mod %d)", rev, k, v.Value, v.ModRevision, crashValue(i), rev)
			}
		}
	}
	// The current state is whole: the last revision's own key is there.
	if cur > 0 {
		if _, err := s.Get(ctx, crashKey(int(cur)), 0); err != nil {
			t.Fatalf("current revision %d: %v", cur, err)
		}
	}
}
