package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// applyConfigFile sets the flags of fs from a YAML (or JSON) file whose keys
// are the flag names: `listen: 0.0.0.0:8181`, `max-batch: 500`. A flag given
// on the command line or by its environment variable (applyEnv runs first
// and marks the flags it sets as given) wins over the file, and the file
// wins over the defaults. Unknown keys and values a flag refuses are errors
// that name the file, the key and what was expected, so a typo fails at
// start.
func applyConfigFile(fs *flag.FlagSet, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var values map[string]any
	if err := yaml.UnmarshalStrict(data, &values); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var problems []string
	for _, k := range keys {
		f := fs.Lookup(k)
		switch {
		case f == nil || k == "config":
			problems = append(problems, fmt.Sprintf("%s: unknown setting %q", path, k))
			continue
		case explicit[k]:
			continue
		}
		v := configString(values[k])
		if err := setFlag(fs, k, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s: %q: %v", path, k, v, err))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// configString writes a YAML value the way the flag would be typed: lists
// as comma-separated values, numbers without exponents.
func configString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = configString(e)
		}
		return strings.Join(parts, ",")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
