package importrules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/pdp-dev/pdp"

// A listedPackage is what `go list -json` says of one package.
type listedPackage struct {
	ImportPath string
	Imports    []string // direct imports of the non-test files
}

// listPackages lists the module's packages matching the patterns.
func listPackages(t *testing.T, patterns ...string) []listedPackage {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", append([]string{"list", "-json=ImportPath,Imports"}, patterns...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs, "go list %q found no packages", patterns)
	return pkgs
}

// standard reports whether an import path is of the standard library,
// whose first element has no dot.
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// under reports whether path is dir or a package below it.
func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// TestImportRules checks every package's direct imports against the
// rules: a rule returns why an import is refused, or "".
func TestImportRules(t *testing.T) {
	t.Parallel()
	rules := []struct {
		name    string
		pattern string
		refuse  func(pkg, imp string) string
	}{
		{"pkg/ is importable outside the module", "../../pkg/...", func(_, imp string) string {
			if under(imp, module+"/internal") {
				return "pkg/ must not import the module's internal/"
			}
			return ""
		}},
		{"the engine is pure", "../../pkg/engine/...", func(_, imp string) string {
			if standard(imp) || imp == module+"/pkg/catalog" || imp == module+"/pkg/jsonpos" ||
				under(imp, module+"/pkg/engine/internal") {
				return ""
			}
			return "pkg/engine may import only the standard library, pkg/catalog, pkg/jsonpos and its own internal packages"
		}},
		{"the JSON layer stands alone", "../../pkg/jsonpos/...", func(_, imp string) string {
			if standard(imp) {
				return ""
			}
			return "pkg/jsonpos may import only the standard library: the engine, the model and the server all read JSON through it"
		}},
		{"the store knows nothing of IAM or gRPC", "../../pkg/store/...", func(_, imp string) string {
			switch {
			case under(imp, module+"/pkg/engine"), under(imp, module+"/pkg/entity"):
				return "pkg/store must not import the policy engine or model"
			case under(imp, module+"/gen"):
				return "pkg/store must not import the generated API"
			case under(imp, "google.golang.org/grpc"):
				return "pkg/store must not import gRPC"
			}
			return ""
		}},
		{"the snapshot knows nothing of the services", "../../internal/snapshot/...", func(_, imp string) string {
			switch {
			case under(imp, module+"/internal/server"), under(imp, module+"/internal/admin"):
				return "internal/snapshot must not import the services that read it"
			case under(imp, module+"/cmd"):
				return "internal/snapshot must not import the command"
			case under(imp, "google.golang.org/grpc"):
				return "internal/snapshot must not import gRPC"
			}
			return ""
		}},
		{"the decision services do not import the policy service", "../../internal/server/...", func(_, imp string) string {
			if under(imp, module+"/internal/admin") {
				return "internal/server must not import internal/admin"
			}
			return ""
		}},
		{"the policy service does not import the decision services", "../../internal/admin/...", func(_, imp string) string {
			if under(imp, module+"/internal/server") {
				return "internal/admin must not import internal/server"
			}
			return ""
		}},
	}
	for _, rule := range rules {
		for _, p := range listPackages(t, rule.pattern) {
			for _, imp := range p.Imports {
				assert.Empty(t, rule.refuse(p.ImportPath, imp), "%s: %s imports %s", rule.name, p.ImportPath, imp)
			}
		}
	}
}

// TestRulesRefuse checks that each kind of forbidden import is caught.
func TestRulesRefuse(t *testing.T) {
	t.Parallel()
	require.True(t, standard("net/http"))
	require.False(t, standard("google.golang.org/grpc"))
	require.True(t, under(module+"/pkg/engine/internal/x", module+"/pkg/engine/internal"))
	require.False(t, under(module+"/pkg/jsonpos", module+"/pkg/engine"))
	require.False(t, under(module+"/pkg/engineering", module+"/pkg/engine"))
	require.True(t, under(module+"/internal/server", module+"/internal/server"))
	require.False(t, under(module+"/internal/servertest", module+"/internal/server"))
}
