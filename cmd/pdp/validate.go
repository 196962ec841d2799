package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// policyTypes maps the values of validate -type to engine policy types;
// "auto" is resolved per document by guessType.
var policyTypes = map[string]engine.PolicyType{
	"identity": engine.IdentityPolicy,
	"resource": engine.ResourcePolicy,
	"boundary": engine.BoundaryPolicy,
	"session":  engine.SessionPolicy,
	"scp":      engine.SCPPolicy,
}

// quotaKinds maps the values of validate -quota to the size quota checked.
var quotaKinds = map[string]engine.QuotaKind{
	"none":    engine.QuotaNone,
	"managed": engine.QuotaManaged,
	"user":    engine.QuotaUserInline,
	"role":    engine.QuotaRoleInline,
	"group":   engine.QuotaGroupInline,
	"scp":     engine.QuotaSCP,
}

// validateOptions are the flags of pdp validate.
type validateOptions struct {
	typ    *enumFlag
	quota  *enumFlag
	format *enumFlag
}

func validateCommand() command {
	return command{
		name:    "validate",
		args:    "FILE…",
		summary: "check policy documents and report every problem with its position",
		doc: `Each FILE is one IAM JSON policy document; "-" reads stdin. Text output is
one line per finding, "file:line:col: severity: path: message";
--format access-analyzer writes each file's findings as IAM Access
Analyzer ValidatePolicy findings (docs/access-analyzer-findings.md). The exit
status is 0 when no finding is an error (warnings are allowed), 1 when one
is, and 2 for bad flags or a file that cannot be read.`,
		setup: func(fs *flag.FlagSet) runFunc {
			opts := validateOptions{
				typ:    newEnumFlag("identity", "identity", "resource", "boundary", "session", "scp", "auto"),
				quota:  newEnumFlag("none", "none", "managed", "user", "role", "group", "scp"),
				format: newEnumFlag("text", "text", "json", "access-analyzer"),
			}
			fs.Var(opts.typ, "type", "policy `type`: identity, resource, boundary, session, scp, or auto\n"+
				"(resource when a statement has Principal or NotPrincipal, else identity)")
			fs.Var(opts.quota, "quota", "size `quota` to check: none, managed, user, role or group (inline), scp")
			fs.Var(opts.format, "format", "output `format`: text (file:line:col: severity: message), json, or\n"+
				"access-analyzer (IAM Access Analyzer ValidatePolicy findings)")
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) == 0 {
					return usageError(e, "validate", "no policy files given (use \"-\" for stdin)")
				}
				cat, err := catalog.Load()
				if err != nil {
					e.log.ErrorContext(ctx, "load catalog", "err", err)
					return exitFailure
				}
				return runValidate(ctx, cat, opts, e, args)
			}
		},
	}
}

// fileReport is what validate found in one file; it is also the JSON shape.
type fileReport struct {
	File     string        `json:"file"`
	Findings []findingJSON `json:"findings"`
	// accessAnalyzer holds the same findings in IAM Access Analyzer's form.
	accessAnalyzer []engine.AccessAnalyzerFinding
}

// accessAnalyzerReport is the shape of --format access-analyzer: per file,
// the array a ValidatePolicy response would hold in "findings".
type accessAnalyzerReport struct {
	Files []accessAnalyzerFile `json:"files"`
}

type accessAnalyzerFile struct {
	File     string                         `json:"file"`
	Findings []engine.AccessAnalyzerFinding `json:"findings"`
}

type findingJSON struct {
	Severity  string `json:"severity"`
	Code      string `json:"code"`
	Path      string `json:"path"`
	Statement int    `json:"statement"`
	Sid       string `json:"sid"`
	Line      int    `json:"line"`
	Col       int    `json:"col"`
	Message   string `json:"message"`
}

type validateReport struct {
	Files    []fileReport `json:"files"`
	Errors   int          `json:"errors"`
	Warnings int          `json:"warnings"`
}

func runValidate(ctx context.Context, cat *catalog.Catalog, opts validateOptions, e *env, files []string) int {
	report := validateReport{Files: make([]fileReport, 0, len(files))}
	status := exitOK
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			e.log.ErrorContext(ctx, "validate stopped", "err", err)
			return exitFailure
		}
		fr, err := validateFile(cat, opts, e.stdin, name)
		if err != nil {
			fmt.Fprintf(e.stderr, "pdp validate: %v\n", err)
			status = exitUsage
			continue
		}
		for _, f := range fr.Findings {
			if f.Severity == engine.SeverityWarning.String() {
				report.Warnings++
			} else {
				report.Errors++
			}
		}
		report.Files = append(report.Files, fr)
	}
	if err := writeValidateReport(e.stdout, opts.format.value, report); err != nil {
		e.log.ErrorContext(ctx, "write report", "err", err)
		return exitFailure
	}
	if status == exitOK && report.Errors > 0 {
		status = exitFailure
	}
	return status
}

// validateFile reads, parses and validates one file. The error is for a file
// that cannot be read; problems in the policy are findings.
func validateFile(cat *catalog.Catalog, opts validateOptions, stdin io.Reader, name string) (fileReport, error) {
	var (
		src []byte
		err error
	)
	display := name
	if name == "-" {
		display = "<stdin>"
		src, err = io.ReadAll(stdin)
	} else {
		src, err = os.ReadFile(name)
	}
	if err != nil {
		return fileReport{}, fmt.Errorf("read %s: %w", display, err)
	}
	typ, ok := policyTypes[opts.typ.value]
	if !ok { // "auto"
		typ = guessType(src)
	}
	fr := fileReport{File: display, Findings: []findingJSON{}}
	doc, err := engine.Parse(src, engine.ParseOptions{ID: display, Type: typ})
	var findings engine.Errors
	switch {
	case err == nil:
		findings = engine.Validate(cat, doc, engine.ValidateOptions{Quota: quotaKinds[opts.quota.value]})
	case errors.As(err, &findings):
	default:
		findings = engine.Errors{{PolicyID: display, Statement: -1, Severity: engine.SeverityError, Msg: err.Error()}}
	}
	for _, pe := range findings {
		fr.Findings = append(fr.Findings, findingJSON{
			Severity:  pe.Severity.String(),
			Code:      string(pe.Code),
			Path:      pe.Path(),
			Statement: pe.Statement,
			Sid:       pe.Sid,
			Line:      pe.Line,
			Col:       pe.Col,
			Message:   pe.Msg,
		})
	}
	fr.accessAnalyzer = engine.AccessAnalyzerFindings(src, typ, findings)
	return fr, nil
}

// guessType picks the resource policy type when any statement names a
// Principal or NotPrincipal (only resource-based policies may), else the
// identity type. Text that is not a JSON object is left to Parse to report.
func guessType(src []byte) engine.PolicyType {
	var doc map[string]any
	if json.Unmarshal(src, &doc) != nil {
		return engine.IdentityPolicy
	}
	var stmts []any
	switch s := doc["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	}
	for _, s := range stmts {
		m, ok := s.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range []string{"Principal", "NotPrincipal"} {
			if _, ok := m[k]; ok {
				return engine.ResourcePolicy
			}
		}
	}
	return engine.IdentityPolicy
}

func writeValidateReport(w io.Writer, format string, r validateReport) error {
	switch format {
	case "json":
		return writeJSON(w, r)
	case "access-analyzer":
		aa := accessAnalyzerReport{Files: make([]accessAnalyzerFile, 0, len(r.Files))}
		for _, fr := range r.Files {
			aa.Files = append(aa.Files, accessAnalyzerFile{File: fr.File, Findings: fr.accessAnalyzer})
		}
		return writeJSON(w, aa)
	}
	var b strings.Builder
	for _, fr := range r.Files {
		for _, f := range fr.Findings {
			b.WriteString(findingText(fr.File, f))
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// findingText formats one finding as "file:line:col: severity: path: message",
// the form editors and compilers use, without line:col when there is none.
func findingText(file string, f findingJSON) string {
	msg := f.Message
	if f.Path != "" {
		msg = f.Path + ": " + msg
	}
	if f.Line == 0 {
		return fmt.Sprintf("%s: %s: %s", file, f.Severity, msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", file, f.Line, f.Col, f.Severity, msg)
}
