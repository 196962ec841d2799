// Command testsummary reads `go test -json` on its standard input and
// prints what a reader of `make test` needs: each package's result line,
// the whole output of every test that failed, and every test that skipped
// with its reason. It exits 1 if any test or package failed, a package did
// not build, or any test skipped: CI runs every test, and a skipped one
// (etcd or grpcurl missing) is a test that did not run.
//
//	go test -json ./... | go run ./internal/tools/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Stdin, os.Stdout))
}

// An event is one line of `go test -json` (go doc test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // of build-output and build-fail events
}

// summary accumulates the events of one run.
type summary struct {
	out      io.Writer
	outputs  map[string][]string // by package and test, until it ends
	failed   []string
	skipped  []string
	packages int
}

func run(in io.Reader, out io.Writer) int {
	s := &summary{out: out, outputs: map[string][]string{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Fprintln(out, string(line)) // not an event: go test's own message
			continue
		}
		s.add(e)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "testsummary: reading go test -json: %v\n", err)
		return 1
	}
	return s.finish()
}

func (s *summary) add(e event) {
	key := e.Package + " " + e.Test
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.out, e.Output)
	case "build-fail":
		s.failed = append(s.failed, e.ImportPath+" (build)")
	case "output":
		s.outputs[key] = append(s.outputs[key], e.Output)
	case "pass", "fail", "skip":
		lines := s.outputs[key]
		delete(s.outputs, key)
		switch {
		case e.Test == "": // the package's result
			s.packages++
			if e.Action == "fail" {
				s.failed = append(s.failed, e.Package)
				for _, l := range lines { // output outside any test: a panic, a TestMain failure
					if !strings.HasPrefix(l, "=== ") {
						fmt.Fprint(s.out, l)
					}
				}
			} else if n := len(lines); n > 0 {
				fmt.Fprint(s.out, lines[n-1]) // "ok  pkg 1.2s" or "?  pkg [no test files]"
			}
		case e.Action == "fail":
			s.failed = append(s.failed, e.Package+" "+e.Test)
			fmt.Fprint(s.out, strings.Join(lines, ""))
		case e.Action == "skip":
			s.skipped = append(s.skipped, e.Package+" "+e.Test+": "+skipReason(lines))
		}
	}
}

// skipReason is the message t.Skip logged, the lines between the test's
// start and its "--- SKIP" line.
func skipReason(lines []string) string {
	var msg []string
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "=== ") && !strings.HasPrefix(t, "--- SKIP") {
			msg = append(msg, t)
		}
	}
	return strings.Join(msg, " ")
}

func (s *summary) finish() int {
	code := 0
	if len(s.skipped) > 0 {
		fmt.Fprintf(s.out, "\n%d tests skipped; every test must run (install what they name):\n", len(s.skipped))
		for _, sk := range s.skipped {
			fmt.Fprintln(s.out, "  "+sk)
		}
		code = 1
	}
	if len(s.failed) > 0 {
		fmt.Fprintf(s.out, "\n%d failed:\n", len(s.failed))
		for _, f := range s.failed {
			fmt.Fprintln(s.out, "  "+f)
		}
		code = 1
	}
	if s.packages == 0 {
		fmt.Fprintln(s.out, "testsummary: no package results: did go test run?")
		code = 1
	}
	return code
}
