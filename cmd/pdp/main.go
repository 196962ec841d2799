// Command pdp is the policy decision point for Amazon Pinpoint: it decides
// AWS IAM authorization requests for the mobiletargeting and sms-voice
// services exactly as AWS does, and checks policy documents.
//
// This package holds flags and wiring only; every policy rule lives in
// pkg/engine. main.go dispatches to one file per subcommand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Once a signal has cancelled ctx, restore the default handling of
	// SIGINT so that a second Ctrl-C ends a command that is stuck reading
	// its input. A repeated SIGTERM stays caught: make, for one, passes a
	// SIGTERM sent to its process group on to its child, which then gets
	// it twice and must still stop gracefully (SIGKILL remains for force).
	context.AfterFunc(ctx, func() { signal.Reset(os.Interrupt) })
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses shared by the subcommands.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed, or found errors
	exitUsage   = 2 // bad flags or arguments, unreadable input files
)

// env is what a subcommand may touch of the outside world.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	// lookupEnv reads an environment variable, as os.LookupEnv does; tests
	// give their own, so that they can run in parallel.
	lookupEnv func(string) (string, bool)
}

// runFunc runs a subcommand whose flags are parsed; args are the remaining
// positional arguments. It returns the exit status.
type runFunc func(ctx context.Context, e *env, args []string) int

// A command is one entry of the dispatch table.
type command struct {
	name    string
	args    string // synopsis after the flags, e.g. "FILE…"
	summary string // one line for the command list
	doc     string // more about the command, for its own help; may be empty
	// setup defines the command's flags on fs and returns the function that
	// runs the command once fs is parsed. It is also called to print help.
	setup func(fs *flag.FlagSet) runFunc
	// env names the environment variable of each flag that has one; nil:
	// the command reads no flag from the environment. See envflags.go.
	env envNames
}

// commands is the dispatch table, in the order "pdp help" lists it. It is a
// function, not a variable, so that help can list the table it belongs to.
func commands() []command {
	return []command{
		serveCommand(),
		checkCommand(),
		policyCommand(),
		storeCommand(),
		importCommand(),
		evalCommand(),
		simulateCommand(),
		whoCanCommand(),
		whatCanCommand(),
		whichResourcesCommand(),
		impactCommand(),
		validateCommand(),
		checkNoNewAccessCommand(), checkAccessNotGrantedCommand(), testCommand(),
		versionCommand(),
		devCertsCommand(),
		helpCommand(),
	}
}

func lookup(name string) (command, bool) {
	cmds := commands()
	i := slices.IndexFunc(cmds, func(c command) bool { return c.name == name })
	if i < 0 {
		return command{}, false
	}
	return cmds[i], true
}

// run is the whole program apart from process exit: main calls it with the
// real streams, tests with buffers. It reads the process environment.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(ctx, newEnv(stdin, stdout, stderr, os.LookupEnv), args)
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *env {
	return &env{
		stdin:     stdin,
		stdout:    stdout,
		stderr:    stderr,
		log:       slog.New(slog.NewTextHandler(stderr, nil)),
		lookupEnv: lookupEnv,
	}
}

// getenv reads an environment variable; an env without lookupEnv has none.
func (e *env) getenv(name string) (string, bool) {
	if e.lookupEnv == nil {
		return "", false
	}
	return e.lookupEnv(name)
}

// runEnv runs the command line args in e.
func runEnv(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.stdout, e.stderr
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return exitOK
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "pdp: unknown command %q\n\n", name)
		printUsage(stderr)
		return exitUsage
	}
	fs := newFlagSet(cmd, stderr)
	exec := cmd.setup(fs)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(stdout, cmd, fs)
			return exitOK
		}
		// The flag package has written the error itself.
		printCommandUsage(stderr, cmd, fs)
		return exitUsage
	}
	if errs := applyEnv(fs, cmd.env, e.getenv); len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(stderr, "pdp %s: %v\n", cmd.name, err)
		}
		return exitUsage
	}
	return exec(ctx, e, fs.Args())
}

func newFlagSet(cmd command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pdp "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // run prints usage to stdout or stderr as fits
	return fs
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: pdp <command> [flags] [arguments]\n\n")
	b.WriteString("pdp decides AWS IAM authorization requests for Amazon Pinpoint\n")
	b.WriteString("(mobiletargeting, sms-voice) and checks policy documents.\n\n")
	b.WriteString("Commands:\n")
	cmds := commands()
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.name))
	}
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-*s %s\n", width, c.name, c.summary)
	}
	b.WriteString("\nRun \"pdp help <command>\" or \"pdp <command> --help\" for its flags.\n")
	io.WriteString(w, b.String())
}

func printCommandUsage(w io.Writer, cmd command, fs *flag.FlagSet) {
	synopsis := "pdp " + cmd.name
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		synopsis += " [flags]"
	}
	if cmd.args != "" {
		synopsis += " " + cmd.args
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", synopsis, cmd.summary)
	if cmd.doc != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.doc)
	}
	if hasFlags {
		envHelp(fs, cmd.env)
		fmt.Fprintf(w, "\nFlags:\n")
		printFlags(w, fs)
	}
}

// printFlags lists the flags of fs as flag.PrintDefaults does, but spelt
// the way the README and the help texts spell them: --name, and -x for a
// one-letter flag. The flag package accepts either spelling.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		arg, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  %s%s", dash, f.Name)
		if arg != "" {
			b.WriteString(" " + arg)
		}
		b.WriteString("\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch {
		case f.DefValue == "" || f.DefValue == "0" || f.DefValue == "false" || f.DefValue == "0s":
		case fmt.Sprintf("%T", f.Value) == "*flag.stringValue":
			fmt.Fprintf(&b, " (default %q)", f.DefValue)
		default:
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	io.WriteString(w, b.String())
}

// usageError reports a bad argument found after flag parsing.
func usageError(e *env, cmd string, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "pdp %s: %s\nRun \"pdp help %s\" for usage.\n", cmd, fmt.Sprintf(format, args...), cmd)
	return exitUsage
}

func helpCommand() command {
	return command{
		name:    "help",
		args:    "[command]",
		summary: "show the commands, or the flags of one command",
		setup: func(*flag.FlagSet) runFunc {
			return func(_ context.Context, e *env, args []string) int {
				switch len(args) {
				case 0:
					printUsage(e.stdout)
					return exitOK
				case 1:
				default:
					return usageError(e, "help", "want at most one command, got %d arguments", len(args))
				}
				cmd, ok := lookup(args[0])
				if !ok {
					fmt.Fprintf(e.stderr, "pdp help: unknown command %q\n\n", args[0])
					printUsage(e.stderr)
					return exitUsage
				}
				fs := newFlagSet(cmd, e.stderr)
				cmd.setup(fs)
				printCommandUsage(e.stdout, cmd, fs)
				return exitOK
			}
		},
	}
}

// enumFlag is a string flag restricted to a fixed set of values, so that a
// bad value is reported while flags are parsed.
type enumFlag struct {
	value   string
	allowed []string
}

func newEnumFlag(def string, allowed ...string) *enumFlag {
	return &enumFlag{value: def, allowed: allowed}
}

func (f *enumFlag) String() string {
	if f == nil {
		return ""
	}
	return f.value
}

func (f *enumFlag) Set(s string) error {
	if !slices.Contains(f.allowed, s) {
		return fmt.Errorf("want one of %s", strings.Join(f.allowed, ", "))
	}
	f.value = s
	return nil
}
