package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Environment variables set flags through the flag's own parser, so that a
// value is refused from the environment exactly as it would be on the
// command line or in a --config file: PDP_MAX_BATCH=1O stops the command
// instead of leaving the default in place.
//
// Precedence, highest first: the command line, the environment, the
// --config file (pdp serve), the flag's default. applyEnv runs right after
// the command line is parsed and sets only flags the command line left
// alone; fs.Set marks those flags as given, so applyConfigFile, which skips
// given flags, leaves them alone in turn.
//
// Variables named PDP_* that match no flag of the command are ignored
// without a word: the same environment often serves several tools, and the
// client commands share it with pdp serve (PDP_LISTEN means nothing to pdp
// check).

// envNames maps a flag name to the environment variable that sets it, if
// any.
type envNames func(flagName string) (variable string, ok bool)

// envVar is the variable of a flag by the general rule: --max-batch is
// PDP_MAX_BATCH.
func envVar(flagName string) string {
	return "PDP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// everyFlag gives every flag its variable by the general rule, so that a
// flag added to the command later has one without further code.
func everyFlag(flagName string) (string, bool) { return envVar(flagName), true }

// theseFlags gives only the flags named in vars a variable: the client
// commands read the environment for where and how to connect, not for what
// to ask.
func theseFlags(vars map[string]string) envNames {
	return func(flagName string) (string, bool) {
		v, ok := vars[flagName]
		return v, ok
	}
}

// applyEnv sets each flag that the command line did not give from its
// environment variable, if that is set (even to ""). It returns one error
// per variable the flag refuses, naming the variable, the value and what
// was expected.
func applyEnv(fs *flag.FlagSet, names envNames, lookup func(string) (string, bool)) []error {
	if names == nil {
		return nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) { // in name order, so errors come in a stable order
		if given[f.Name] {
			return
		}
		name, ok := names(f.Name)
		if !ok {
			return
		}
		value, ok := lookup(name)
		if !ok {
			return
		}
		if err := setFlag(fs, f.Name, value); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, value, err))
		}
	})
	return errs
}

// setFlag sets a flag through its own parser (and marks it given). Its
// error says what the flag wants, rather than the flag package's bare
// "parse error".
func setFlag(fs *flag.FlagSet, name, value string) error {
	f := fs.Lookup(name)
	if f == nil {
		return fmt.Errorf("no flag -%s", name)
	}
	err := fs.Set(name, value)
	if err == nil {
		return nil
	}
	if want := expectation(f.Value, value); want != "" {
		return errors.New(want)
	}
	return err
}

// expectation describes the values a flag of a standard type accepts, or
// returns "" for other flags, whose own errors say it.
func expectation(v flag.Value, value string) string {
	g, ok := v.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case bool:
		return "want true or false"
	case int, int64:
		if _, err := strconv.ParseInt(value, 0, 64); errors.Is(err, strconv.ErrRange) {
			return "want an integer: out of range"
		}
		return "want an integer"
	case uint, uint64:
		return "want a non-negative integer"
	case float64:
		return "want a number"
	case time.Duration:
		return `want a duration such as "500ms", "30s" or "5m"`
	}
	return ""
}

// envHelp appends each flag's variable to its help, unless the help names
// it already.
func envHelp(fs *flag.FlagSet, names envNames) {
	if names == nil {
		return
	}
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := names(f.Name); ok && !strings.Contains(f.Usage, v) {
			f.Usage += " (" + v + ")"
		}
	})
}

// flagGiven reports whether the command line or the environment set the
// flag.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
