package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// Files of a written workload, relative to its directory.
const (
	ModelDir   = "model"                  // the policy directory: pdp serve --seed DIR/model
	ChecksFile = "requests/check.json"    // a JSON array of CheckRequest, as ghz --data-file reads it
	WantFile   = "requests/expected.json" // the decision each request is made to get
)

// BatchFile is the JSON array of BatchCheckRequest of n items.
func BatchFile(n int) string { return fmt.Sprintf("requests/batch-%d.json", n) }

// Write writes the workload under dir: the model as bundle files in
// ModelDir, the requests as JSON arrays that ghz sends round robin, and
// the wanted decisions by request file.
func (w *Workload) Write(dir string) error {
	files, err := w.modelFiles()
	if err != nil {
		return err
	}
	want := map[string]any{}

	var checks []proto.Message
	var checkWant []string
	for _, c := range w.Checks {
		checks = append(checks, c.Request)
		checkWant = append(checkWant, c.Want.String())
	}
	if files[ChecksFile], err = jsonArray(checks); err != nil {
		return err
	}
	want[filepath.Base(ChecksFile)] = checkWant

	for _, n := range slices.Sorted(maps.Keys(w.Batches)) {
		var reqs []proto.Message
		var batchWant [][]string
		for _, b := range w.Batches[n] {
			reqs = append(reqs, b.Request)
			var names []string
			for _, d := range b.Want {
				names = append(names, d.String())
			}
			batchWant = append(batchWant, names)
		}
		if files[BatchFile(n)], err = jsonArray(reqs); err != nil {
			return err
		}
		want[filepath.Base(BatchFile(n))] = batchWant
	}
	if files[WantFile], err = json.MarshalIndent(want, "", " "); err != nil {
		return err
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// perFile is how many principals or apps one model file holds. The model
// is spread over many files, as a team keeps its policy directory, and
// because loading a bundle file costs time that grows faster than its size.
const perFile = 25

// modelFiles splits the model into bundle files by kind: the organization,
// the managed policies and groups, then the users, roles and apps (with
// their resources) perFile at a time.
func (w *Workload) modelFiles() (map[string][]byte, error) {
	s := w.Model
	parts := map[string]*entity.Set{
		"organization.json": {Accounts: s.Accounts, SCPs: s.SCPs},
		"policies.json":     {ManagedPolicies: s.ManagedPolicies},
		"groups.json":       {Groups: s.Groups},
	}
	for i := 0; i < len(s.Users); i += perFile {
		parts[fmt.Sprintf("users/users-%05d.json", i)] = &entity.Set{Users: s.Users[i:min(i+perFile, len(s.Users))]}
	}
	for i := 0; i < len(s.Roles); i += perFile {
		parts[fmt.Sprintf("roles/roles-%05d.json", i)] = &entity.Set{Roles: s.Roles[i:min(i+perFile, len(s.Roles))]}
	}
	// Resources come app by app: the app, then what is under it.
	apps := 0
	start := 0
	for i, r := range s.Resources {
		if strings.Count(r.ARN, "/") != 1 { // not an app
			continue
		}
		if apps > 0 && apps%perFile == 0 {
			parts[fmt.Sprintf("apps/apps-%05d.json", apps-perFile)] = &entity.Set{Resources: s.Resources[start:i]}
			start = i
		}
		apps++
	}
	parts[fmt.Sprintf("apps/apps-%05d.json", (apps-1)/perFile*perFile)] = &entity.Set{Resources: s.Resources[start:]}
	files := make(map[string][]byte, len(parts))
	for name, part := range parts {
		data, err := part.Bundle()
		if err != nil {
			return nil, err
		}
		files[filepath.Join(ModelDir, filepath.FromSlash(name))] = data
	}
	return files, nil
}

// jsonArray writes messages as a JSON array, one message a line, with the
// field names of the .proto file as grpcurl and the README use them.
func jsonArray(msgs []proto.Message) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("[\n")
	opts := protojson.MarshalOptions{UseProtoNames: true}
	for i, msg := range msgs {
		data, err := opts.Marshal(msg)
		if err != nil {
			return nil, err
		}
		// protojson varies its spacing on purpose; compact it so that equal
		// workloads give equal files.
		if err := json.Compact(&b, data); err != nil {
			return nil, err
		}
		if i < len(msgs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes(), nil
}

// ReadChecks reads a file written as ChecksFile.
func ReadChecks(path string) ([]*pdpv1.CheckRequest, error) {
	return readArray(path, func() *pdpv1.CheckRequest { return new(pdpv1.CheckRequest) })
}

// ReadBatches reads a file written as BatchFile.
func ReadBatches(path string) ([]*pdpv1.BatchCheckRequest, error) {
	return readArray(path, func() *pdpv1.BatchCheckRequest { return new(pdpv1.BatchCheckRequest) })
}

func readArray[M proto.Message](path string, newMsg func() M) ([]M, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]M, len(raws))
	for i, raw := range raws {
		out[i] = newMsg()
		if err := protojson.Unmarshal(raw, out[i]); err != nil {
			return nil, fmt.Errorf("%s: element %d: %w", path, i, err)
		}
	}
	return out, nil
}
