package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// A corpus case carries its correct decision in "expect"; pdp eval says how
// many cases agree with theirs and which do not, so that a run over a
// corpus is a test and not a wall of output to compare by eye.

// caseCheck is what one output line says about its case's expect.
type caseCheck struct {
	id     string
	expect string // "" when the case has none
	got    string // the decision, or "error: MESSAGE"
}

// checkOf pairs an output line with its case's expect.
func checkOf(out evalOutput, expect string) caseCheck {
	got := "error: " + out.Error
	if out.Decision != nil {
		got = *out.Decision
	}
	return caseCheck{id: out.ID, expect: expect, got: got}
}

// evalTally counts the cases of a run against their expect. Only the
// goroutine that writes the results touches it.
type evalTally struct {
	cases, expected, agreed int
	mismatches              []mismatch
}

// mismatch is a case whose decision is not its expect, at its input place.
type mismatch struct {
	seq int
	caseCheck
}

func (t *evalTally) add(seq int, c caseCheck) {
	t.cases++
	if c.expect == "" {
		return
	}
	t.expected++
	if c.got == c.expect {
		t.agreed++
		return
	}
	t.mismatches = append(t.mismatches, mismatch{seq: seq, caseCheck: c})
}

// write writes the summary: one line of counts, then each mismatch in
// input order, one per line.
func (t *evalTally) write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pdp eval: %d of %d cases with an expect agree", t.agreed, t.expected)
	switch n := t.cases - t.expected; n {
	case 0:
	case 1:
		b.WriteString(" (1 case without an expect)")
	default:
		fmt.Fprintf(&b, " (%d cases without an expect)", n)
	}
	if len(t.mismatches) > 0 {
		fmt.Fprintf(&b, "; %d disagree:", len(t.mismatches))
	}
	b.WriteString("\n")
	slices.SortFunc(t.mismatches, func(a, b mismatch) int { return a.seq - b.seq })
	for _, m := range t.mismatches {
		fmt.Fprintf(&b, "  %s: expect %s, got %s\n", strconv.Quote(m.id), m.expect, m.got)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// autoBool is a boolean flag that may be left to a default decided later:
// --summary, --summary=true, --summary=false.
type autoBool struct {
	value, set bool
}

func (f *autoBool) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatBool(f.value)
}

func (f *autoBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	f.value, f.set = v, true
	return nil
}

// IsBoolFlag lets the flag be given without a value.
func (f *autoBool) IsBoolFlag() bool { return true }

// on returns the flag's value, or def when it was not given.
func (f *autoBool) on(def bool) bool {
	if !f.set {
		return def
	}
	return f.value
}
