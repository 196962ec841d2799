package entity

import (
	"path"
	"strings"
)

// IsTestFile reports whether a file name is that of a policy test file,
// NAME_test.yaml or NAME_test.yml. Test files sit next to the policies they
// test, and LoadDir leaves them out, as the go tool leaves out _test.go
// files from a build: `pdp test` reads them, `pdp serve` never does.
func IsTestFile(name string) bool {
	base := strings.ToLower(path.Base(name))
	return strings.HasSuffix(base, "_test.yaml") || strings.HasSuffix(base, "_test.yml")
}
