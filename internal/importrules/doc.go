// Package importrules holds no code: its test enforces the import rules of
// docs/architecture.md on the module's packages, so that a change that
// breaks one fails `go test` instead of waiting for a reviewer.
package importrules
