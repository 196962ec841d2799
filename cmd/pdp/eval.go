package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/conformance"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/jsonpos"
)

// maxLine is the longest case line eval reads; a longer one is reported as an
// error line and skipped.
const maxLine = 16 << 20

// evalOptions are the flags of pdp eval.
type evalOptions struct {
	explain bool
	ordered bool
	workers int
	maxLine int
	summary autoBool      // report agreement with expect; auto: when a case has one
	addr    string        // server to decide on; "" decides locally
	timeout time.Duration // of each call to the server
	tls     clientTLS     // with addr
}

func evalCommand() command {
	return command{
		name:    "eval",
		env:     clientEnv(nil),
		summary: "decide authorization cases read as JSON Lines on stdin",
		doc: `Each input line is one case in the conformance format (FORMAT.md). Each
output line is {"id":…,"decision":"Allow"|"ExplicitDeny"|"ImplicitDeny"}, or
{"id":…,"decision":null,"error":…} for a case that cannot be decided (the id
is "line-N" when the line has none). Blank lines are skipped.

When a case holds the correct decision ("expect", as the corpora do),
--summary, on by default then, writes to stderr how many cases agree with
their expect and lists every mismatch, one per line; --summary=false turns
it off. The exit status is 1 when a case disagrees with its expect, or
when reading or writing fails, and 0 otherwise.

With --addr, cases are decided by the Simulate method of a running pdp serve
instead of in-process: the output is the same, and a case the server
rejects, or a call that fails, gets an error line.`,
		setup: func(fs *flag.FlagSet) runFunc {
			opts := evalOptions{maxLine: maxLine}
			fs.BoolVar(&opts.explain, "explain", false, "add an \"explanation\" object: matched statements, verdicts, missing keys")
			fs.BoolVar(&opts.ordered, "ordered", false, "write results in input order (default: as they are decided)")
			fs.Var(&opts.summary, "summary", "report on stderr how many cases agree with their \"expect\" and which do not (default: when a case has one)")
			fs.IntVar(&opts.workers, "workers", 0, "number of cases decided in parallel; 0 means one per core (GOMAXPROCS)")
			fs.StringVar(&opts.addr, "addr", "", "decide through the Simulate method of the pdp server at `address` HOST:PORT")
			fs.DurationVar(&opts.timeout, "timeout", 10*time.Second, "deadline of each call, with --addr")
			opts.tls.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) > 0 {
					return usageError(e, "eval", "unexpected argument %q: cases are read from stdin", args[0])
				}
				if opts.workers < 0 {
					return usageError(e, "eval", "--workers must not be negative, got %d", opts.workers)
				}
				if opts.workers == 0 {
					opts.workers = runtime.GOMAXPROCS(0)
				}
				if opts.timeout <= 0 {
					return usageError(e, "eval", "--timeout must be positive, got %v", opts.timeout)
				}
				var decide decider
				if opts.addr == "" {
					cat, err := catalog.Load()
					if err != nil {
						e.log.ErrorContext(ctx, "load catalog", "err", err)
						return exitFailure
					}
					decide = localDecider(cat)
				} else {
					conn, err := dial(opts.addr, opts.tls)
					if err != nil {
						e.log.ErrorContext(ctx, "connect", "err", err)
						return exitFailure
					}
					defer conn.Close()
					decide = remoteDecider(pdpv1.NewAuthorizationServiceClient(conn), opts.timeout)
				}
				tally := &evalTally{}
				if err := evalStreamTally(ctx, decide, opts, e.stdin, e.stdout, tally); err != nil {
					e.log.ErrorContext(ctx, "eval stopped", "err", err)
					return exitFailure
				}
				if !opts.summary.on(tally.expected > 0) {
					return exitOK
				}
				if err := tally.write(e.stderr); err != nil {
					return exitFailure
				}
				if len(tally.mismatches) > 0 {
					return exitFailure
				}
				return exitOK
			}
		},
	}
}

// A decider decides one case: locally with the engine, or remotely through
// a server's Simulate method. explanation is set when explain is. When err
// is not nil, the case could not be decided and the other results are void.
type decider func(ctx context.Context, c *conformance.Case, explain bool) (decision string, explanation *explanationJSON, err error)

// localDecider decides cases in-process with the engine.
func localDecider(cat *catalog.Catalog) decider {
	return func(_ context.Context, c *conformance.Case, explain bool) (string, *explanationJSON, error) {
		if explain {
			d, ex, err := c.Explain(cat)
			return d.String(), explanationOf(ex), err
		}
		d, err := c.Evaluate(cat)
		return d.String(), nil, err
	}
}

// An evalJob is one non-blank input line.
type evalJob struct {
	seq     int // position among non-blank lines, from 0
	line    int // line number in the input, from 1
	data    []byte
	tooLong bool
}

// An evalResult is the encoded output line of one job.
type evalResult struct {
	seq   int
	out   []byte
	check caseCheck
}

// evalStream decides every case of r with decide and writes one line per
// case to w. A reader goroutine splits the input, opts.workers goroutines
// decide cases, and the calling goroutine writes. At most window cases are
// in flight, which bounds the reorder buffer of -ordered. It returns an
// error only when reading or writing fails or ctx ends.
func evalStream(ctx context.Context, decide decider, opts evalOptions, r io.Reader, w io.Writer) error {
	return evalStreamTally(ctx, decide, opts, r, w, &evalTally{})
}

// evalStreamTally is evalStream that also counts, in tally, the cases that
// agree with their expect.
func evalStreamTally(ctx context.Context, decide decider, opts evalOptions, r io.Reader, w io.Writer, tally *evalTally) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	window := max(4*opts.workers, 64)
	jobs := make(chan evalJob, opts.workers)
	results := make(chan evalResult, opts.workers)
	// tokens holds one entry per case read and not yet written.
	tokens := make(chan struct{}, window)

	var wg sync.WaitGroup
	var readErr error
	wg.Go(func() {
		defer close(jobs)
		readErr = readJobs(ctx, r, opts.maxLine, tokens, jobs)
	})
	var workers sync.WaitGroup
	for range opts.workers {
		workers.Go(func() {
			for j := range jobs {
				out, expect := decideJob(ctx, decide, j, opts)
				res := evalResult{seq: j.seq, out: encodeOutput(out), check: checkOf(out, expect)}
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Go(func() {
		workers.Wait()
		close(results)
	})

	writeErr := writeResults(results, tokens, window, opts.ordered, w, tally)
	if writeErr != nil {
		cancel(writeErr)
		for range results { // let the workers finish
		}
	}
	wg.Wait()
	switch {
	case writeErr != nil:
		return fmt.Errorf("write results: %w", writeErr)
	case readErr != nil:
		return fmt.Errorf("read cases: %w", readErr)
	}
	return context.Cause(ctx)
}

// readJobs sends every non-blank line of r as a job. It takes a token before
// each job, so that no more than cap(tokens) jobs are unwritten.
func readJobs(ctx context.Context, r io.Reader, limit int, tokens chan<- struct{}, jobs chan<- evalJob) error {
	br := bufio.NewReaderSize(r, 64<<10)
	seq := 0
	for lineNo := 1; ; lineNo++ {
		data, tooLong, err := readLine(br, limit)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !tooLong && len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		select {
		case jobs <- evalJob{seq: seq, line: lineNo, data: data, tooLong: tooLong}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		seq++
	}
}

// readLine returns the next line of br without its line ending, in a new
// slice. A line longer than limit is consumed and reported as tooLong, with
// no data. At the end of the input it returns io.EOF.
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		switch {
		case tooLong:
		case len(line)+len(frag) > limit+2: // room for "\r\n"
			tooLong, line = true, nil
		default:
			line = append(line, frag...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || (len(line) == 0 && !tooLong)) {
			return nil, false, err
		}
		break
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > limit {
		return nil, true, nil
	}
	return line, tooLong, nil
}

// writeResults writes each result as it arrives, or in input order when
// ordered is set, and gives back a token per result written. It flushes
// whenever it would wait, so that a caller feeding cases one at a time sees
// each answer. It returns the first write error.
func writeResults(results <-chan evalResult, tokens <-chan struct{}, window int, ordered bool, w io.Writer, tally *evalTally) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	// pending is the reorder buffer: seq s waits in pending[s%window] until
	// every earlier case is written. The tokens guarantee that no case in
	// flight is window or more ahead of next.
	var pending [][]byte
	if ordered {
		pending = make([][]byte, window)
	}
	next := 0
	for {
		var res evalResult
		var ok bool
		select {
		case res, ok = <-results:
		default:
			if err := bw.Flush(); err != nil {
				return err
			}
			res, ok = <-results
		}
		if !ok {
			break
		}
		tally.add(res.seq, res.check)
		if !ordered {
			if _, err := bw.Write(res.out); err != nil {
				return err
			}
			<-tokens
			continue
		}
		pending[res.seq%window] = res.out
		for ; pending[next%window] != nil; next++ {
			if _, err := bw.Write(pending[next%window]); err != nil {
				return err
			}
			pending[next%window] = nil
			<-tokens
		}
	}
	return bw.Flush()
}

// evalOutput is one line of pdp eval's output, in the "Evaluator output"
// format of the conformance corpora.
type evalOutput struct {
	ID          string           `json:"id"`
	Decision    *string          `json:"decision"` // null when the case could not be decided
	Error       string           `json:"error,omitempty"`
	Explanation *explanationJSON `json:"explanation,omitempty"`
}

type explanationJSON struct {
	Matched      []matchedJSON `json:"matched"`
	Verdicts     []verdictJSON `json:"verdicts"`
	MissingKeys  []string      `json:"missing_keys"`
	CrossAccount bool          `json:"cross_account"`
}

type matchedJSON struct {
	Type   string `json:"type"`
	Level  int    `json:"level"`
	Policy string `json:"policy"`
	Sid    string `json:"sid,omitempty"`
	Index  int    `json:"index"`
	Effect string `json:"effect"`
}

type verdictJSON struct {
	Type    string `json:"type"`
	Level   int    `json:"level"`
	Allowed bool   `json:"allowed"`
	Denied  bool   `json:"denied"`
}

// decideJob decides one case line; expect is the case's expected decision,
// "" when it has none or cannot be read.
func decideJob(ctx context.Context, decide decider, j evalJob, opts evalOptions) (out evalOutput, expect string) {
	lineID := fmt.Sprintf("line-%d", j.line)
	if j.tooLong {
		return evalOutput{ID: lineID, Error: fmt.Sprintf("line %d: longer than the limit of %d bytes", j.line, opts.maxLine)}, ""
	}
	c, err := conformance.Decode(j.data)
	if err != nil {
		id := caseID(j.data)
		if id == "" {
			id = lineID
		}
		return evalOutput{ID: id, Error: fmt.Sprintf("line %d: %v", j.line, err)}, ""
	}
	expect = c.Expect
	// The engine promises not to panic on bad input; if it does, the case
	// is reported rather than the whole run lost.
	defer func() {
		if p := recover(); p != nil {
			out, expect = evalOutput{ID: c.ID, Error: fmt.Sprintf("internal error: panic: %v", p)}, c.Expect
		}
	}()
	d, ex, err := decide(ctx, c, opts.explain)
	if err != nil {
		return evalOutput{ID: c.ID, Error: err.Error()}, expect
	}
	return evalOutput{ID: c.ID, Decision: &d, Explanation: ex}, expect
}

// caseID digs the id out of a line that is not a valid case: it reads the
// top-level object member by member and stops at the first syntax error, so
// a case whose id comes before the damage is still reported under its id.
// An id that is not valid UTF-8 is a syntax error: it is not printed with
// U+FFFD in its place, as an id it is not.
func caseID(line []byte) string {
	dec := jsonpos.NewDecoder(line, jsonpos.Limits{MaxDepth: 10_000, DuplicateKeys: true})
	if k, _ := dec.Peek(); k != jsonpos.Object {
		return ""
	}
	dec.BeginObject()
	for {
		key, _, ok := dec.NextKey()
		if !ok {
			return ""
		}
		if key != "id" {
			dec.Skip()
			continue
		}
		if k, _ := dec.Peek(); k != jsonpos.String {
			return ""
		}
		id := dec.ReadString()
		if dec.Err() != nil {
			return ""
		}
		return id
	}
}

func explanationOf(ex *engine.Explanation) *explanationJSON {
	if ex == nil {
		return nil
	}
	out := &explanationJSON{
		Matched:      make([]matchedJSON, 0, len(ex.Matched)),
		Verdicts:     make([]verdictJSON, 0, len(ex.Verdicts)),
		MissingKeys:  append(make([]string, 0, len(ex.MissingKeys)), ex.MissingKeys...),
		CrossAccount: ex.CrossAccount,
	}
	for _, m := range ex.Matched {
		out.Matched = append(out.Matched, matchedJSON{
			Type: m.Type.String(), Level: m.Level, Policy: m.PolicyID, Sid: m.Sid,
			Index: m.Index, Effect: m.Effect.String(),
		})
	}
	for _, v := range ex.Verdicts {
		out.Verdicts = append(out.Verdicts, verdictJSON{
			Type: v.Type.String(), Level: v.Level, Allowed: v.Allowed, Denied: v.Denied,
		})
	}
	return out
}

// encodeOutput encodes one output line, newline included. Encoding cannot
// fail for these types; if it did, the line still carries the id.
func encodeOutput(o evalOutput) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		buf.Reset()
		fallback := evalOutput{ID: o.ID, Error: "encode result: " + err.Error()}
		if enc.Encode(fallback) != nil {
			return []byte("{\"id\":\"\",\"decision\":null,\"error\":\"encode result\"}\n")
		}
	}
	return buf.Bytes()
}
