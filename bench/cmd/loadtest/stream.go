package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pdp-dev/pdp/bench/cmd/internal/loadgen"
	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// streamMessages is how many requests each CheckStream call of the load
// sends before closing its side: enough that opening a stream costs little
// beside its requests, as for an enforcement point that keeps one open.
const streamMessages = 100

// writeStreamFile writes the first streamMessages generated Check requests
// as CheckStream messages, a JSON array ghz sends in order on each stream,
// and returns its path.
func writeStreamFile(setDir string) (string, error) {
	checks, err := loadgen.ReadChecks(filepath.Join(setDir, loadgen.ChecksFile))
	if err != nil {
		return "", err
	}
	if len(checks) < streamMessages {
		return "", fmt.Errorf("%s holds %d requests, want at least %d for a stream", loadgen.ChecksFile, len(checks), streamMessages)
	}
	opts := protojson.MarshalOptions{UseProtoNames: true}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, c := range checks[:streamMessages] {
		if i > 0 {
			buf.WriteByte(',')
		}
		data, err := opts.Marshal(&pdpv1.CheckStreamRequest{Id: uint64(i + 1), Check: c})
		if err != nil {
			return "", err
		}
		if err := json.Compact(&buf, data); err != nil {
			return "", err
		}
	}
	buf.WriteByte(']')
	path := filepath.Join(setDir, "requests", fmt.Sprintf("stream-%d.json", streamMessages))
	return path, os.WriteFile(path, buf.Bytes(), 0o644)
}
